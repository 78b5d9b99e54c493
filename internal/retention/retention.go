package retention

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// Rule limits how many backups of one type a storage keeps.
type Rule struct {
	Keep   *int          // nil: no count limit; 0 keeps only the newest
	MaxAge time.Duration // 0 (or less): no age limit
}

// Policy is one storage's retention, by backup type. A type without an entry
// is kept forever.
type Policy map[string]Rule

// Action is what retention does with one stored backup.
type Action string

// Actions.
const (
	Keep   Action = "keep"
	Delete Action = "delete"
)

// Decision is the fate of one backup on one storage, with the reason in words
// a DBA can read.
type Decision struct {
	BackupID  string
	Server    string
	Database  string
	Type      string
	StartedAt time.Time
	Key       string // the object's key on the storage
	Action    Action
	Reason    string
}

// group is one server × database × type.
type group struct{ server, database, typ string }

// Plan decides, for one storage, which backups stay and which go, following
// the rules in the package documentation. Backups with nothing to decide on
// this storage are left out. The result is sorted by server, database and
// type, then newest first.
func Plan(storage string, policy Policy, backups []*backup.Backup) []Decision {
	var out []Decision
	groups := map[group][]*backup.Backup{}
	for _, b := range backups {
		if b == nil {
			continue
		}
		loc := b.Location(storage)
		if loc == nil {
			continue
		}
		switch {
		case b.Status == backup.StatusRunning &&
			(loc.Status == backup.LocationSuccess || loc.Status == backup.LocationPending):
			out = append(out, decide(b, loc, Keep, "backup in progress (never touched)"))
		case (b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial) &&
			loc.Status == backup.LocationSuccess:
			g := group{b.Server, b.Database, b.Type}
			groups[g] = append(groups[g], b)
		}
	}
	for g, bs := range groups {
		rule, ok := policy[g.typ]
		out = append(out, planGroup(storage, g.typ, rule, ok, bs)...)
	}
	slices.SortFunc(out, func(a, b Decision) int {
		return cmp.Or(
			cmp.Compare(a.Server, b.Server),
			cmp.Compare(a.Database, b.Database),
			cmp.Compare(a.Type, b.Type),
			b.StartedAt.Compare(a.StartedAt),
			cmp.Compare(b.BackupID, a.BackupID),
		)
	})
	return out
}

// planGroup decides for the good copies bs of one group.
func planGroup(storage, typ string, rule Rule, hasRule bool, bs []*backup.Backup) []Decision {
	slices.SortFunc(bs, newestFirst)
	out := make([]Decision, 0, len(bs))
	dec := func(b *backup.Backup, a Action, reason string) {
		out = append(out, decide(b, b.Location(storage), a, reason))
	}
	keep := -1
	if rule.Keep != nil {
		keep = max(*rule.Keep, 0)
	}
	byAge := rule.MaxAge > 0
	switch {
	case !hasRule:
		for _, b := range bs {
			dec(b, Keep, fmt.Sprintf("no retention rule for type %s: kept forever", typ))
		}
		return out
	case keep < 0 && !byAge:
		for _, b := range bs {
			dec(b, Keep, fmt.Sprintf("retention for type %s sets no limit: kept forever", typ))
		}
		return out
	}

	newest := bs[0].StartedAt
	// inWindow is how many backups are within MaxAge of the newest; they
	// come first. gap is the distance from the oldest of them to the
	// newest backup outside; a gap longer than MaxAge stops deletion by age.
	inWindow, gap := len(bs), time.Duration(0)
	if byAge {
		inWindow = 1
		for inWindow < len(bs) && newest.Sub(bs[inWindow].StartedAt) <= rule.MaxAge {
			inWindow++
		}
		if inWindow < len(bs) {
			gap = bs[inWindow-1].StartedAt.Sub(bs[inWindow].StartedAt)
		}
	}
	ageHeld := gap > rule.MaxAge
	// A backup with a size anomaly may be the first after data was lost:
	// the newest one without an anomaly is kept too.
	floor := slices.IndexFunc(bs, func(b *backup.Backup) bool { return !b.Anomalous() })

	for i, b := range bs {
		switch {
		case i == 0:
			dec(b, Keep, "newest successful backup of its job (always kept)")
		case i == floor:
			dec(b, Keep, "newest backup without a size anomaly (always kept: the newer ones are far smaller)")
		case keep == 0:
			dec(b, Delete, "keep is 0: only the newest backup stays")
		case keep > 0 && i >= keep:
			dec(b, Delete, fmt.Sprintf("beyond the newest %d", keep))
		case i >= inWindow && !ageHeld:
			dec(b, Delete, fmt.Sprintf("older than %s (measured from the newest backup, %s)",
				duration.Format(rule.MaxAge), formatTime(newest)))
		case i >= inWindow:
			dec(b, Keep, fmt.Sprintf("older than %s, kept anyway: the newer backups follow a %s gap (clock jump or outage?) and do not span %s yet",
				duration.Format(rule.MaxAge), duration.Format(roundGap(gap)), duration.Format(rule.MaxAge)))
		case keep > 0 && byAge:
			dec(b, Keep, fmt.Sprintf("within the newest %d and within %s of the newest", keep, duration.Format(rule.MaxAge)))
		case keep > 0:
			dec(b, Keep, fmt.Sprintf("within the newest %d", keep))
		default:
			dec(b, Keep, fmt.Sprintf("within %s of the newest", duration.Format(rule.MaxAge)))
		}
	}
	return out
}

func decide(b *backup.Backup, loc *backup.Location, a Action, reason string) Decision {
	return Decision{
		BackupID:  b.ID,
		Server:    b.Server,
		Database:  b.Database,
		Type:      b.Type,
		StartedAt: b.StartedAt,
		Key:       loc.Key,
		Action:    a,
		Reason:    reason,
	}
}

// newestFirst orders by start time, newest first; IDs break ties.
func newestFirst(a, b *backup.Backup) int {
	return cmp.Or(b.StartedAt.Compare(a.StartedAt), cmp.Compare(b.ID, a.ID))
}

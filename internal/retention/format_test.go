package retention

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// planSet is a prepared catalog with one of each situation prune --dry-run
// must explain.
func planSet() []*backup.Backup {
	var bs []*backup.Backup
	n := 0
	add := func(server, database, typ string, at time.Time, status backup.Status, copies map[string]backup.LocationStatus) {
		n++
		id := fmt.Sprintf("%s-%012x", at.Format("20060102T150405.000Z"), n)
		b := &backup.Backup{ID: id, Server: server, Database: database, Type: typ, Status: status, StartedAt: at}
		for _, st := range []string{"local", "offsite"} {
			if s, ok := copies[st]; ok {
				b.Locations = append(b.Locations, backup.Location{Storage: st, Key: server + "/" + database + "/" + id, Status: s})
			}
		}
		bs = append(bs, b)
	}
	ok := backup.LocationSuccess
	both := map[string]backup.LocationStatus{"local": ok, "offsite": ok}
	local := map[string]backup.LocationStatus{"local": ok}

	// main-mysql/shop: dailies with a failed run, a partial one and one running.
	for i := range 5 {
		at := t0.Add(-time.Duration(i) * day)
		switch i {
		case 1:
			add("main-mysql", "shop", "daily", at, backup.StatusFailed,
				map[string]backup.LocationStatus{"local": backup.LocationFailed, "offsite": backup.LocationFailed})
		case 2:
			add("main-mysql", "shop", "daily", at, backup.StatusPartial,
				map[string]backup.LocationStatus{"local": ok, "offsite": backup.LocationFailed})
		default:
			add("main-mysql", "shop", "daily", at, backup.StatusSuccess, both)
		}
	}
	add("main-mysql", "shop", "daily", t0.Add(day), backup.StatusRunning,
		map[string]backup.LocationStatus{"local": backup.LocationPending, "offsite": backup.LocationPending})
	add("main-mysql", "shop", "manual", t0.Add(-200*day), backup.StatusSuccess, local)
	// main-mysql/shop hourlies: keep 3 locally.
	for i := range 5 {
		add("main-mysql", "shop", "hourly", t0.Truncate(time.Hour).Add(-time.Duration(i)*time.Hour), backup.StatusSuccess, local)
	}
	// main-mysql/shop weeklies offsite only, five weeks apart: max_age 90d applies.
	for i := range 4 {
		add("main-mysql", "shop", "weekly", t0.Add(-time.Duration(i)*35*day), backup.StatusSuccess,
			map[string]backup.LocationStatus{"offsite": ok})
	}
	// pg-main/crm: weeklies, the newest one stamped after a clock jump.
	for i := range 4 {
		add("pg-main", "crm", "weekly", t0.Add(-time.Duration(i)*7*day), backup.StatusSuccess, both)
	}
	add("pg-main", "crm", "weekly", t0.Add(365*day), backup.StatusSuccess, both)
	// pg-main/crm dailies, three weeks of them; max_age 14d applies locally.
	for i := range 17 {
		add("pg-main", "crm", "daily", t0.Add(-time.Duration(i)*day), backup.StatusSuccess, local)
	}
	return bs
}

func TestFormatGolden(t *testing.T) {
	policies := []struct {
		storage string
		policy  Policy
	}{
		{"local", Policy{
			"hourly": {Keep: intp(3)},
			"daily":  {Keep: intp(20), MaxAge: 14 * day},
			"weekly": {Keep: intp(3), MaxAge: 30 * day},
		}},
		{"offsite", Policy{
			"daily":  {Keep: intp(30)},
			"weekly": {MaxAge: 90 * day},
		}},
		{"empty", Policy{"daily": {Keep: intp(1)}}},
	}
	var buf bytes.Buffer
	bs := planSet()
	for i, p := range policies {
		if i > 0 {
			buf.WriteString("\n")
		}
		if err := Format(&buf, p.storage, Plan(p.storage, p.policy, bs)); err != nil {
			t.Fatal(err)
		}
	}
	got := buf.String()
	checkGolden(t, "plan.golden", got)

	// The golden file must keep showing each situation, so that -update
	// cannot quietly lose one.
	for _, want := range []string{
		"storage local: ",
		"storage offsite: ",
		"storage empty: 0 to delete, 0 to keep",
		"ACTION  SERVER",
		"backup in progress (never touched)",
		"newest successful backup of its job (always kept)",
		"beyond the newest 3",
		"within the newest 20 and within 14d of the newest",
		"older than 14d (measured from the newest backup, 2026-01-31 02:30)",
		"older than 30d, kept anyway: the newer backups follow a 365d gap",
		"no retention rule for type manual: kept forever",
		"within 90d of the newest",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	if failed := t0.Add(-day).Format("20060102T150405.000Z") + "-000000000002"; strings.Contains(got, failed) {
		t.Errorf("the failed run %s appears in the plan", failed)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestFormatWriteError(t *testing.T) {
	if err := Format(failWriter{}, "local", Plan("local", nil, planSet())); err == nil {
		t.Error("Format ignored a write error")
	}
}

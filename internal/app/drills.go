package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// DrillTarget is the server a drill of b restores onto: drills.target_server
// when set and of the backup's engine type, else the backup's own server.
// NoOwner is set for a server other than the backup's own, which may lack
// its roles.
func (a *App) DrillTarget(b *backup.Backup) (runner.DrillRequest, error) {
	origin := a.Config.Server(b.Server)
	if origin == nil {
		return runner.DrillRequest{}, fmt.Errorf("backup %s: server %q is not configured", b.ID, b.Server)
	}
	name := origin.Name
	if t := a.Config.Server(a.Config.Drills.TargetServer); t != nil && t.Type == origin.Type {
		name = t.Name
	}
	d, err := a.Dumper(name)
	if err != nil {
		return runner.DrillRequest{}, err
	}
	return runner.DrillRequest{Backup: b, Server: name, Dumper: d, NoOwner: name != origin.Name}, nil
}

// DrillCandidates returns the newest successful backup of each job
// (server × database × type), newest first, of the given servers (all when
// none) and database (all when ""). Only servers still configured count.
func (a *App) DrillCandidates(ctx context.Context, servers []string, database string) ([]*backup.Backup, error) {
	list, err := a.Catalog.List(ctx, catalog.Filter{Status: backup.StatusSuccess, Database: database})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*backup.Backup
	for _, b := range list { // newest first
		if len(servers) > 0 && !slices.Contains(servers, b.Server) || a.Config.Server(b.Server) == nil {
			continue
		}
		k := b.Server + "/" + b.Database + "/" + b.Type
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out, nil
}

// CleanDrillLeftovers removes drill databases left by killed runs on the
// named servers (all configured servers when none), logging what it drops
// and what it cannot reach.
func (a *App) CleanDrillLeftovers(ctx context.Context, servers []string) {
	if len(servers) == 0 {
		for _, s := range a.Config.Servers {
			servers = append(servers, s.Name)
		}
	}
	for _, name := range servers {
		d, err := a.Dumper(name)
		if err != nil {
			continue
		}
		if _, err := a.Runner.CleanDrillLeftovers(ctx, name, d); err != nil && ctx.Err() == nil {
			a.Logger.Warn("cannot remove drill leftovers", "server", name, "error", err)
		}
	}
}

// DrillServers returns the servers the drills of bs restore onto, sorted.
func (a *App) DrillServers(bs []*backup.Backup) []string {
	var out []string
	for _, b := range bs {
		if req, err := a.DrillTarget(b); err == nil && !slices.Contains(out, req.Server) {
			out = append(out, req.Server)
		}
	}
	sort.Strings(out)
	return out
}

// drillSlots limit drills: at most total at once, and never two on one server.
type drillSlots struct {
	mu      sync.Mutex
	total   int
	inUse   int
	servers map[string]bool
	changed chan struct{} // closed and replaced on each release
}

func newDrillSlots(total int) *drillSlots {
	return &drillSlots{total: max(total, 1), servers: map[string]bool{}, changed: make(chan struct{})}
}

// acquire waits for a slot on server; false when ctx ended first.
func (s *drillSlots) acquire(ctx context.Context, server string) bool {
	for {
		s.mu.Lock()
		if s.inUse < s.total && !s.servers[server] {
			s.inUse++
			s.servers[server] = true
			s.mu.Unlock()
			return true
		}
		wait := s.changed
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false
		}
	}
}

func (s *drillSlots) release(server string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inUse--
	delete(s.servers, server)
	close(s.changed)
	s.changed = make(chan struct{})
}

// errDrillBusy: a drill of that backup already runs in this process.
var errDrillBusy = errors.New("a drill of this backup is already running")

package web

import (
	"fmt"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/service"
)

// historyTTL bounds how long a job's cached sparkline is shown without
// reading it again, for changes its job summary does not reveal (retention
// deleting old backups).
const historyTTL = 5 * time.Minute

// historyCache keeps each job's sparkline between dashboard refreshes, so
// that a refresh (every 2 s per open dashboard) reads the catalog only for
// jobs whose summary changed: a backup started, ended or was drilled.
type historyCache struct {
	mu sync.Mutex
	m  map[string]historyEntry // by job key
}

type historyEntry struct {
	stamp string // the job summary it was made for (historyStamp)
	at    time.Time
	spark jobSpark
}

func newHistoryCache() *historyCache { return &historyCache{m: map[string]historyEntry{}} }

// historyStamp sums up what of a job's summary changes when its recent
// backups do.
func historyStamp(j service.Job) string {
	return fmt.Sprint(j.LastSuccessID, j.LastSuccess, j.LastFailure, j.RunningID, j.LastDrillID, j.LastDrillStatus)
}

// get returns the job's sparkline if one made for the same summary is
// younger than historyTTL at now.
func (c *historyCache) get(key string, j service.Job, now time.Time) (jobSpark, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.stamp != historyStamp(j) || now.Sub(e.at) >= historyTTL || now.Before(e.at) {
		return jobSpark{}, false
	}
	return e.spark, true
}

// put keeps s as the job's sparkline as of now.
func (c *historyCache) put(key string, j service.Job, now time.Time, s jobSpark) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = historyEntry{stamp: historyStamp(j), at: now, spark: s}
}

// forget drops the jobs not in keep (removed from the config, or gone).
func (c *historyCache) forget(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if !keep[k] {
			delete(c.m, k)
		}
	}
}

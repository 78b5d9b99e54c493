package app

import (
	"context"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
)

// BackupsAtOnce returns how many of jobs can run at the same time under the
// config's concurrency limits (concurrency.total, and concurrency.per_server
// for the jobs of one server): 0 for no jobs, else at least 1.
func (a *App) BackupsAtOnce(jobs []runner.Job) int {
	perServer := map[string]int{}
	for _, j := range jobs {
		perServer[j.Server]++
	}
	n := 0
	for _, k := range perServer {
		if p := a.Config.Concurrency.PerServer; p > 0 {
			k = min(k, p)
		}
		n += k
	}
	if t := a.Config.Concurrency.Total; t > 0 {
		n = min(n, t)
	}
	return n
}

// RunBackups runs jobs with Runner.Backup (the one-shot backup command's
// way; the daemon has its scheduler), with at most concurrency.total at once
// and at most concurrency.per_server per server, the limits the daemon's
// scheduler applies (scheduler.Limiter). Whenever slots are free it starts
// the first jobs, in jobs' order, whose slots are free: with room for one
// backup at a time they run in jobs' order.
//
// start (optional) is called just before job i starts and may change it
// (e.g. set its Progress); end (optional) is called once job i has ended,
// with what Runner.Backup returned. Both are called from RunBackups'
// goroutine, one call at a time, so they need no locking of their own.
//
// Once ctx is done, no job starts; RunBackups waits for the running ones
// (their ctx is ctx: they end interrupted) and returns. It returns how many
// jobs it started.
func (a *App) RunBackups(ctx context.Context, jobs []runner.Job, start func(i int, job *runner.Job), end func(i int, b *backup.Backup, err error)) (started int) {
	type result struct {
		i   int
		b   *backup.Backup
		err error
	}
	limiter := scheduler.NewLimiter(a.Config.Concurrency.Total, a.Config.Concurrency.PerServer)
	done := make(chan result)
	pending := make([]int, len(jobs)) // indexes of the jobs not yet started, in order
	for i := range jobs {
		pending[i] = i
	}
	running := 0
	for {
		if ctx.Err() == nil {
			left := pending[:0]
			for _, i := range pending {
				release, ok := limiter.TryAcquire(jobs[i].Server)
				if !ok || ctx.Err() != nil {
					if ok {
						release()
					}
					left = append(left, i)
					continue
				}
				job := jobs[i]
				if start != nil {
					start(i, &job)
				}
				running++
				started++
				go func() {
					b, err := a.Runner.Backup(ctx, job)
					// The slots go back before the result is read, so that
					// the next pass finds them free.
					release()
					done <- result{i, b, err}
				}()
			}
			pending = left
		}
		if running == 0 {
			return started
		}
		r := <-done
		running--
		if end != nil {
			end(r.i, r.b, r.err)
		}
	}
}

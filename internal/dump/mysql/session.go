package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// session is one server connection that a swap runs its statements on, so
// that session settings (current database, character sets, sql_mode) hold
// from one statement to the next.
//
// Results come back as binary: SHOW CREATE then returns each object's
// definition in the bytes it was written in, which are sent back unchanged
// under the object's own character_set_client (as the dump tools do).
type session struct {
	c        *sql.Conn
	sqlMode  string // the session's own, restored after each object
	timeZone string
}

// openSession opens a session whose statements wait at most lockWait for
// a lock another session holds.
func openSession(ctx context.Context, pool *sql.DB, lockWait time.Duration) (*session, error) {
	c, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{c: c}
	err = c.QueryRowContext(ctx, "SELECT @@session.sql_mode, @@session.time_zone").Scan(&s.sqlMode, &s.timeZone)
	if err == nil {
		// Foreign keys between the tables being moved or dropped are the
		// restored dump's business, not the swap's.
		err = s.exec(ctx, fmt.Sprintf("SET NAMES utf8mb4, character_set_results = binary, foreign_key_checks = 0, lock_wait_timeout = %d",
			max(1, int(lockWait/time.Second))))
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func (s *session) close() { s.c.Close() }

func (s *session) exec(ctx context.Context, q string) error {
	_, err := s.c.ExecContext(ctx, q)
	return err
}

// create runs o's CREATE statement in the current database under o's own
// sql_mode, character set and time zone, then returns to the session's.
func (s *session) create(ctx context.Context, o object) error {
	set := fmt.Sprintf("SET NAMES '%s' COLLATE '%s', character_set_results = binary, sql_mode = '%s'", o.charset, o.collation, o.sqlMode)
	if o.timeZone != "" {
		set += ", time_zone = '" + o.timeZone + "'"
	}
	if err := s.exec(ctx, set); err != nil {
		return fmt.Errorf("creating %s: %w", o, err)
	}
	err := s.exec(ctx, o.create)
	reset := fmt.Sprintf("SET NAMES utf8mb4, character_set_results = binary, sql_mode = '%s', time_zone = '%s'", s.sqlMode, s.timeZone)
	if rerr := s.exec(ctx, reset); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		err = explainRestoreError(err, failure{definerAt: func(int) string { return o.definer }})
		return fmt.Errorf("creating %s: %w", o, err)
	}
	return nil
}

// drop drops o from db if it is there.
func (s *session) drop(ctx context.Context, db string, o object) error {
	if err := s.exec(ctx, "DROP "+o.kind+" IF EXISTS "+quoteIdent(db)+"."+quoteIdent(o.name)); err != nil {
		return fmt.Errorf("dropping %s: %w", o, err)
	}
	return nil
}

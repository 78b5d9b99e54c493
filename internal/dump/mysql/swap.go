package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// swap puts what was loaded into the scratch database in the place of
// target, whole or not at all. MariaDB cannot rename a database, so:
//
//  1. It reads both databases' objects with their definitions, and drops the
//     scratch tables' triggers (a table with triggers cannot change database).
//  2. One RENAME TABLE statement, atomic, renames target's tables and views
//     to hold names inside target (their triggers go with them, still
//     firing) and moves the scratch tables in under their own names.
//  3. It drops target's routines and events, and the old triggers whose
//     names the new ones take, sets target's character set and collation,
//     and creates the new routines, views, triggers and events from their
//     SHOW CREATE definitions.
//  4. It drops the held tables and views.
//
// Before step 2 it checks that nothing it knows of can make it fail
// halfway: that the restoring user may create every new object and create
// again every old one it drops (checkPrivileges), and that no other
// database's foreign key references the target's tables. Every statement
// waits at most swapLockWait for a lock another session holds.
//
// Any failure before step 4 undoes steps 2 and 3, in reverse, so that
// target is exactly as before. The window that remains: between the RENAME
// and the last object of step 3 (metadata statements only, milliseconds),
// other sessions see the new tables without some of the new views,
// routines, triggers or events, and writes they make then fire no trigger.
// A rollback that puts back an object owned by another user needs SET USER
// as the restore did; what it cannot put back, its error names.
//
// The lease takes the lock that marks the hold tables as in use.
func (d *Dumper) swap(ctx context.Context, pool *sql.DB, scratch, target string, l *lease) error {
	s, err := openSession(ctx, pool, swapLockWait)
	if err != nil {
		return unchanged(err)
	}
	w := &swapper{s: s, scratch: scratch, target: target, lease: l}
	err = w.run(ctx)
	s.close() // the rollback gets a fresh connection: ctx may have broken this one
	switch {
	case err == nil || w.committed:
		return err
	case len(w.undo) == 0:
		return unchanged(err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if rerr := w.rollback(rctx, pool); rerr != nil {
		d.logger.Error("a failed swap could not put the target back", "database", target, "error", rerr)
		return fmt.Errorf("%w; putting the target back failed, it is NOT as before: %w", err, rerr)
	}
	return unchanged(fmt.Errorf("%w; the target is put back as it was", err))
}

// swapper holds one swap's progress; undo lists, in order, what puts the
// target back; rollback runs it backwards.
type swapper struct {
	s               *session
	lease           *lease
	scratch, target string
	old, new        *schema
	undo            []func(ctx context.Context, s *session) error
	holds           []string // hold names: old tables first, then old views
	committed       bool     // the restored database is in place
}

// holdPrefix starts the names the target's tables and views have between
// the RENAME and the end of a swap.
const holdPrefix = dump.HoldPrefix

// swapLockWaitDefault bounds how long a swap statement waits for a lock
// another session holds (a long transaction on a target table); the
// server's default lock_wait_timeout is a day or a year.
const swapLockWaitDefault = 60 * time.Second

// swapLockWait is swapLockWaitDefault; tests shorten it.
var swapLockWait = swapLockWaitDefault

func (w *swapper) run(ctx context.Context) (err error) {
	if w.new, err = w.s.readSchema(ctx, w.scratch); err != nil {
		return fmt.Errorf("reading the restored database: %w", err)
	}
	if w.old, err = w.s.readSchema(ctx, w.target); err != nil {
		return fmt.Errorf("reading the target: %w", err)
	}
	if err := w.unqualify(); err != nil {
		return err
	}
	if err := w.checkPrivileges(ctx); err != nil {
		return err
	}
	if err := checkForeignReferences(ctx, w.s.c, w.target); err != nil {
		return err
	}
	for _, t := range w.new.triggers {
		if err := w.s.drop(ctx, w.scratch, t); err != nil {
			return err
		}
	}
	// Old triggers whose names the new ones take are dropped after the
	// RENAME; they are put back only after the RENAME is undone.
	var dropped []object
	w.undo = append(w.undo, func(ctx context.Context, s *session) error {
		return createAll(ctx, s, dropped, func(object) {})
	})
	if err := w.renameTables(ctx); err != nil {
		return err
	}
	if err := w.s.exec(ctx, "USE "+quoteIdent(w.target)); err != nil {
		return err
	}
	for _, t := range w.old.triggers {
		if slices.ContainsFunc(w.new.triggers, func(n object) bool { return n.name == t.name }) {
			if err := w.s.drop(ctx, w.target, t); err != nil {
				return err
			}
			dropped = append(dropped, t)
		}
	}
	// Dropped backwards, so that the undo (which runs backwards) recreates
	// them in their own order: a package before its body.
	for _, o := range slices.Backward(slices.Concat(w.old.routines, w.old.events)) {
		if err := w.s.drop(ctx, w.target, o); err != nil {
			return err
		}
		w.undo = append(w.undo, func(ctx context.Context, s *session) error { return s.create(ctx, o) })
	}
	if err := w.setDefaults(ctx); err != nil {
		return err
	}
	err = createAll(ctx, w.s, slices.Concat(w.new.routines, w.new.views, w.new.triggers, w.new.events), func(o object) {
		w.undo = append(w.undo, func(ctx context.Context, s *session) error { return s.drop(ctx, w.target, o) })
	})
	if err != nil {
		return err
	}
	if swapFault != nil {
		if err := swapFault(); err != nil {
			return err
		}
	}
	return w.dropHolds(ctx)
}

// swapFault, when set (by tests), fails a swap just before its last step,
// after every change that a rollback undoes.
var swapFault func() error

// unqualify makes the new definitions name the target instead of the
// scratch database, and refuses any that would still name it.
func (w *swapper) unqualify() error {
	for _, list := range [][]object{w.new.views, w.new.routines, w.new.triggers, w.new.events} {
		for i := range list {
			o := &list[i]
			o.create = strings.ReplaceAll(o.create, quoteIdent(w.scratch)+".", "")
			if strings.Contains(o.create, w.scratch) {
				return fmt.Errorf("%s refers to the scratch database %s; not restorable this way", o, w.scratch)
			}
		}
	}
	return nil
}

// renameTables is step 2: one atomic RENAME TABLE, undone by another.
func (w *swapper) renameTables(ctx context.Context) error {
	var fwd, back []string
	tag := dump.RandomTag(4)
	if err := w.lease.take(ctx, holdPrefix+tag); err != nil {
		return err
	}
	for i, name := range slices.Concat(w.old.tables, objectNames(w.old.views)) {
		hold := holdPrefix + tag + "_" + strconv.Itoa(i)
		fwd = append(fwd, w.qualified(w.target, name)+" TO "+w.qualified(w.target, hold))
		back = append(back, w.qualified(w.target, hold)+" TO "+w.qualified(w.target, name))
		w.holds = append(w.holds, hold)
	}
	for _, name := range w.new.tables {
		fwd = append(fwd, w.qualified(w.scratch, name)+" TO "+w.qualified(w.target, name))
		back = append([]string{w.qualified(w.target, name) + " TO " + w.qualified(w.scratch, name)}, back...)
	}
	if len(fwd) == 0 {
		return nil
	}
	if err := w.s.exec(ctx, "RENAME TABLE "+strings.Join(fwd, ", ")); err != nil {
		if code, _ := errorCode(err); code == errLockWaitTimeout {
			return w.lockedError(ctx, err)
		}
		return fmt.Errorf("moving the restored tables in: %w", err)
	}
	w.undo = append(w.undo, func(ctx context.Context, s *session) error {
		return s.exec(ctx, "RENAME TABLE "+strings.Join(back, ", "))
	})
	return nil
}

// errLockWaitTimeout is ER_LOCK_WAIT_TIMEOUT.
const errLockWaitTimeout = 1205

// lockedError says which table of the target another session holds a lock
// on, found by trying to lock each one without waiting.
func (w *swapper) lockedError(ctx context.Context, err error) error {
	where := "a table of " + quoteIdent(w.target)
	for _, t := range w.old.tables {
		lerr := w.s.exec(ctx, "LOCK TABLES "+w.qualified(w.target, t)+" WRITE NOWAIT")
		_ = w.s.exec(ctx, "UNLOCK TABLES")
		if code, _ := errorCode(lerr); code == errLockWaitTimeout {
			where = w.qualified(w.target, t)
			break
		}
	}
	return fmt.Errorf("another session holds a lock on %s (an open transaction or a long statement using it); "+
		"the swap waited %s for it: end that session's transaction or statement and restore again: %w", where, swapLockWait, err)
}

// setDefaults gives the target the restored database's character set and
// collation, before the new routines take them over.
func (w *swapper) setDefaults(ctx context.Context) error {
	if w.old.charset == w.new.charset && w.old.collation == w.new.collation {
		return nil
	}
	alter := func(ctx context.Context, s *session, cs, coll string) error {
		return s.exec(ctx, "ALTER DATABASE "+quoteIdent(w.target)+" CHARACTER SET "+cs+" COLLATE "+coll)
	}
	if err := alter(ctx, w.s, w.new.charset, w.new.collation); err != nil {
		return err
	}
	w.undo = append(w.undo, func(ctx context.Context, s *session) error {
		return alter(ctx, s, w.old.charset, w.old.collation)
	})
	return nil
}

// dropHolds is step 4, past which nothing is undone. The restored database
// is in place before it starts, so it runs to its end even when ctx ends
// (a client that left just then): the old tables go, and the restore
// counts as done, not as canceled with its target already replaced.
func (w *swapper) dropHolds(ctx context.Context) error {
	w.undo, w.committed = nil, true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var tables, views []string
	for i, hold := range w.holds {
		if i < len(w.old.tables) {
			tables = append(tables, w.qualified(w.target, hold))
		} else {
			views = append(views, w.qualified(w.target, hold))
		}
	}
	var errs []error
	if len(views) > 0 {
		errs = append(errs, w.s.exec(ctx, "DROP VIEW IF EXISTS "+strings.Join(views, ", ")))
	}
	if len(tables) > 0 {
		errs = append(errs, w.s.exec(ctx, "DROP TABLE IF EXISTS "+strings.Join(tables, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("the restored database is in place, but the replaced tables remain as %s* in it: %w", holdPrefix, err)
	}
	return nil
}

// rollback runs the undo steps backwards on a fresh session, all of them
// even when one fails.
func (w *swapper) rollback(ctx context.Context, pool *sql.DB) error {
	s, err := openSession(ctx, pool, cleanupTimeout)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.exec(ctx, "USE "+quoteIdent(w.target)); err != nil {
		return err
	}
	var errs []error
	for i := len(w.undo) - 1; i >= 0; i-- {
		if err := w.undo[i](ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// createAll creates objects in the current database, calling created after
// each. A view may use one not made yet, so views that fail are tried again
// while any other succeeds.
func createAll(ctx context.Context, s *session, objs []object, created func(object)) error {
	for len(objs) > 0 {
		var failed []object
		var first error
		for _, o := range objs {
			if err := s.create(ctx, o); err != nil {
				if o.kind != "VIEW" {
					return err
				}
				failed = append(failed, o)
				first = cmp.Or(first, err)
				continue
			}
			created(o)
		}
		if len(failed) == len(objs) {
			return first
		}
		objs = failed
	}
	return nil
}

func (w *swapper) qualified(db, name string) string { return quoteIdent(db) + "." + quoteIdent(name) }

func objectNames(objs []object) []string {
	var names []string
	for _, o := range objs {
		names = append(names, o.name)
	}
	return names
}

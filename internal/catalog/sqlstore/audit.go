package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// AppendAudit records e and sets e.ID. See catalog.Store.
func (s *Store) AppendAudit(ctx context.Context, e *catalog.AuditEntry) error {
	if e.At.IsZero() {
		return fmt.Errorf("catalog: append audit: no time")
	}
	at, err := formatTime(e.At)
	if err != nil {
		return fmt.Errorf("catalog: append audit: %w", err)
	}
	e.Actor = auditText(e.Actor, catalog.MaxAuditName)
	e.Address = auditText(e.Address, catalog.MaxAuditName)
	e.Action = auditText(e.Action, catalog.MaxAuditWord)
	e.Target = auditText(e.Target, catalog.MaxAuditName)
	e.Outcome = auditText(e.Outcome, catalog.MaxAuditWord)
	e.Detail = auditText(e.Detail, catalog.MaxAuditDetail)
	const insert = `INSERT INTO audit ("at", actor, address, "action", target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`
	args := []any{at, e.Actor, e.Address, e.Action, e.Target, e.Outcome, e.Detail}
	if s.d.ReturningID {
		err = s.queryRow(ctx, s.db, insert+` RETURNING id`, args...).Scan(&e.ID)
	} else {
		var res sql.Result
		if res, err = s.exec(ctx, s.db, insert, args...); err == nil {
			e.ID, err = res.LastInsertId()
		}
	}
	if err != nil {
		return fmt.Errorf("catalog: append audit: %w", err)
	}
	return nil
}

// auditText is v as an audit column holds it: valid UTF-8, every control
// character (newlines included) a space, at most max characters (a cut
// text ends in "…").
func auditText(v string, max int) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) <= max {
		return v
	}
	rs := []rune(v)
	return string(rs[:max-1]) + "…"
}

// Audit returns the entries matching f, newest first. See catalog.Store.
func (s *Store) Audit(ctx context.Context, f catalog.AuditFilter) ([]catalog.AuditEntry, error) {
	if f.Limit < 0 || f.Before < 0 {
		return nil, fmt.Errorf("catalog: audit: negative limit %d or cursor %d", f.Limit, f.Before)
	}
	var c conditions
	c.eq(`"action"`, f.Action)
	c.eq("actor", f.Actor)
	c.eq("target", f.Target)
	if !f.Since.IsZero() {
		t, err := formatTime(f.Since)
		if err != nil {
			return nil, fmt.Errorf("catalog: audit: since: %w", err)
		}
		c.add(`"at" >= ?`, t)
	}
	if !f.Until.IsZero() {
		t, err := formatTime(f.Until)
		if err != nil {
			return nil, fmt.Errorf("catalog: audit: until: %w", err)
		}
		c.add(`"at" < ?`, t)
	}
	if f.Before > 0 {
		c.add("id < ?", f.Before)
	}
	var q strings.Builder
	q.WriteString(`SELECT id, "at", actor, address, "action", target, outcome, detail FROM audit`)
	if len(c.where) > 0 {
		q.WriteString(" WHERE " + strings.Join(c.where, " AND "))
	}
	q.WriteString(" ORDER BY id DESC")
	args := c.args
	if f.Limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}
	rows, err := s.queryRows(ctx, s.db, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: audit: %w", err)
	}
	defer rows.Close()
	out := []catalog.AuditEntry{}
	for rows.Next() {
		var (
			e  catalog.AuditEntry
			at string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Address, &e.Action, &e.Target, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("catalog: audit: %w", err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("catalog: audit: entry %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: audit: %w", err)
	}
	return out, nil
}

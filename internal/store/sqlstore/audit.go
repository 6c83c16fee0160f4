package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

const auditCols = `seq, at, kind, actor, subject, addr, data, prev_hash, hash`

// LastAudit returns the newest audit entry this transaction sees.
func (t *tx) LastAudit() (store.AuditEntry, error) {
	e, err := scanAudit(t.row(`SELECT ` + auditCols + ` FROM audit ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuditEntry{}, nil
	}
	return e, t.s.wrap("last audit entry", err)
}

// AppendAudit numbers e after the newest entry and stores it. Every write
// transaction holds the engine's write lock (SQLite's single writer, the
// PostgreSQL advisory lock), so MAX + 1 cannot race and a rolled-back
// write gives its number back.
func (t *tx) AppendAudit(e store.AuditEntry) (store.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return store.AuditEntry{}, err
	}
	var last int64
	if err := t.row(`SELECT COALESCE(MAX(seq), 0) FROM audit`).Scan(&last); err != nil {
		return store.AuditEntry{}, t.s.wrap("append audit entry", err)
	}
	if e.Seq != 0 && e.Seq != last+1 {
		return store.AuditEntry{}, errs.E(errs.FailedPrecondition, "audit entry numbered %d, but the next is %d", e.Seq, last+1)
	}
	e.Seq, e.At = last+1, e.At.UTC()
	e.PrevHash, e.Hash = nonNil(e.PrevHash), nonNil(e.Hash)
	_, err := t.exec(`INSERT INTO audit (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At.UnixNano(), e.Kind, e.Actor, e.Subject, e.Addr, string(e.Data), e.PrevHash, e.Hash)
	if err != nil {
		return store.AuditEntry{}, t.s.wrap("append audit entry", err)
	}
	return e, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Audit returns one filtered page of the audit log.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	b := query.NewBuilder(s.d).S(`SELECT ` + auditCols + ` FROM audit WHERE seq > `).Param(q.After)
	if len(q.Kinds) > 0 {
		kinds := make([]any, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = k
		}
		b.S(` AND kind IN (`).Params(kinds...).S(`)`)
	}
	if q.Actor != "" {
		b.S(` AND actor = `).Param(q.Actor)
	}
	if q.Subject != "" {
		b.S(` AND subject = `).Param(q.Subject)
	}
	if !q.Since.IsZero() {
		b.S(` AND at >= `).Param(q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		b.S(` AND at < `).Param(q.Until.UnixNano())
	}
	b.S(` ORDER BY seq LIMIT `).Param(q.Limit)
	rows, err := s.read.QueryContext(ctx, b.SQL(), b.Args()...)
	return s.auditRows(rows, err)
}

// AuditRange returns audit entries after a sequence number, unfiltered.
func (s *Store) AuditRange(ctx context.Context, afterSeq int64, limit int) ([]store.AuditEntry, error) {
	if limit < 1 || limit > store.MaxAuditPage {
		return nil, errs.E(errs.InvalidArgument, "limit must be 1 to %d", store.MaxAuditPage)
	}
	rows, err := s.reader(ctx).rows(`SELECT `+auditCols+` FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	return s.auditRows(rows, err)
}

func (s *Store) auditRows(rows *sql.Rows, err error) ([]store.AuditEntry, error) {
	out, err := collect(rows, err, func(r *sql.Rows) (store.AuditEntry, error) { return scanAudit(r) })
	if err != nil {
		return nil, s.wrap("read audit log", err)
	}
	if out == nil {
		out = []store.AuditEntry{}
	}
	return out, nil
}

func scanAudit(sc scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at int64
	var data string
	err := sc.Scan(&e.Seq, &at, &e.Kind, &e.Actor, &e.Subject, &e.Addr, &data, &e.PrevHash, &e.Hash)
	if err != nil {
		return store.AuditEntry{}, err
	}
	e.At, e.Data = time.Unix(0, at).UTC(), []byte(data)
	return e, nil
}

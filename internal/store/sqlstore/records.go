package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

const recordCols = `kind, id, owner, data, expires, updated`

// Record returns one record.
func (s *Store) Record(ctx context.Context, kind, id string) (store.Record, error) {
	return s.record(s.reader(ctx), kind, id, false)
}

func (s *Store) record(c conn, kind, id string, lock bool) (store.Record, error) {
	stmt := `SELECT ` + recordCols + ` FROM records WHERE kind = ? AND id = ?`
	if lock && s.d == query.Postgres {
		stmt += ` FOR UPDATE`
	}
	r, err := scanRecord(c.row(stmt, kind, id))
	return r, s.wrap("get record", notFound(err))
}

// Records lists the records of kind owned by owner.
func (s *Store) Records(ctx context.Context, kind, owner string) ([]store.Record, error) {
	rows, err := s.reader(ctx).rows(`SELECT `+recordCols+` FROM records WHERE kind = ? AND owner = ? ORDER BY id`, kind, owner)
	out, err := collect(rows, err, func(r *sql.Rows) (store.Record, error) { return scanRecord(r) })
	return out, s.wrap("list records", err)
}

func scanRecord(sc scanner) (store.Record, error) {
	var r store.Record
	var expires, updated int64
	if err := sc.Scan(&r.Kind, &r.ID, &r.Owner, &r.Data, &expires, &updated); err != nil {
		return store.Record{}, err
	}
	r.Expires, r.Updated = fromNanos(expires), fromNanos(updated)
	return r, nil
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (t *tx) Record(kind, id string) (store.Record, error) {
	return t.s.record(t, kind, id, true)
}

func (t *tx) PutRecord(r store.Record) error {
	r.Updated = t.s.now().UTC()
	if r.Data == nil {
		r.Data = []byte{}
	}
	_, err := t.exec(`INSERT INTO records (`+recordCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, data = excluded.data,
		expires = excluded.expires, updated = excluded.updated`,
		r.Kind, r.ID, r.Owner, r.Data, toNanos(r.Expires), toNanos(r.Updated))
	return t.s.wrap("put record", err)
}

func (t *tx) UpdateRecord(kind, id string, fn func(store.Record) (store.Record, error)) (store.Record, error) {
	cur, err := t.Record(kind, id)
	if err != nil {
		return store.Record{}, err
	}
	next, err := fn(cur)
	if err != nil {
		return store.Record{}, err
	}
	next.Kind, next.ID = kind, id
	if err := t.PutRecord(next); err != nil {
		return store.Record{}, err
	}
	return t.Record(kind, id)
}

func (t *tx) DeleteRecord(kind, id string) error {
	res, err := t.exec(`DELETE FROM records WHERE kind = ? AND id = ?`, kind, id)
	return t.s.wrap("delete record", affected(res, err))
}

// affected turns "no row touched" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

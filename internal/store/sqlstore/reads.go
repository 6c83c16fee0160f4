package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// Get returns the current version of a document.
func (s *Store) Get(ctx context.Context, coll, id string) (store.Doc, error) {
	return s.getDoc(s.reader(ctx), coll, id, false)
}

// GetMeta returns the current version of a document without its fields.
func (s *Store) GetMeta(ctx context.Context, coll, id string) (store.Doc, error) {
	body, err := s.getBody(s.reader(ctx), coll, id, false)
	if err != nil {
		return store.Doc{}, err
	}
	return store.DecodeMeta(coll, body)
}

func (s *Store) getDoc(c conn, coll, id string, lock bool) (store.Doc, error) {
	body, err := s.getBody(c, coll, id, lock)
	if err != nil {
		return store.Doc{}, err
	}
	return store.DecodeDoc(coll, body)
}

func (s *Store) getBody(c conn, coll, id string, lock bool) ([]byte, error) {
	stmt := `SELECT body FROM documents WHERE collection = ? AND id = ?`
	if lock && s.d == query.Postgres {
		stmt += ` FOR UPDATE`
	}
	var body []byte
	if err := c.row(stmt, coll, id).Scan(&body); err != nil {
		return nil, s.wrap("get document", notFound(err))
	}
	return body, nil
}

// GetVersion returns version v of a live document.
func (s *Store) GetVersion(ctx context.Context, coll, id string, v int64) (store.Doc, error) {
	cur, err := s.Get(ctx, coll, id)
	if err != nil || cur.Version == v {
		return cur, err
	}
	if v < 1 || v > cur.Version {
		return store.Doc{}, store.ErrNotFound
	}
	return s.historyDoc(ctx, coll, id, `SELECT body FROM history WHERE collection = ? AND doc_id = ? AND version = ? AND op <> 'delete'`, v)
}

// Tombstone returns the last version of a deleted document.
func (s *Store) Tombstone(ctx context.Context, coll, id string) (store.Doc, error) {
	return s.historyDoc(ctx, coll, id, `SELECT body FROM history WHERE collection = ? AND doc_id = ? AND op = 'delete' ORDER BY version DESC LIMIT 1`)
}

func (s *Store) historyDoc(ctx context.Context, coll, id, stmt string, args ...any) (store.Doc, error) {
	var body []byte
	err := s.reader(ctx).row(stmt, append([]any{coll, id}, args...)...).Scan(&body)
	if err != nil {
		return store.Doc{}, s.wrap("get history", notFound(err))
	}
	return store.DecodeDoc(coll, body)
}

// visible starts a statement over the documents of coll that p may read.
func (s *Store) visible(b *query.Builder, coll string, p acl.Principals, filter query.Filter) {
	// coll passed ValidCollection, so it is safe as a literal, and a literal
	// is what lets the engines use the collection's partial indexes.
	b.S(" FROM documents d WHERE d.collection = ").Literal(coll).S(" AND ")
	acl.Predicate(b, p, acl.Read, "d")
	if !filter.IsEmpty() {
		b.S(" AND (")
		filter.Compile(b, "d.body")
		b.S(")")
	}
}

// Find returns one page of the documents p may read that match f.
func (s *Store) Find(ctx context.Context, coll string, p acl.Principals, f store.Find) ([]store.Doc, error) {
	if err := store.ValidCollection(coll); err != nil {
		return nil, err
	}
	b := query.NewBuilder(s.d).S("SELECT d.body")
	s.visible(b, coll, p, f.Filter)
	if f.After != nil {
		b.S(" AND (")
		query.CompileAfter(b, f.Sort, *f.After, "d.body", "d.id")
		b.S(")")
	}
	b.S(" ")
	query.CompileOrderBy(b, f.Sort, "d.body", "d.id")
	b.S(" LIMIT ").Param(f.Limit)
	decode := store.DecodeDoc
	if f.MetaOnly {
		decode = store.DecodeMeta
	}
	rows, err := s.read.QueryContext(ctx, b.SQL(), b.Args()...)
	out, err := collect(rows, err, func(r *sql.Rows) (store.Doc, error) {
		var body []byte
		if err := r.Scan(&body); err != nil {
			return store.Doc{}, err
		}
		return decode(coll, body)
	})
	return out, s.wrap("find", err)
}

// Count counts the documents p may read that match filter.
func (s *Store) Count(ctx context.Context, coll string, p acl.Principals, filter query.Filter) (int64, error) {
	if err := store.ValidCollection(coll); err != nil {
		return 0, err
	}
	b := query.NewBuilder(s.d).S("SELECT COUNT(*)")
	s.visible(b, coll, p, filter)
	var n int64
	err := s.read.QueryRowContext(ctx, b.SQL(), b.Args()...).Scan(&n)
	return n, s.wrap("count", err)
}

// Distinct returns up to limit+1 distinct values of path.
func (s *Store) Distinct(ctx context.Context, coll string, p acl.Principals, path query.Path, filter query.Filter, limit int) ([]json.RawMessage, error) {
	if err := store.ValidCollection(coll); err != nil {
		return nil, err
	}
	v := query.ValueExpr(s.d, "d.body", path)
	b := query.NewBuilder(s.d).S("SELECT DISTINCT ", v, " AS v")
	s.visible(b, coll, p, filter)
	b.S(" AND ", v, " IS NOT NULL ORDER BY v LIMIT ").Param(limit + 1)
	return s.jsonRows(ctx, "distinct", b)
}

// Aggregate runs pipeline over the documents p may read.
func (s *Store) Aggregate(ctx context.Context, coll string, p acl.Principals, pipeline query.Pipeline) ([]json.RawMessage, error) {
	if err := store.ValidCollection(coll); err != nil {
		return nil, err
	}
	b := query.NewBuilder(s.d)
	pipeline.Compile(b, func(b *query.Builder) {
		b.S("SELECT d.body AS body")
		s.visible(b, coll, p, query.Filter{})
	}, MaxAggregateRows)
	return s.jsonRows(ctx, "aggregate", b)
}

// MaxAggregateRows caps what one aggregate returns.
const MaxAggregateRows = 1000

func (s *Store) jsonRows(ctx context.Context, op string, b *query.Builder) ([]json.RawMessage, error) {
	rows, err := s.read.QueryContext(ctx, b.SQL(), b.Args()...)
	out, err := collect(rows, err, func(r *sql.Rows) (json.RawMessage, error) {
		var v []byte
		err := r.Scan(&v)
		return v, err
	})
	if out == nil {
		out = []json.RawMessage{}
	}
	return out, s.wrap(op, err)
}

// Readable returns which of ids p may read now.
func (s *Store) Readable(ctx context.Context, coll string, p acl.Principals, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if err := store.ValidCollection(coll); err != nil {
		return nil, err
	}
	b := query.NewBuilder(s.d).S("SELECT d.id")
	s.visible(b, coll, p, query.Filter{})
	b.S(" AND d.id IN (")
	for i, id := range ids {
		if i > 0 {
			b.S(", ")
		}
		b.Param(id)
	}
	b.S(")")
	rows, err := s.read.QueryContext(ctx, b.SQL(), b.Args()...)
	found, err := collect(rows, err, scanString)
	for _, id := range found {
		out[id] = true
	}
	return out, s.wrap("readable", err)
}

// Changes returns change-log entries after a sequence number.
func (s *Store) Changes(ctx context.Context, coll string, after int64, limit int) ([]store.Change, error) {
	stmt := `SELECT seq, collection, doc_id, op, version, hlc, origin, priority, at FROM changes WHERE seq > ?`
	args := []any{after}
	if coll != "" {
		stmt += ` AND collection = ?`
		args = append(args, coll)
	}
	rows, err := s.reader(ctx).rows(stmt+` ORDER BY seq LIMIT ?`, append(args, limit)...)
	out, err := collect(rows, err, func(r *sql.Rows) (store.Change, error) {
		var c store.Change
		var hlcv, at int64
		err := r.Scan(&c.Seq, &c.Collection, &c.DocID, &c.Op, &c.Version, &hlcv, &c.Origin, &c.Priority, &at)
		c.HLC, c.At = uint64(hlcv), time.Unix(0, at).UTC()
		return c, err
	})
	return out, s.wrap("changes", err)
}

// LastSeq is the highest committed change-log sequence.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.reader(ctx).row(`SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&n)
	return n, s.wrap("last seq", err)
}

// Collection returns a collection's settings.
func (s *Store) Collection(ctx context.Context, name string) (store.Collection, error) {
	return s.collection(s.reader(ctx), name)
}

// collection reads through the cache unless c is a transaction that has
// changed collections itself and must see its own writes.
func (s *Store) collection(c conn, name string) (store.Collection, error) {
	if t, ok := c.(*tx); ok && t.wroteCollections {
		return s.loadCollection(c, name)
	}
	now := time.Now()
	if col, _, ok := s.colls.get(name, now); ok {
		return col, nil
	}
	_, gen, _ := s.colls.get(name, now)
	col, err := s.loadCollection(c, name)
	if err == nil {
		s.colls.put(name, col, gen, now)
	}
	return col, err
}

func (s *Store) loadCollection(c conn, name string) (store.Collection, error) {
	var raw []byte
	err := c.row(`SELECT settings FROM collections WHERE name = ?`, name).Scan(&raw)
	if err != nil {
		return store.Collection{}, s.wrap("get collection", notFound(err))
	}
	return decodeJSON[store.Collection](raw)
}

// Collections lists every collection by name.
func (s *Store) Collections(ctx context.Context) ([]store.Collection, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT settings FROM collections ORDER BY name`)
	out, err := collect(rows, err, scanJSON[store.Collection])
	return out, s.wrap("list collections", err)
}

// Indexes lists a collection's indexes by name.
func (s *Store) Indexes(ctx context.Context, coll string) ([]store.Index, error) {
	rows, err := s.reader(ctx).rows(`SELECT spec FROM indexes WHERE collection = ? ORDER BY name`, coll)
	out, err := collect(rows, err, scanJSON[store.Index])
	for i := range out {
		out[i].Collection = coll
	}
	if out == nil {
		out = []store.Index{}
	}
	return out, s.wrap("list indexes", err)
}

// collect scans every row of a query with scan, closing the rows.
func collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanString(r *sql.Rows) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

func scanJSON[T any](r *sql.Rows) (T, error) {
	var raw []byte
	if err := r.Scan(&raw); err != nil {
		var zero T
		return zero, err
	}
	return decodeJSON[T](raw)
}

func decodeJSON[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode stored %T: %w", v, err)
	}
	return v, nil
}

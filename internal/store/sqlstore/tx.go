package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// tx is one write inside a group commit.
type tx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
	// wroteCollections makes collection reads skip the cache, which holds
	// only committed settings.
	wroteCollections bool
}

var _ store.Tx = (*tx)(nil)

// guarded runs a statement that may fail on a constraint. PostgreSQL aborts
// the whole transaction on any error, so there it runs under a savepoint that
// is rolled back on failure; SQLite undoes only the failed statement.
func (t *tx) guarded(fn func() error) error {
	if t.s.d != query.Postgres {
		return fn()
	}
	if _, err := t.tx.ExecContext(t.ctx, "SAVEPOINT g"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rbErr := t.tx.ExecContext(t.ctx, "ROLLBACK TO SAVEPOINT g"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, "RELEASE SAVEPOINT g")
	return err
}

func (t *tx) Get(coll, id string) (store.Doc, error) {
	return t.s.getDoc(t, coll, id, true)
}

func (t *tx) Insert(d store.Doc) (store.Doc, error) {
	c, err := t.Collection(d.Collection)
	if err != nil {
		return store.Doc{}, err
	}
	now := t.s.now().UTC()
	d.Version, d.Created, d.Modified = 1, now, now
	if d.ModifiedBy == "" {
		d.ModifiedBy = d.CreatedBy
	}
	body, err := json.Marshal(d)
	if err != nil {
		return store.Doc{}, err
	}
	// DO NOTHING instead of failing keeps a PostgreSQL transaction usable
	// when the id or a unique index value is taken.
	res, err := t.exec(`INSERT INTO documents (collection, id, version, body) VALUES (?, ?, 1, ?) ON CONFLICT DO NOTHING`,
		d.Collection, d.ID, string(body))
	if err := affected(res, err); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Doc{}, t.conflict(d.Collection, d.ID)
		}
		return store.Doc{}, t.s.wrap("insert", err)
	}
	// A re-used id starts a new life: the old one's history goes.
	if _, err := t.exec(`DELETE FROM history WHERE collection = ? AND doc_id = ?`, d.Collection, d.ID); err != nil {
		return store.Doc{}, t.s.wrap("insert", err)
	}
	if err := t.writeACL(d.Collection, d.ID, d.ACL); err != nil {
		return store.Doc{}, err
	}
	return d.WithRaw(body), t.logChange(c, d.ID, store.OpInsert, 1)
}

// conflict says why an insert did not land.
func (t *tx) conflict(coll, id string) error {
	if _, err := t.Get(coll, id); err == nil {
		return &errs.Error{Code: errs.Conflict, Message: "a document with this _id exists", Err: store.ErrExists}
	}
	return &errs.Error{Code: errs.Conflict, Message: "a unique index already holds this value", Err: store.ErrExists}
}

func (t *tx) Update(coll, id string, fn func(store.Doc) (store.Doc, error)) (store.Doc, error) {
	cur, err := t.Get(coll, id)
	if err != nil {
		return store.Doc{}, err
	}
	c, err := t.Collection(coll)
	if err != nil {
		return store.Doc{}, err
	}
	prev, err := cur.JSON()
	if err != nil {
		return store.Doc{}, err
	}
	next, err := fn(cur)
	if err != nil {
		return store.Doc{}, err
	}
	next.Collection, next.ID, next.Version = coll, id, cur.Version+1
	next.Created, next.CreatedBy, next.Modified = cur.Created, cur.CreatedBy, t.s.now().UTC()
	if next.ModifiedBy == "" {
		next.ModifiedBy = cur.ModifiedBy
	}
	body, err := json.Marshal(next)
	if err != nil {
		return store.Doc{}, err
	}
	if err := t.replace(c, cur, next, prev, body); err != nil {
		return store.Doc{}, err
	}
	return next.WithRaw(body), nil
}

func (t *tx) replace(c store.Collection, cur, next store.Doc, prev, body []byte) error {
	if c.History {
		if err := t.addHistory(cur.Collection, cur.ID, cur.Version, "version", prev); err != nil {
			return err
		}
	}
	err := t.guarded(func() error {
		res, err := t.exec(`UPDATE documents SET version = ?, body = ? WHERE collection = ? AND id = ? AND version = ?`,
			next.Version, string(body), cur.Collection, cur.ID, cur.Version)
		return affected(res, err)
	})
	if err != nil {
		if t.s.cfg.IsUnique != nil && t.s.cfg.IsUnique(err) {
			return &errs.Error{Code: errs.Conflict, Message: "a unique index already holds this value", Err: store.ErrExists}
		}
		return t.s.wrap("update", err)
	}
	if !sameACL(cur.ACL, next.ACL) {
		if err := t.clearACL(cur.Collection, cur.ID); err != nil {
			return err
		}
		if err := t.writeACL(cur.Collection, cur.ID, next.ACL); err != nil {
			return err
		}
	}
	return t.logChange(c, cur.ID, store.OpUpdate, next.Version)
}

func (t *tx) Delete(coll, id string, fn func(store.Doc) error) (store.Doc, error) {
	cur, err := t.Get(coll, id)
	if err != nil {
		return store.Doc{}, err
	}
	if err := fn(cur); err != nil {
		return store.Doc{}, err
	}
	c, err := t.Collection(coll)
	if err != nil {
		return store.Doc{}, err
	}
	body, err := cur.JSON()
	if err != nil {
		return store.Doc{}, err
	}
	if _, err := t.exec(`DELETE FROM documents WHERE collection = ? AND id = ?`, coll, id); err != nil {
		return store.Doc{}, t.s.wrap("delete", err)
	}
	if err := t.clearACL(coll, id); err != nil {
		return store.Doc{}, err
	}
	// The tombstone keeps the last ACL, so watchers and mesh links can still
	// decide who may learn of the delete.
	if err := t.addHistory(coll, id, cur.Version+1, "delete", body); err != nil {
		return store.Doc{}, err
	}
	return cur, t.logChange(c, id, store.OpDelete, cur.Version+1)
}

func (t *tx) addHistory(coll, id string, version int64, op string, body []byte) error {
	_, err := t.exec(`INSERT INTO history (collection, doc_id, version, op, body, at) VALUES (?, ?, ?, ?, ?, ?)`,
		coll, id, version, op, string(body), t.s.now().UnixNano())
	return t.s.wrap("write history", err)
}

func (t *tx) clearACL(coll, id string) error {
	_, err := t.exec(`DELETE FROM doc_acl WHERE collection = ? AND doc_id = ?`, coll, id)
	return t.s.wrap("clear acl", err)
}

func (t *tx) writeACL(coll, id string, l acl.List) error {
	if len(l) == 0 {
		return nil
	}
	b := query.NewBuilder(t.s.d).S("INSERT INTO doc_acl (collection, doc_id, principal, deny, rights) VALUES ")
	for i, e := range l {
		if i > 0 {
			b.S(", ")
		}
		deny := 0
		if e.Deny {
			deny = 1
		}
		b.S("(").Params(coll, id, e.ID, deny, int64(e.Rights)).S(")")
	}
	_, err := t.tx.ExecContext(t.ctx, b.SQL(), b.Args()...)
	return t.s.wrap("write acl", err)
}

func sameACL(a, b acl.List) bool {
	a, b = a.Normalize(), b.Normalize()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (t *tx) logChange(c store.Collection, id string, op store.Op, version int64) error {
	_, err := t.exec(`INSERT INTO changes (collection, doc_id, op, version, hlc, origin, priority, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Name, id, string(op), version, int64(t.s.clock.Now()), t.s.cfg.Origin, c.Priority, t.s.now().UnixNano())
	return t.s.wrap("write change log", err)
}

func (t *tx) Collection(name string) (store.Collection, error) {
	return t.s.collection(t, name)
}

func (t *tx) PutCollection(c store.Collection) error {
	if err := store.ValidCollection(c.Name); err != nil {
		return err
	}
	if c.Created.IsZero() {
		c.Created = t.s.now().UTC()
	}
	t.wroteCollections = true
	t.s.collsChanged.Store(true)
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO collections (name, settings) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET settings = excluded.settings`, c.Name, string(raw))
	return t.s.wrap("put collection", err)
}

// physicalIndex names an index in the engine; hashing keeps it short and
// free of anything a caller wrote.
func physicalIndex(coll, name string) string {
	h := sha256.Sum256([]byte(coll + "\x00" + name))
	return "ix_" + hex.EncodeToString(h[:12])
}

func (t *tx) CreateIndex(ix store.Index) error {
	if err := ix.Validate(); err != nil {
		return err
	}
	if _, err := t.Collection(ix.Collection); err != nil {
		return err
	}
	phys := physicalIndex(ix.Collection, ix.Name)
	spec, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	res, err := t.exec(`INSERT INTO indexes (collection, name, physical, spec) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ix.Collection, ix.Name, phys, string(spec))
	if err := affected(res, err); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &errs.Error{Code: errs.Conflict, Message: "an index with this name exists", Err: store.ErrExists}
		}
		return t.s.wrap("create index", err)
	}
	ddl := t.indexDDL(ix, phys)
	if err := t.guarded(func() error { _, err := t.tx.ExecContext(t.ctx, ddl); return err }); err != nil {
		if ix.Unique && t.s.cfg.IsUnique != nil && t.s.cfg.IsUnique(err) {
			return errs.E(errs.FailedPrecondition, "existing documents hold duplicate values for unique index %q", ix.Name)
		}
		return t.s.wrap("create index", err)
	}
	return nil
}

// indexDDL renders a partial expression index over one collection. Paths and
// the collection name passed their grammars; the expressions are exactly
// those filters compile to, so the engines pick the index.
func (t *tx) indexDDL(ix store.Index, phys string) string {
	b := query.NewBuilder(t.s.d).S("CREATE ")
	if ix.Unique {
		b.S("UNIQUE ")
	}
	b.S("INDEX ", phys, " ON documents (")
	for i, p := range ix.Fields {
		if i > 0 {
			b.S(", ")
		}
		b.S("(", query.IndexExpr(t.s.d, "body", p), ")")
	}
	if !ix.Unique {
		// Every page is ordered by id last; with id in the index an
		// equality filter reads rows already in page order, where SQLite
		// would otherwise walk the whole collection by primary key.
		b.S(", id")
	}
	b.S(") WHERE collection = ").Literal(ix.Collection)
	return b.SQL()
}

func (t *tx) DropIndex(coll, name string) error {
	var phys string
	err := t.row(`SELECT physical FROM indexes WHERE collection = ? AND name = ?`, coll, name).Scan(&phys)
	if err != nil {
		return t.s.wrap("drop index", notFound(err))
	}
	if _, err := t.tx.ExecContext(t.ctx, "DROP INDEX "+phys); err != nil {
		return t.s.wrap("drop index", err)
	}
	_, err = t.exec(`DELETE FROM indexes WHERE collection = ? AND name = ?`, coll, name)
	return t.s.wrap("drop index", err)
}

package store

import (
	"context"
	"encoding/json"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
)

// Sentinel errors. They are typed errors, so an edge that receives one
// untranslated still answers with the right code.
var (
	ErrNotFound = errs.E(errs.NotFound, "not found")
	// ErrExists is returned when an id or a unique index value is taken.
	ErrExists = errs.E(errs.Conflict, "already exists")
	// ErrClosed is returned after Close.
	ErrClosed = errs.E(errs.Unavailable, "store is closed")
)

// Store is a database engine behind Rampart.
type Store interface {
	Reader

	// Write runs fn in one transaction and returns after it is durable.
	// If fn returns an error nothing it did is kept and Write returns that
	// error. fn may run while other writes share the same commit (group
	// commit), so it must not block on anything but the Tx.
	Write(ctx context.Context, fn func(Tx) error) error

	// Changed returns a channel closed at the next commit that appended to
	// the change log, or on Poke. Take the channel before reading Changes.
	Changed() <-chan struct{}
	// Poke wakes every Changed waiter, e.g. when another node has committed.
	Poke()

	Dialect() query.Dialect
	Close() error
}

// Reader is the read side of a Store. Every method is safe for concurrent use.
type Reader interface {
	// Get returns the current version of a document, or ErrNotFound.
	Get(ctx context.Context, coll, id string) (Doc, error)
	// GetMeta is Get without decoding the fields: for a read answered
	// with the document as stored (Doc.JSON) after checking its reserved
	// fields. The Doc's Fields is nil.
	GetMeta(ctx context.Context, coll, id string) (Doc, error)
	// GetVersion returns version v of a live document, current or earlier,
	// or ErrNotFound.
	GetVersion(ctx context.Context, coll, id string, v int64) (Doc, error)
	// Tombstone returns the last version of a deleted document, or
	// ErrNotFound.
	Tombstone(ctx context.Context, coll, id string) (Doc, error)

	// Find returns the documents p may read that match f, in f's order.
	Find(ctx context.Context, coll string, p acl.Principals, f Find) ([]Doc, error)
	// Count counts the documents p may read that match the filter.
	Count(ctx context.Context, coll string, p acl.Principals, filter query.Filter) (int64, error)
	// Distinct returns the distinct values of path among the documents p may
	// read that match filter, at most limit+1 of them so callers can tell
	// the limit was exceeded.
	Distinct(ctx context.Context, coll string, p acl.Principals, path query.Path, filter query.Filter, limit int) ([]json.RawMessage, error)
	// Aggregate runs pipeline over the documents p may read.
	Aggregate(ctx context.Context, coll string, p acl.Principals, pipeline query.Pipeline) ([]json.RawMessage, error)
	// Readable returns which of ids p may read now.
	Readable(ctx context.Context, coll string, p acl.Principals, ids []string) (map[string]bool, error)

	// Changes returns up to limit change-log entries with Seq > after, in
	// order; coll "" means every collection.
	Changes(ctx context.Context, coll string, after int64, limit int) ([]Change, error)
	// LastSeq is the highest committed change-log sequence, 0 if none.
	LastSeq(ctx context.Context) (int64, error)

	Collection(ctx context.Context, name string) (Collection, error)
	Collections(ctx context.Context) ([]Collection, error)
	Indexes(ctx context.Context, coll string) ([]Index, error)

	Record(ctx context.Context, kind, id string) (Record, error)
	// Records lists the records of kind owned by owner, by id.
	Records(ctx context.Context, kind, owner string) ([]Record, error)

	// Audit returns up to q.Limit audit entries matching every filter of q,
	// ascending by Seq; an invalid q is an invalid_argument error.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// AuditRange returns up to limit (1 to MaxAuditPage) audit entries with
	// Seq > afterSeq, ascending, unfiltered: the walk that checks the chain.
	AuditRange(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error)
}

// Tx is one write transaction. It sees its own writes. Methods use the
// context given to Write.
type Tx interface {
	Get(coll, id string) (Doc, error)

	// Insert stores a new document with version 1 and the current time,
	// and returns it as stored. ErrExists if the id is taken or a unique
	// index refuses it. The collection must exist.
	Insert(d Doc) (Doc, error)
	// Update hands fn the current document and stores what fn returns as
	// the next version. fn may change Fields, ACL and ModifiedBy; the store
	// sets Version, Modified and keeps identity and creation fields.
	// ErrNotFound if the document does not exist; fn's error is returned as is.
	Update(coll, id string, fn func(cur Doc) (Doc, error)) (Doc, error)
	// Delete hands fn the current document and removes it if fn returns
	// nil. The last version is kept as a tombstone.
	Delete(coll, id string, fn func(cur Doc) error) (Doc, error)

	Collection(name string) (Collection, error)
	// PutCollection creates or replaces a collection's settings.
	PutCollection(c Collection) error
	// CreateIndex builds an expression index; ErrExists if the name is taken.
	CreateIndex(ix Index) error
	// DropIndex removes an index; ErrNotFound if it does not exist.
	DropIndex(coll, name string) error

	Record(kind, id string) (Record, error)
	// PutRecord creates or replaces a record.
	PutRecord(r Record) error
	// UpdateRecord is compare-and-swap on one record; ErrNotFound if missing.
	UpdateRecord(kind, id string, fn func(cur Record) (Record, error)) (Record, error)
	// DeleteRecord removes a record; ErrNotFound if missing.
	DeleteRecord(kind, id string) error

	// LastAudit returns the audit entry with the highest Seq this
	// transaction sees, or the zero entry (Seq 0, Hash nil) when the log is
	// empty.
	LastAudit() (AuditEntry, error)
	// AppendAudit stores e as the next audit entry, Seq LastAudit().Seq+1,
	// and returns it as stored. Sequences follow commit order without gaps:
	// a write that fails leaves no entry and uses up no number. A non-zero
	// e.Seq must equal the next sequence (failed_precondition otherwise), so
	// a caller that hashed the sequence in cannot be renumbered. Entries are
	// never updated or deleted through the store.
	AppendAudit(e AuditEntry) (AuditEntry, error)
}

// Find describes one page of a query.
type Find struct {
	Filter query.Filter
	Sort   []query.SortKey // _id ascending is always the last tie-breaker
	Limit  int
	After  *query.Cursor // keyset position of the previous page's last row
	// MetaOnly decodes only the reserved fields of each document, as
	// GetMeta does, for results answered as stored.
	MetaOnly bool
}

// Op is the kind of change a change-log entry records.
type Op string

const (
	OpInsert Op = "insert"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is one change-log entry.
type Change struct {
	Seq        int64     `json:"seq"`
	Collection string    `json:"collection"`
	DocID      string    `json:"id"`
	Op         Op        `json:"op"`
	Version    int64     `json:"version"`
	HLC        uint64    `json:"hlc"`
	Origin     string    `json:"origin"`
	Priority   int       `json:"priority"`
	At         time.Time `json:"at"`
}

// Record is an opaque piece of server-side state (a password hash, a signing
// key, a session), kept out of the documents table so the data API can never
// reach it.
type Record struct {
	Kind    string
	ID      string
	Owner   string // who it belongs to, for listing; may be ""
	Data    []byte
	Expires time.Time // zero for never; informative, the owner enforces it
	Updated time.Time
}

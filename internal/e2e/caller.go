package e2e

import "context"

// Outcome is one call's answer, normalised so that every transport yields
// the same value for the same behaviour.
type Outcome struct {
	// Code is "" on success, else the error code ("not_found",
	// "permission_denied", ...).
	Code    string
	Message string // the error message, to compare refusals with each other
	// IDs are the _id values of the documents (or aggregate rows) returned.
	IDs []string
	// Values are distinct values or aggregate rows as canonical JSON.
	Values  []string
	Count   int64
	Version int64          // _version of the single document returned
	Doc     map[string]any // the single document returned
	Events  []Event        // watch events, in order
	// Err is a failure below the API: the connection broke, the answer was
	// malformed, or it contradicted itself (e.g. an HTTP status that does
	// not match its error code). Rows fail on it whatever they expect.
	Err error
}

// Event is one watch event.
type Event struct {
	Seq     int64
	Op      string // insert, update or delete
	ID      string
	Version int64
}

// Caller is one signed-in principal talking to a node over some transport.
// Filters and pipelines are JSON-encodable values; nil means none.
type Caller interface {
	Insert(coll string, doc map[string]any) Outcome
	InsertMany(coll string, docs []map[string]any) Outcome
	Get(coll, id string) Outcome
	GetVersion(coll, id string, version int64) Outcome
	Query(coll string, filter any) Outcome
	Count(coll string, filter any) Outcome
	Distinct(coll, field string, filter any) Outcome
	Aggregate(coll string, pipeline any) Outcome
	Replace(coll, id string, doc map[string]any) Outcome
	Patch(coll, id string, patch map[string]any) Outcome
	Delete(coll, id string) Outcome
	// Watch streams the changes of coll after sequence since until stop
	// returns true for an event (Outcome.Events ends with it) or ctx ends
	// (Outcome.Err is set).
	Watch(ctx context.Context, coll string, since int64, stop func(Event) bool) Outcome
}

// Admin is what the scenarios need from the admin surface.
type Admin interface {
	SetMembers(role string, members []string) Outcome
}

// Inspector reads the database directly, under every transport and ACL, so
// rows can tell what a refused call left behind.
type Inspector interface {
	// Peek returns a document's current version, or exists false.
	Peek(coll, id string) (version int64, exists bool, err error)
	CollectionExists(name string) (bool, error)
	LastSeq() (int64, error)
}

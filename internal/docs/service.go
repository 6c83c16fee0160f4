package docs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// Options configure the service.
type Options struct {
	MaxDocument     int // bytes of one document as sent
	MaxDepth        int // nesting of one document
	DefaultPageSize int
	MaxPageSize     int
	MaxInsertMany   int // documents in one atomic insert
	Query           query.Limits
	// AutoCreate makes a collection on its first insert.
	AutoCreate bool
	// WatchPoll is how often a watch looks for changes when nothing woke
	// it; other nodes' commits only reach it this way without a bus.
	WatchPoll time.Duration
	Log       *slog.Logger
}

// Service is the document service.
type Service struct {
	st  store.Store
	opt Options
	log *slog.Logger
}

// New returns the service over st.
func New(st store.Store, opt Options) *Service {
	if opt.MaxDocument <= 0 {
		opt.MaxDocument = 4 << 20
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 32
	}
	if opt.DefaultPageSize <= 0 {
		opt.DefaultPageSize = 100
	}
	if opt.MaxPageSize <= 0 {
		opt.MaxPageSize = 1000
	}
	if opt.MaxInsertMany <= 0 {
		opt.MaxInsertMany = 1000
	}
	if opt.Query == (query.Limits{}) {
		opt.Query = query.DefaultLimits()
	}
	if opt.WatchPoll <= 0 {
		opt.WatchPoll = 2 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Service{st: st, opt: opt, log: opt.Log}
}

func (s *Service) jsonLimits() jsonx.Limits {
	return jsonx.Limits{MaxBytes: s.opt.MaxDocument, MaxDepth: s.opt.MaxDepth}
}

// signedIn refuses calls without a caller; transports authenticate first, so
// this only trips on a wiring mistake.
func signedIn(p acl.Principals) error {
	if p.User == "" || len(p.IDs) == 0 {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	return nil
}

// collection loads a collection's settings for a read.
func (s *Service) collection(ctx context.Context, name string) (store.Collection, error) {
	if err := store.ValidCollection(name); err != nil {
		return store.Collection{}, err
	}
	c, err := s.st.Collection(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Collection{}, errs.E(errs.NotFound, "collection %q does not exist", name)
	}
	return c, err
}

// readable loads a document the caller may read, or answers not_found
// whether it is missing or hidden, so callers learn nothing of its existence.
func readable(p acl.Principals, d store.Doc, err error) (store.Doc, acl.Right, error) {
	if errors.Is(err, store.ErrNotFound) {
		return store.Doc{}, 0, errDocNotFound
	}
	if err != nil {
		return store.Doc{}, 0, err
	}
	held := p.Effective(d.ACL)
	if !held.Has(acl.Read) {
		return store.Doc{}, 0, errDocNotFound
	}
	return d, held, nil
}

var errDocNotFound = errs.E(errs.NotFound, "document not found")

// scoped refuses a collection outside the caller's API key scope. Writes
// answer with the error; reads turn it into "nothing there", so a scoped
// key learns nothing about other collections.
func scoped(p acl.Principals, coll string) error {
	if !p.InCollection(coll) {
		return errs.E(errs.PermissionDenied, "this API key may not use collection %q", coll)
	}
	return nil
}

// checkVersion enforces If-Match; 0 means the caller did not ask.
func checkVersion(cur store.Doc, ifMatch int64) error {
	if ifMatch != 0 && cur.Version != ifMatch {
		return errs.E(errs.FailedPrecondition, "document is at version %d, not %d", cur.Version, ifMatch).With("version", cur.Version)
	}
	return nil
}

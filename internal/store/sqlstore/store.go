package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"rampart.dev/rampart/internal/hlc"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// Config is what an engine hands to New.
type Config struct {
	Dialect query.Dialect
	// Read serves reads; Write is used only by the single committer.
	// They may be the same pool (PostgreSQL).
	Read, Write *sql.DB
	// Begin runs first in every write transaction (PostgreSQL takes its
	// cluster-wide write lock here).
	Begin string
	// MigrateLock runs first in the migration transaction.
	MigrateLock string
	MaxBatch    int
	Origin      string // this site's id, written into the change log
	// OnCommit runs after every commit that kept at least one write, e.g.
	// to tell other nodes. It must not block.
	OnCommit func()
	// IsUnique reports whether an engine error is a unique violation.
	IsUnique func(error) bool
	Now      func() time.Time
	// Close releases the engine's own resources after the store stops.
	Close func() error
}

// Store implements store.Store over database/sql.
type Store struct {
	cfg    Config
	d      query.Dialect
	read   *sql.DB
	commit *committer
	clock  *hlc.Clock
	now    func() time.Time

	sigMu   sync.Mutex
	changed chan struct{}

	stmtMu  sync.Mutex
	stmts   map[string]string
	prep    sync.Map // stmtKey -> *sql.Stmt
	pending sync.Map // writer statements to prepare between batches

	colls        collCache
	collsChanged atomic.Bool // a write since the last commit touched collections

	closeOnce sync.Once
	closed    atomic.Bool
}

var _ store.Store = (*Store)(nil)

// New migrates the schema and starts the committer.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if err := migrate(ctx, cfg.Write, cfg.Dialect, cfg.MigrateLock); err != nil {
		return nil, err
	}
	s := &Store{
		cfg: cfg, d: cfg.Dialect, read: cfg.Read, now: cfg.Now,
		clock:   hlc.New(cfg.Now),
		changed: make(chan struct{}),
		stmts:   map[string]string{},
	}
	s.commit = newCommitter(cfg.Write, cfg.Begin, cfg.MaxBatch, func() {
		s.preparePending()
		if s.collsChanged.Swap(false) {
			s.colls.clear()
		}
		s.signal()
		if cfg.OnCommit != nil {
			cfg.OnCommit()
		}
	})
	return s, nil
}

// Dialect reports the SQL dialect.
func (s *Store) Dialect() query.Dialect { return s.d }

// Write runs fn in the next group commit.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	return s.commit.do(ctx, func(bctx context.Context, sqlTx *sql.Tx) error {
		return fn(&tx{s: s, ctx: bctx, tx: sqlTx})
	})
}

// Changed returns a channel closed at the next commit or Poke.
func (s *Store) Changed() <-chan struct{} {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	return s.changed
}

// Poke tells the store another node committed: it drops cached settings
// and wakes every Changed waiter.
func (s *Store) Poke() {
	s.colls.clear()
	s.signal()
}

func (s *Store) signal() {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// Close stops the committer, then the engine.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.commit.close()
		s.closeStatements()
		if s.cfg.Close != nil {
			err = s.cfg.Close()
		}
	})
	return err
}

// sql returns a constant statement with placeholders for the dialect.
func (s *Store) sql(stmt string) string {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	out, ok := s.stmts[stmt]
	if !ok {
		out = bind(s.d, stmt)
		s.stmts[stmt] = out
	}
	return out
}

// notFound turns sql.ErrNoRows into the store's sentinel.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

func (s *Store) wrap(op string, err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return fmt.Errorf("%s: %w", op, err)
}

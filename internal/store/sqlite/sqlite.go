package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store/sqlstore"
)

// Options configure Open.
type Options struct {
	Path        string // database file; its directory is created 0700
	ReadConns   int
	BusyTimeout time.Duration
	MaxBatch    int
	Origin      string
	Now         func() time.Time
	OnCommit    func()
}

// Open opens (creating if needed) the database file and migrates it.
func Open(ctx context.Context, o Options) (*sqlstore.Store, error) {
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	if err := query.RegisterSQLiteFunctions(); err != nil {
		return nil, fmt.Errorf("register sqlite functions: %w", err)
	}
	write, err := open(o, true)
	if err != nil {
		return nil, err
	}
	read, err := open(o, false)
	if err != nil {
		write.Close()
		return nil, err
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: query.SQLite, Read: read, Write: write,
		MaxBatch: o.MaxBatch, Origin: o.Origin, Now: o.Now, OnCommit: o.OnCommit,
		IsUnique: isUnique,
		Close:    func() error { return errors.Join(read.Close(), write.Close()) },
	})
	if err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	if err := os.Chmod(o.Path, 0o600); err != nil {
		s.Close()
		return nil, fmt.Errorf("restrict database file: %w", err)
	}
	return s, nil
}

// open builds the writer (one connection, immediate transactions, fsync on
// every commit) or the read pool (query-only).
func open(o Options, writer bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	// FULL: a commit is acknowledged only once the WAL is on disk.
	q.Set("_synchronous", "FULL")
	q.Add("_pragma", "temp_store(memory)")
	q.Add("_pragma", "cache_size(-32000)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	db, err := sql.Open("sqlite", "file:"+o.Path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if writer {
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(o.ReadConns)
	}
	db.SetMaxIdleConns(o.ReadConns)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", o.Path, err)
	}
	return db, nil
}

func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

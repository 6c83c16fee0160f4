package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store/sqlstore"
)

// Options configure Open.
type Options struct {
	URL      string
	Schema   string // "" uses the connection's default search_path
	MaxConns int
	MaxBatch int
	Origin   string
	Now      func() time.Time
	OnCommit func()
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// writeLock serialises writers per schema, so each commit's change-log
// sequences are all below the next commit's.
const writeLock = `SELECT pg_advisory_xact_lock(hashtext('rampart-write:' || current_schema()))`

// Open connects, creates the schema if asked for one, and migrates.
func Open(ctx context.Context, o Options) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	if o.Schema != "" {
		if !schemaName.MatchString(o.Schema) {
			return nil, fmt.Errorf("postgres schema %q: use lower-case letters, digits and '_'", o.Schema)
		}
		if err := createSchema(ctx, cfg, o.Schema); err != nil {
			return nil, err
		}
		cfg.RuntimeParams["search_path"] = o.Schema
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect: query.Postgres, Read: db, Write: db,
		Begin: writeLock, MigrateLock: writeLock,
		MaxBatch: o.MaxBatch, Origin: o.Origin, Now: o.Now, OnCommit: o.OnCommit,
		IsUnique: isUnique,
		Close:    db.Close,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// DropSchema removes a schema and everything in it; tests use it to clean up.
func DropSchema(ctx context.Context, url, schema string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

func isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

package app

import (
	"context"
	"fmt"
	"path/filepath"

	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres"
	"rampart.dev/rampart/internal/store/sqlite"
)

// DatabaseFile is the SQLite file inside the data directory.
const DatabaseFile = "rampart.db"

// OpenStore opens the configured engine. onCommit may be nil.
func OpenStore(ctx context.Context, cfg config.Config, onCommit func()) (store.Store, error) {
	switch cfg.Database.Driver {
	case config.DriverPostgres:
		pg := cfg.Database.Postgres
		return postgres.Open(ctx, postgres.Options{
			URL: pg.URL, Schema: pg.Schema, MaxConns: pg.MaxConns, MaxBatch: pg.MaxBatch,
			Origin: cfg.Site.ID, OnCommit: onCommit,
		})
	case config.DriverSQLite, "":
		lite := cfg.Database.SQLite
		return sqlite.Open(ctx, sqlite.Options{
			Path: filepath.Join(cfg.Data, DatabaseFile), ReadConns: lite.ReadConns,
			BusyTimeout: lite.BusyTimeout.Duration(), MaxBatch: lite.MaxBatch,
			Origin: cfg.Site.ID, OnCommit: onCommit,
		})
	}
	return nil, fmt.Errorf("unknown database driver %q", cfg.Database.Driver)
}

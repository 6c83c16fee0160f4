package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/store/sqlite"
)

var ctx = context.Background()

// engine opens a fresh store and, beside it, a plain connection to the
// same database that goes around the store, as someone with database
// access would.
type engine struct {
	name string
	open func(t *testing.T) (store.Store, *raw)
}

// raw edits the audit table directly.
type raw struct {
	db    *sql.DB
	table string
}

func (r *raw) exec(t *testing.T, stmt string, args ...any) {
	t.Helper()
	res, err := r.db.ExecContext(ctx, fmt.Sprintf(stmt, r.table), args...)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tamper touched %d rows, want 1", n)
	}
}

var engines = []engine{
	{"sqlite", func(t *testing.T) (store.Store, *raw) {
		path := filepath.Join(t.TempDir(), "rampart.db")
		st, err := sqlite.Open(ctx, sqlite.Options{Path: path, Origin: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return st, &raw{db: db, table: "audit"}
	}},
	{"postgres", func(t *testing.T) (store.Store, *raw) {
		url, schema := pgtest.Schema(t)
		st, err := postgres.Open(ctx, postgres.Options{URL: url, Schema: schema, Origin: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// schema is pgtest's own "t_<hex>", safe to write as is.
		return st, &raw{db: db, table: schema + ".audit"}
	}},
}

// eachEngine runs fn once per engine; PostgreSQL skips without a server.
func eachEngine(t *testing.T, fn func(t *testing.T, open func(t *testing.T) (store.Store, *raw))) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			if e.name == "postgres" {
				pgtest.URL(t)
			}
			fn(t, e.open)
		})
	}
}

var t0 = time.Date(2031, 5, 6, 7, 8, 9, 987654321, time.UTC)

// record appends n events in one write, the i-th at t0 + i seconds.
func record(t *testing.T, st store.Store, n int) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	err := st.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			ev := audit.Event{
				Kind: audit.Kinds[i%len(audit.Kinds)], Actor: fmt.Sprintf("user-%d", i%3),
				Subject: fmt.Sprintf("subject-%d", i), Addr: "198.51.100.7",
				Data: map[string]any{"n": i, "reason": "test"},
			}
			e, err := audit.Append(tx, ev, t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return out
}

func verify(t *testing.T, st store.Store) audit.Report {
	t.Helper()
	rep, err := audit.Verify(ctx, st)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

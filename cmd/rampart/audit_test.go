package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
)

// auditData is a data directory (and, for PostgreSQL, a config file) whose
// audit log holds n entries, with a connection that goes around the store.
type auditData struct {
	args  []string // for `rampart audit verify`
	db    *sql.DB
	table string
}

func newAuditData(t *testing.T, engine string, n int) *auditData {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	d := &auditData{args: []string{"audit", "verify", "--data", cfg.Data}, table: "audit"}
	if engine == config.DriverPostgres {
		url, schema := pgtest.Schema(t)
		cfg.Database.Driver = config.DriverPostgres
		cfg.Database.Postgres.URL, cfg.Database.Postgres.Schema = url, schema
		file := filepath.Join(t.TempDir(), "rampart.yaml")
		yaml := fmt.Sprintf("database:\n  driver: postgres\n  postgres:\n    url: %q\n    schema: %s\n", url, schema)
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		d.args = append(d.args, "--config", file)
		d.table = schema + ".audit"
	}
	ctx := context.Background()
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			ev := audit.Event{Kind: audit.LoginFailure, Subject: fmt.Sprint("user-", i), Data: map[string]any{"attempt": i}}
			if _, err := audit.Append(tx, ev, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if engine == config.DriverPostgres {
		d.db, err = sql.Open("pgx", cfg.Database.Postgres.URL)
	} else {
		d.db, err = sql.Open("sqlite", "file:"+filepath.Join(cfg.Data, app.DatabaseFile)+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	return d
}

func (d *auditData) exec(t *testing.T, stmt string, args ...any) {
	t.Helper()
	if _, err := d.db.Exec(fmt.Sprintf(stmt, d.table), args...); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// verifyCLI runs `rampart audit verify` and checks its exit status and
// what it says.
func (d *auditData) verifyCLI(t *testing.T, wantOK bool, want string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, "", "", d.args...)
	if (code == 0) != wantOK || !strings.Contains(stdout+stderr, want) {
		t.Fatalf("audit verify exited %d, want success %v and %q:\n%s%s", code, wantOK, want, stdout, stderr)
	}
}

func TestAuditVerifyCLI(t *testing.T) {
	for _, engine := range []string{config.DriverSQLite, config.DriverPostgres} {
		t.Run(engine, func(t *testing.T) {
			if engine == config.DriverPostgres {
				pgtest.URL(t)
			}
			d := newAuditData(t, engine, 8)
			d.verifyCLI(t, true, "audit log intact: 8 entries")

			var data string
			if err := d.db.QueryRow(fmt.Sprintf(`SELECT data FROM %s WHERE seq = 5`, d.table)).Scan(&data); err != nil {
				t.Fatal(err)
			}
			d.exec(t, `UPDATE %s SET data = '{"attempt":0}' WHERE seq = 5`)
			d.verifyCLI(t, false, "entry 5: hash mismatch")
			d.exec(t, `UPDATE %s SET data = $1 WHERE seq = 5`, data)
			d.verifyCLI(t, true, "audit log intact: 8 entries")

			d.exec(t, `UPDATE %s SET kind = 'login.success' WHERE seq = 2`)
			d.verifyCLI(t, false, "entry 2: hash mismatch")
			d.exec(t, `UPDATE %s SET kind = 'login.failure' WHERE seq = 2`)

			d.exec(t, `DELETE FROM %s WHERE seq = 3`)
			d.verifyCLI(t, false, "entry 3: sequence gap")
		})
	}
}

func TestAuditVerifyNeedsADatabase(t *testing.T) {
	_, stderr, code := runCLI(t, "", "", "audit", "verify", "--data", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "no database") {
		t.Fatalf("verify of an empty directory exited %d: %s", code, stderr)
	}
}

package query

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// testDoc is one fixture document: its id and its body as stored.
type testDoc struct {
	id   string
	body string
	m    map[string]any
}

// engine is one database holding the fixture documents in table docs.
type engine struct {
	name string
	d    Dialect
	db   *sql.DB
}

func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	if err := RegisterSQLiteFunctions(); err != nil {
		t.Fatalf("register sqlite functions: %v", err)
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database
	t.Cleanup(func() { db.Close() })
	mustExec(t, db, `CREATE TABLE docs (id TEXT PRIMARY KEY, body TEXT NOT NULL)`)
	return db
}

// postgresDSN returns the test server, skipping when there is none, or
// failing under CI, which must run every test.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("RAMPART_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RAMPART_TEST_POSTGRES is not set, and CI must run the PostgreSQL tests")
		}
		t.Skip("RAMPART_TEST_POSTGRES is not set; skipping the PostgreSQL part (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// openPostgres connects to a private schema that is dropped after the test.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := postgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "q_" + randomHex(t)
	mustExec(t, admin, "CREATE SCHEMA "+schema)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	mustExec(t, db, `CREATE TABLE docs (id TEXT COLLATE "C" PRIMARY KEY, body JSONB NOT NULL)`)
	return db
}

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func insertDocs(t testing.TB, e engine, docs []testDoc) {
	t.Helper()
	q := `INSERT INTO docs (id, body) VALUES (?, ?)`
	if e.d == Postgres {
		q = `INSERT INTO docs (id, body) VALUES ($1, $2::text::jsonb)`
	}
	for _, d := range docs {
		mustExec(t, e.db, q, d.id, d.body)
	}
}

// engines opens SQLite, and PostgreSQL when configured, each loaded with
// docs. The PostgreSQL engine is opened inside a subtest so that only it is
// skipped when no server is configured.
func sqliteEngine(t testing.TB, docs []testDoc) engine {
	e := engine{name: "sqlite", d: SQLite, db: openSQLite(t)}
	insertDocs(t, e, docs)
	return e
}

func postgresEngine(t testing.TB, docs []testDoc) engine {
	e := engine{name: "postgres", d: Postgres, db: openPostgres(t)}
	insertDocs(t, e, docs)
	return e
}

// optionalPostgres opens PostgreSQL when configured. Without a server it
// logs why and reports false, except under CI, where it fails.
func optionalPostgres(t *testing.T, docs []testDoc) (engine, bool) {
	t.Helper()
	if os.Getenv("RAMPART_TEST_POSTGRES") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RAMPART_TEST_POSTGRES is not set, and CI must run the PostgreSQL tests")
		}
		t.Log("RAMPART_TEST_POSTGRES is not set; checking SQLite and Match only")
		return engine{}, false
	}
	return postgresEngine(t, docs), true
}

// forEachEngine runs fn on SQLite and on PostgreSQL, each in a subtest.
func forEachEngine(t *testing.T, docs []testDoc, fn func(t *testing.T, e engine)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteEngine(t, docs)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresEngine(t, docs)) })
}

// filterIDs runs f on e and returns the ids it matches, sorted.
func filterIDs(t testing.TB, e engine, f Filter) []string {
	t.Helper()
	b := NewBuilder(e.d).S("SELECT d.id FROM docs d WHERE ")
	f.Compile(b, "d.body")
	b.S(" ORDER BY d.id")
	return queryStrings(t, e, b)
}

func queryStrings(t testing.TB, e engine, b *Builder) []string {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(), b.SQL(), b.Args()...)
	if err != nil {
		t.Fatalf("%s: %v\nSQL: %s\nargs: %v", e.name, err, b.SQL(), b.Args())
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v\nSQL: %s", e.name, err, b.SQL())
	}
	return out
}

// matchIDs evaluates f in Go over docs.
func matchIDs(f Filter, docs []testDoc) []string {
	out := []string{}
	for _, d := range docs {
		if f.Match(d.m) {
			out = append(out, d.id)
		}
	}
	sort.Strings(out)
	return out
}

// decodeDoc decodes a JSON object the way the store does.
func decodeDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

// makeDocs turns JSON objects into fixtures with ids d01, d02, ... and
// bodies re-encoded by encoding/json, as Rampart stores them.
func makeDocs(t testing.TB, objs []string) []testDoc {
	t.Helper()
	docs := make([]testDoc, len(objs))
	for i, s := range objs {
		m := decodeDoc(t, s)
		id := "d" + twoDigits(i+1)
		m["_id"] = id
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = testDoc{id: id, body: string(body), m: decodeDoc(t, string(body))}
	}
	return docs
}

func twoDigits(i int) string {
	return string([]byte{byte('0' + i/10), byte('0' + i%10)})
}

func equalStrings(a, b []string) bool {
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

func itoa(i int) string { return strconv.Itoa(i) }

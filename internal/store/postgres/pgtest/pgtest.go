package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"rampart.dev/rampart/internal/store/postgres"
	"rampart.dev/rampart/internal/store/sqlstore"
)

// Env is the variable holding the test server's connection URL.
const Env = "RAMPART_TEST_POSTGRES"

// URL returns the test server URL, or skips (fails in CI) without one.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(Env)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; PostgreSQL tests must run in CI", Env)
		}
		t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run PostgreSQL tests", Env)
	}
	return url
}

// Schema returns a fresh schema name and drops the schema when t ends.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL(t)
	var b [6]byte
	rand.Read(b[:])
	schema = "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := postgres.DropSchema(context.Background(), url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return url, schema
}

// Open opens a store on a fresh schema, closed and dropped when t ends.
func Open(t testing.TB) *sqlstore.Store {
	t.Helper()
	url, schema := Schema(t)
	s, err := postgres.Open(context.Background(), postgres.Options{URL: url, Schema: schema, Origin: "test"})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

const crashCollection = "crash"

// TestCrashKeepsAcknowledgedInserts kills the server with SIGKILL while
// inserts are in flight, three times over the same data directory, and
// checks that every insert answered with 201 survived and that the database
// and its change log are consistent. A 201 is a promise of durability; this
// is the test that holds the server to it.
func TestCrashKeepsAcknowledgedInserts(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts server processes")
	}
	const username, password = "crash-admin", "crash-test-password"
	data := filepath.Join(t.TempDir(), "data")
	makeAdmin(t, data, username, password)

	var acked []string
	for cycle := 1; cycle <= 3; cycle++ {
		srv := startOn(t, data)
		tok := srv.login(username, password)
		checkPresent(t, srv, tok, acked)
		got := insertUntilKilled(t, srv, tok)
		t.Logf("cycle %d: %d inserts acknowledged, then SIGKILL", cycle, len(got))
		acked = append(acked, got...)
	}

	srv := startOn(t, data)
	checkPresent(t, srv, srv.login(username, password), acked)
	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("server did not stop cleanly: %v\n%s", err, srv.log())
	}
	checkDatabase(t, filepath.Join(data, "rampart.db"), acked)
}

// insertUntilKilled runs 32 concurrent inserters, SIGKILLs the server at a
// random moment after a few hundred acknowledgements, and returns the ids of
// every insert that was answered with 201, including answers that arrived
// while the kill was under way.
func insertUntilKilled(t *testing.T, srv *server, tok string) []string {
	t.Helper()
	const workers = 32
	threshold := 200 + rand.IntN(400)
	url := srv.public + "/api/v1/collections/" + crashCollection + "/documents"
	pad := strings.Repeat("x", 200)

	var (
		mu       sync.Mutex
		ids      []string
		failures []string
		killing  atomic.Bool
		failed   atomic.Bool
		reached  = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	fail := func(msg string) {
		mu.Lock()
		failures = append(failures, msg)
		mu.Unlock()
		failed.Store(true)
	}
	for w := range workers {
		wg.Go(func() {
			for n := 0; !failed.Load(); n++ {
				var doc struct {
					ID string `json:"_id"`
				}
				body := map[string]any{"worker": w, "n": n, "pad": pad}
				status, raw, err := srv.do(context.Background(), tok, "POST", url, body, &doc)
				if err == nil && status == http.StatusCreated {
					if doc.ID == "" {
						fail(fmt.Sprintf("201 without _id: %s", raw))
						return
					}
					mu.Lock()
					ids = append(ids, doc.ID)
					count := len(ids)
					mu.Unlock()
					if count >= threshold {
						once.Do(func() { close(reached) })
					}
					continue
				}
				if !killing.Load() {
					fail(fmt.Sprintf("insert before the kill: status %d, err %v, body %s", status, err, raw))
				}
				return // the kill explains any failure after it
			}
		})
	}

	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		fail(fmt.Sprintf("fewer than %d inserts acknowledged in 30s", threshold))
	}
	if !failed.Load() {
		// A random delay puts the kill at an arbitrary point of the stream.
		time.Sleep(time.Duration(rand.IntN(25)) * time.Millisecond)
	}
	killing.Store(true)
	err := srv.stop(syscall.SIGKILL)
	wg.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("server was not ended by SIGKILL: %v", err)
	}
	if len(failures) > 0 {
		t.Fatalf("%d inserts failed before the kill, first: %s\n%s", len(failures), failures[0], srv.log())
	}
	return ids
}

// checkPresent reads every id back through the API as the given caller.
func checkPresent(t *testing.T, srv *server, tok string, ids []string) {
	t.Helper()
	work := make(chan string)
	var (
		mu      sync.Mutex
		missing []string
		wg      sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for id := range work {
				var doc struct {
					ID string `json:"_id"`
				}
				url := srv.public + "/api/v1/collections/" + crashCollection + "/documents/" + id
				status, body, err := srv.do(context.Background(), tok, "GET", url, nil, &doc)
				if err != nil || status != http.StatusOK || doc.ID != id {
					mu.Lock()
					missing = append(missing, fmt.Sprintf("%s: status %d, err %v, body %.200s", id, status, err, body))
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged documents are not readable after restart, first: %s",
			len(missing), len(ids), missing[0])
	}
}

// checkDatabase opens the stopped server's database and checks its
// integrity, that every acknowledged document is stored, and that the
// change log holds exactly one insert for every stored document and nothing
// else.
func checkDatabase(t *testing.T, path string, acked []string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var results []string
	scanColumn(t, db, &results, `PRAGMA integrity_check`)
	if len(results) != 1 || results[0] != "ok" {
		t.Fatalf("integrity_check: %q", results)
	}

	var stored []string
	scanColumn(t, db, &stored, `SELECT id FROM documents WHERE collection = ?`, crashCollection)
	present := make(map[string]bool, len(stored))
	for _, id := range stored {
		present[id] = true
	}
	for _, id := range acked {
		if !present[id] {
			t.Errorf("acknowledged document %s is not in the database", id)
		}
	}

	inserts := map[string]int{}
	rows, err := db.Query(`SELECT doc_id, COUNT(*) FROM changes WHERE collection = ? AND op = 'insert' GROUP BY doc_id`, crashCollection)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		inserts[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, id := range stored {
		if inserts[id] != 1 {
			t.Errorf("document %s has %d insert entries in the change log, want 1", id, inserts[id])
		}
	}
	for id := range inserts {
		if !present[id] {
			t.Errorf("change log has an insert of %s, which is not stored", id)
		}
	}
	expectCount(t, db, 0, "changes other than inserts",
		`SELECT COUNT(*) FROM changes WHERE collection = ? AND op <> 'insert'`, crashCollection)
	expectCount(t, db, 0, "documents without ACL rows",
		`SELECT COUNT(*) FROM documents d WHERE d.collection = ? AND NOT EXISTS
			(SELECT 1 FROM doc_acl a WHERE a.collection = d.collection AND a.doc_id = d.id)`, crashCollection)
	expectCount(t, db, 0, "ACL rows without a document",
		`SELECT COUNT(*) FROM doc_acl a WHERE a.collection = ? AND NOT EXISTS
			(SELECT 1 FROM documents d WHERE d.collection = a.collection AND d.id = a.doc_id)`, crashCollection)
	t.Logf("%d documents stored: %d acknowledged, %d committed without an answer reaching the client",
		len(stored), len(acked), len(stored)-len(acked))
}

func scanColumn(t *testing.T, db *sql.DB, out *[]string, q string, args ...any) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		*out = append(*out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func expectCount(t *testing.T, db *sql.DB, want int, what, q string, args ...any) {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", what, err)
	}
	if n != want {
		t.Errorf("%d %s, want %d", n, what, want)
	}
}

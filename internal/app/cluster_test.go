package app_test

import (
	"bufio"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
)

func natsURL(t *testing.T) string {
	url := os.Getenv("RAMPART_TEST_NATS")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RAMPART_TEST_NATS is not set; NATS tests must run in CI")
		}
		t.Skip("set RAMPART_TEST_NATS (e.g. nats://127.0.0.1:4222) to run cluster tests")
	}
	return url
}

// TestTwoNodes runs two nodes on one PostgreSQL schema and an external NATS:
// a token from one works on the other, a role change on one reaches the
// other's cache, and a write on one wakes a watcher on the other.
func TestTwoNodes(t *testing.T) {
	nats := natsURL(t)
	url, schema := pgtest.Schema(t)
	shared := func(site string) apptest.Options {
		return apptest.Options{Config: func(c *config.Config) {
			c.Database.Driver = config.DriverPostgres
			c.Database.Postgres.URL, c.Database.Postgres.Schema = url, schema
			c.NATS.URL = nats
			c.Site.ID = site
		}}
	}
	a := apptest.Start(t, shared("a"))
	a.CreateUser("root", "root-password-1", true)
	alice := a.CreateUser("alice", "alice-password-1", false)
	b := apptest.Start(t, shared("a"))

	root := a.Login("root", "root-password-1")
	onB := b.Anonymous()
	onB.Token = root.Token
	if res := onB.Public("GET", "/api/v1/me", nil); res.Status != http.StatusOK {
		t.Fatalf("node a's token on node b: %d %s", res.Status, res.Body)
	}

	// A document only the role "team" may read; alice joins the team on a.
	team := a.CreateRole("team")
	if res := root.Public("POST", "/api/v1/collections/c/documents",
		map[string]any{"_id": "d", "_acl": []map[string]any{{"id": team, "rights": 2}}}); res.Status != http.StatusCreated {
		t.Fatalf("insert: %d %s", res.Status, res.Body)
	}
	aliceB := b.Login("alice", "alice-password-1")
	if res := aliceB.Public("GET", "/api/v1/collections/c/documents/d", nil); res.Status != http.StatusNotFound {
		t.Fatalf("alice before joining: %d", res.Status)
	}
	if res := root.Admin("PUT", "/api/v1/roles/"+team+"/members", map[string]any{"members": []string{alice}}); res.Status != http.StatusOK {
		t.Fatalf("set members: %d %s", res.Status, res.Body)
	}
	eventually(t, "alice reads d on b after joining on a", func() bool {
		return aliceB.Public("GET", "/api/v1/collections/c/documents/d", nil).Status == http.StatusOK
	})

	// Signing out on a ends the session on b too; the bus notice, not the
	// cache expiry, is what makes it quick.
	aliceA := a.Anonymous()
	aliceA.Token = aliceB.Token
	if res := aliceB.Public("GET", "/api/v1/me", nil); res.Status != http.StatusOK {
		t.Fatalf("alice on b before logout: %d", res.Status)
	}
	if res := aliceA.Public("POST", "/api/v1/auth/logout", nil); res.Status != http.StatusNoContent {
		t.Fatalf("logout on a: %d %s", res.Status, res.Body)
	}
	start := time.Now()
	eventually(t, "alice's token refused on b after logout on a", func() bool {
		return aliceB.Public("GET", "/api/v1/me", nil).Status == http.StatusUnauthorized
	})
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("b refused the revoked session only after %v: the revocation notice did not arrive", waited)
	}

	// A watcher on b hears an insert made on a.
	stream := watch(t, b, root.Token, "c")
	if res := root.Public("POST", "/api/v1/collections/c/documents", map[string]any{"_id": "e"}); res.Status != http.StatusCreated {
		t.Fatalf("insert e: %d", res.Status)
	}
	for {
		line, err := stream.ReadString('\n')
		if err != nil {
			t.Fatalf("watch on b ended before the insert on a arrived: %v", err)
		}
		if strings.HasPrefix(line, "data:") && strings.Contains(line, `"id":"e"`) {
			return
		}
	}
}

func watch(t *testing.T, h *apptest.Harness, token, coll string) *bufio.Reader {
	t.Helper()
	req, _ := http.NewRequest("GET", h.PublicURL+"/api/v1/collections/"+coll+"/watch", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.HTTPClient().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("watch: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, ": watching") {
		t.Fatalf("watch did not start: %q", line)
	}
	return r
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

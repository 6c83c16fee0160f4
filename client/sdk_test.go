package client_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart.dev/rampart/client"
	"rampart.dev/rampart/internal/config"
)

// accessTTL is the shortest access-token lifetime the configuration allows;
// with refreshMargin the client refreshes two seconds after sign-in.
const (
	accessTTL     = time.Minute
	refreshMargin = accessTTL - 2*time.Second
)

// TestSDK runs every helper against one real node, once per transport.
func TestSDK(t *testing.T) {
	h := startNode(t, func(c *config.Config) {
		c.Auth.AccessTokenTTL = config.Duration(accessTTL)
		withSockets(t, c)
	})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			n := on(t, h, tr)
			t.Run("writes", n.testWrites)
			t.Run("reads", n.testReads)
			t.Run("bad input", n.testBadInput)
			t.Run("acl", n.testACL)
			t.Run("watch", n.testWatch)
			t.Run("account", n.testAccount)
			t.Run("apikeys", n.testAPIKeys)
			t.Run("users", n.testUsers)
			t.Run("roles", n.testRoles)
			t.Run("mfa", n.testMFA)
			t.Run("hostile", n.testHostile)
			t.Run("wrong CA", n.testWrongCA)
			t.Run("refresh", n.testRefresh)
		})
	}
}

// testWrites covers every write and the reads of one document.
func (n *node) testWrites(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "writer")
	c := n.login(t, user, pw)
	coll := n.name("writes")

	first, err := c.Insert(ctx, coll, map[string]any{"title": "first"})
	if err != nil || first.ID == "" || first.Version != 1 || first.Created.IsZero() {
		t.Fatalf("Insert: %+v %v", first, err)
	}
	got, err := c.Get(ctx, coll, first.ID)
	var body struct {
		Title string `json:"title"`
	}
	if err != nil || got.ID != first.ID || got.Decode(&body) != nil || body.Title != "first" {
		t.Fatalf("Get: %+v %v", got, err)
	}
	// Replace takes a fetched document back: the server-stamped fields go.
	if replaced, err := c.Replace(ctx, coll, first.ID, got, client.IfMatch(1)); err != nil || replaced.Version != 2 {
		t.Fatalf("Replace with the right version: %+v %v", replaced, err)
	}
	_, err = c.Replace(ctx, coll, first.ID, map[string]any{"title": "lost update"}, client.IfMatch(1))
	var stale *client.Error
	if !errors.As(err, &stale) || !errors.Is(err, client.ErrFailedPrecondition) || stale.CurrentVersion() != 2 {
		t.Fatalf("Replace with a stale version: %v", err)
	}
	if patched, err := c.Patch(ctx, coll, first.ID, `{"title":"patched"}`, client.IfMatch(2)); err != nil || patched.Version != 3 {
		t.Fatalf("Patch: %+v %v", patched, err)
	}
	old, err := c.GetVersion(ctx, coll, first.ID, 1)
	if err != nil || old.Decode(&body) != nil || old.Version != 1 || body.Title != "first" {
		t.Fatalf("GetVersion 1: %+v %v", old, err)
	}

	wantCode(t, "Delete with a stale version", c.Delete(ctx, coll, first.ID, client.IfMatch(7)), client.FailedPrecondition)
	if err := c.Delete(ctx, coll, first.ID, client.IfMatch(3)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = c.Get(ctx, coll, first.ID)
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	wantCode(t, "Delete of a missing document", c.Delete(ctx, coll, "never-there"), client.NotFound)
}

// testReads covers queries across pages, count, distinct and aggregate.
func (n *node) testReads(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "querier")
	c := n.login(t, user, pw)
	coll := n.name("reads")
	docs, err := c.InsertMany(ctx, coll, `{"kind":"a","n":1}`, json.RawMessage(`{"kind":"b","n":2}`),
		map[string]any{"kind": "a", "n": 3}, map[string]any{"_id": "fourth", "kind": "b", "n": 4})
	if err != nil || len(docs) != 4 || docs[3].ID != "fourth" {
		t.Fatalf("InsertMany: %+v %v", docs, err)
	}

	// PageSize 1 makes the iterator follow the cursor across pages.
	var ns []string
	for d, err := range c.Query(ctx, coll, client.Query{Filter: `{"n":{"$gte":1}}`, Sort: `{"n":1}`, PageSize: 1}) {
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		m, _ := d.Map()
		ns = append(ns, fmt.Sprint(m["n"]))
	}
	if strings.Join(ns, ",") != "1,2,3,4" {
		t.Fatalf("Query over pages gave n = %v", ns)
	}
	limited := 0
	for _, err := range c.Query(ctx, coll, client.Query{Limit: 3, PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		limited++
	}
	if limited != 3 {
		t.Fatalf("Query with Limit 3 gave %d", limited)
	}
	page, cursor, err := c.QueryPage(ctx, coll, client.Query{Filter: map[string]any{"kind": "a"}, PageSize: 1000}, "")
	if err != nil || len(page) != 2 || cursor != "" {
		t.Fatalf("QueryPage: %d docs, cursor %q, %v", len(page), cursor, err)
	}
	if count, err := c.Count(ctx, coll, map[string]any{"kind": "b"}); err != nil || count != 2 {
		t.Fatalf("Count: %d %v", count, err)
	}
	if values, err := c.Distinct(ctx, coll, "kind", nil); err != nil || len(values) != 2 {
		t.Fatalf("Distinct: %s %v", values, err)
	}
	rows, err := c.Aggregate(ctx, coll, `[{"$match":{"kind":"a"}},{"$count":"total"}]`)
	if err != nil || len(rows) != 1 || !strings.Contains(string(rows[0]), `"total":2`) {
		t.Fatalf("Aggregate: %s %v", rows, err)
	}
}

// testBadInput: bad input is refused with invalid_argument and changes nothing.
func (n *node) testBadInput(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "careless")
	c := n.login(t, user, pw)
	coll := n.name("bad")
	for name, doc := range map[string]string{
		"a server-owned field": `{"_version":9,"title":"forged"}`,
		"broken JSON":          `{"title":`,
		"an array":             `[{"a":1}]`,
		"a bad _id":            `{"_id":"../etc"}`,
	} {
		_, err := c.Insert(ctx, coll, doc)
		wantCode(t, "Insert of "+name, err, client.InvalidArgument)
	}
	_, err := c.Insert(ctx, "no/such collection", `{}`)
	wantCode(t, "Insert into a malformed collection name", err, client.InvalidArgument)
	_, err = c.Count(ctx, coll, `{"$where":"sleep(1000)"}`)
	wantCode(t, "Count with an unknown operator", err, client.InvalidArgument)
	_, err = c.Aggregate(ctx, coll, `[{"$lookup":{"from":"users"}}]`)
	wantCode(t, "Aggregate reaching another collection", err, client.InvalidArgument)
	_, err = c.InsertMany(ctx, coll, `{"ok":1}`, `{"_created":"now"}`)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.InvalidArgument || e.Details["index"] != float64(1) || e.ID == "" {
		t.Fatalf("InsertMany with a bad second document: %#v", err)
	}
	if count, err := c.Count(ctx, coll, nil); err != nil || count != 0 {
		t.Fatalf("refused writes changed the collection: %d documents, %v", count, err)
	}
}

// testACL checks the codes of a caller who may read but not change.
func (n *node) testACL(t *testing.T) {
	ctx := ctxT(t)
	ownerID, owner, opw := n.user(t, "owner")
	readerID, reader, rpw := n.user(t, "reader")
	oc, rc := n.login(t, owner, opw), n.login(t, reader, rpw)
	coll := n.name("shared")
	shared, err := oc.Insert(ctx, coll, map[string]any{"title": "shared", "_acl": []client.ACLEntry{
		{ID: ownerID, Rights: 63}, {ID: readerID, Rights: client.RightRead},
	}})
	if err != nil {
		t.Fatal(err)
	}
	private, err := oc.Insert(ctx, coll, map[string]any{"title": "private"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Get(ctx, coll, shared.ID); err != nil {
		t.Fatalf("reader Get: %v", err)
	}
	wantCode(t, "reader Delete", rc.Delete(ctx, coll, shared.ID), client.PermissionDenied)
	_, err = rc.Patch(ctx, coll, shared.ID, `{"title":"mine"}`)
	wantCode(t, "reader Patch", err, client.PermissionDenied)
	// Unreadable looks exactly like missing.
	_, err = rc.Get(ctx, coll, private.ID)
	wantCode(t, "reader Get of a private document", err, client.NotFound)
	if count, err := rc.Count(ctx, coll, nil); err != nil || count != 1 {
		t.Fatalf("reader Count: %d %v", count, err)
	}
	// A signed-in user is not an admin.
	_, err = rc.CreateUser(ctx, client.NewUser{Username: n.name("sneaky"), Password: "a long enough password"})
	wantCode(t, "non-admin CreateUser", err, client.PermissionDenied)
}

func (n *node) testWatch(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "watcher")
	c := n.login(t, user, pw)
	coll := n.name("events")
	first, err := c.Insert(ctx, coll, map[string]any{"step": 1})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	w := c.Watch(wctx, coll, client.Since(0))
	next := func(what string) client.Event {
		t.Helper()
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("%s: watch ended: %v", what, w.Err())
			}
			return ev
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no event", what)
		}
		return client.Event{}
	}
	if ev := next("replayed insert"); ev.Op != "insert" || ev.ID != first.ID || ev.Document == nil || ev.Seq == 0 {
		t.Fatalf("replayed event %+v", ev)
	}
	if _, err := c.Patch(ctx, coll, first.ID, `{"step":2}`); err != nil {
		t.Fatal(err)
	}
	if ev := next("update"); ev.Op != "update" || ev.Version != 2 {
		t.Fatalf("update event %+v", ev)
	}
	if err := c.Delete(ctx, coll, first.ID); err != nil {
		t.Fatal(err)
	}
	if ev := next("delete"); ev.Op != "delete" || ev.Document != nil {
		t.Fatalf("delete event %+v", ev)
	}
	stop()
	for range w.Events() {
	}
	if !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("Err after cancel: %v", w.Err())
	}

	// Close ends a watch with no error; an unauthorised one ends with its code.
	w2 := c.Watch(ctx, coll)
	w2.Close()
	if _, ok := <-w2.Events(); ok || w2.Err() != nil {
		t.Fatalf("after Close: open %v, err %v", ok, w2.Err())
	}
	anon := n.dial(t)
	w3 := anon.Watch(ctx, coll, client.Since(0))
	for range w3.Events() {
		t.Fatal("an anonymous watch delivered an event")
	}
	wantCode(t, "anonymous Watch", w3.Err(), client.Unauthenticated)
}

func (n *node) testHostile(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "victim")
	c := n.login(t, user, pw)
	tok := c.Tokens().AccessToken

	// A token whose claims were changed keeps a signature that no longer fits.
	parts := strings.Split(tok, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(claims, &m)
	m["sub"] = "admins"
	raw, _ := json.Marshal(m)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
	for _, bad := range []string{forged, "not-a-token", tok + "x", strings.Repeat("a", 10000)} {
		f := n.dial(t, client.WithTokens(client.Tokens{AccessToken: bad}))
		_, err := f.Me(ctx)
		wantCode(t, "Me with a forged token", err, client.Unauthenticated)
	}
	k := n.dial(t, client.WithAPIKey("rk_not_a_real_key"))
	_, err = k.Count(ctx, n.name("notes"), nil)
	wantCode(t, "Count with a made-up API key", err, client.Unauthenticated)

	anon := n.dial(t)
	_, err = anon.Get(ctx, n.name("notes"), "x")
	wantCode(t, "anonymous Get", err, client.Unauthenticated)
	wantCode(t, "login with a wrong password", anon.LoginPassword(ctx, user, "not the password at all"), client.Unauthenticated)
}

// testWrongCA: the node's certificate does not chain to another CA.
func (n *node) testWrongCA(t *testing.T) {
	if strings.HasPrefix(n.public, "unix:") {
		t.Skip("a unix socket has no TLS; its file mode guards it")
	}
	ctx := ctxT(t)
	_, user, pw := n.user(t, "trusting")
	wrong, err := client.Dial(ctx, n.public, client.WithCAFile(otherCA(t)))
	if err == nil {
		// The HTTP transports connect on the first call, the others in Dial.
		defer wrong.Close()
		err = wrong.LoginPassword(ctx, user, pw)
	}
	var unknown x509.UnknownAuthorityError
	if !client.IsCode(err, client.Unavailable) || !errors.As(err, &unknown) {
		t.Fatalf("the wrong CA: %v", err)
	}
}

// testRefresh proves the client refreshes by itself before expiry, once for
// many concurrent calls, and rotates the refresh token.
func (n *node) testRefresh(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "refresher")
	var mu sync.Mutex
	var seen []client.Tokens
	c := n.login(t, user, pw, client.WithRefreshMargin(refreshMargin), client.WithTokenCallback(func(tk client.Tokens) {
		mu.Lock()
		seen = append(seen, tk)
		mu.Unlock()
	}))
	first := c.Tokens()
	if first.Expiry.IsZero() || time.Until(first.Expiry) > accessTTL {
		t.Fatalf("tokens after sign-in: expiry %v", first.Expiry)
	}
	time.Sleep(time.Until(first.Expiry.Add(-refreshMargin)) + 50*time.Millisecond)

	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 16 {
		wg.Go(func() {
			if _, err := c.Count(ctx, n.name("notes"), nil); err != nil {
				t.Errorf("Count during refresh: %v", err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		return
	}
	second := c.Tokens()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[1] != second {
		t.Fatalf("token callback ran %d times (want sign-in and one refresh)", len(seen))
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || !second.Expiry.After(first.Expiry) {
		t.Fatal("the refresh did not renew and rotate the tokens")
	}
	// The session is the same one, carried on by the new tokens.
	if s, err := c.Sessions(ctx); err != nil || len(s) != 1 || !s[0].Current {
		t.Fatalf("sessions after refresh: %+v %v", s, err)
	}
}

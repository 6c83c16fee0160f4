package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

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
	h := startNode(t, func(c *config.Config) { c.Auth.AccessTokenTTL = config.Duration(accessTTL) })
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			n := on(t, h, tr)
			t.Run("documents", n.testDocuments)
			t.Run("acl", n.testACL)
			t.Run("watch", n.testWatch)
			t.Run("account", n.testAccount)
			t.Run("apikeys", n.testAPIKeys)
			t.Run("admin", n.testAdmin)
			t.Run("mfa", n.testMFA)
			t.Run("hostile", n.testHostile)
			t.Run("refresh", n.testRefresh)
		})
	}
}

func (n *node) testDocuments(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "docs")
	c := n.login(t, user, pw)
	coll := n.name("notes")

	first, err := c.Insert(ctx, coll, map[string]any{"title": "first", "kind": "a", "n": 1})
	if err != nil || first.ID == "" || first.Version != 1 || first.Created.IsZero() {
		t.Fatalf("Insert: %+v %v", first, err)
	}
	more, err := c.InsertMany(ctx, coll, `{"title":"second","kind":"b","n":2}`,
		json.RawMessage(`{"title":"third","kind":"a","n":3}`), map[string]any{"_id": "fourth", "kind": "b", "n": 4})
	if err != nil || len(more) != 3 || more[2].ID != "fourth" {
		t.Fatalf("InsertMany: %+v %v", more, err)
	}
	got, err := c.Get(ctx, coll, first.ID)
	if err != nil || got.ID != first.ID || got.Version != 1 {
		t.Fatalf("Get: %+v %v", got, err)
	}
	var body struct {
		Title string `json:"title"`
	}
	if err := got.Decode(&body); err != nil || body.Title != "first" {
		t.Fatalf("Decode: %+v %v", body, err)
	}

	// Replace takes a fetched document back: the server-stamped fields go.
	replaced, err := c.Replace(ctx, coll, first.ID, got, client.IfMatch(1))
	if err != nil || replaced.Version != 2 {
		t.Fatalf("Replace with the right version: %+v %v", replaced, err)
	}
	_, err = c.Replace(ctx, coll, first.ID, map[string]any{"title": "lost update"}, client.IfMatch(1))
	wantCode(t, "Replace with a stale version", err, client.FailedPrecondition)
	var stale *client.Error
	if errors.As(err, &stale); stale.CurrentVersion() != 2 || !errors.Is(err, client.ErrFailedPrecondition) {
		t.Fatalf("stale Replace reports version %d", stale.CurrentVersion())
	}
	patched, err := c.Patch(ctx, coll, first.ID, `{"title":"patched"}`, client.IfMatch(2))
	if err != nil || patched.Version != 3 {
		t.Fatalf("Patch: %+v %v", patched, err)
	}
	old, err := c.GetVersion(ctx, coll, first.ID, 1)
	if err := old.Decode(&body); err != nil || old.Version != 1 || body.Title != "first" {
		t.Fatalf("GetVersion 1: %+v %v", old, err)
	}

	// PageSize 1 makes the iterator follow the cursor across pages.
	var titles []string
	for d, err := range c.Query(ctx, coll, client.Query{Filter: `{"n":{"$gte":1}}`, Sort: `{"n":1}`, PageSize: 1}) {
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		var f struct {
			N int `json:"n"`
		}
		d.Decode(&f)
		titles = append(titles, fmt.Sprint(f.N))
	}
	if strings.Join(titles, ",") != "1,2,3,4" {
		t.Fatalf("Query over pages gave n = %v", titles)
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
	docs, cursor, err := c.QueryPage(ctx, coll, client.Query{Filter: map[string]any{"kind": "a"}, PageSize: 1000}, "")
	if err != nil || len(docs) != 2 || cursor != "" {
		t.Fatalf("QueryPage: %d docs, cursor %q, %v", len(docs), cursor, err)
	}

	if count, err := c.Count(ctx, coll, map[string]any{"kind": "b"}); err != nil || count != 2 {
		t.Fatalf("Count: %d %v", count, err)
	}
	values, err := c.Distinct(ctx, coll, "kind", nil)
	if err != nil || len(values) != 2 {
		t.Fatalf("Distinct: %s %v", values, err)
	}
	rows, err := c.Aggregate(ctx, coll, `[{"$match":{"kind":"a"}},{"$count":"total"}]`)
	if err != nil || len(rows) != 1 || !strings.Contains(string(rows[0]), `"total":2`) {
		t.Fatalf("Aggregate: %s %v", rows, err)
	}

	wantCode(t, "Delete with a stale version", c.Delete(ctx, coll, "fourth", client.IfMatch(7)), client.FailedPrecondition)
	if err := c.Delete(ctx, coll, "fourth", client.IfMatch(1)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = c.Get(ctx, coll, "fourth")
	wantCode(t, "Get after Delete", err, client.NotFound)
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("errors.Is(ErrNotFound) is false for %v", err)
	}
	wantCode(t, "Delete of a missing document", c.Delete(ctx, coll, "never-there"), client.NotFound)

	// Bad input is refused with invalid_argument and changes nothing.
	_, err = c.Insert(ctx, coll, `{"_version":9,"title":"forged"}`)
	wantCode(t, "Insert with a server-owned field", err, client.InvalidArgument)
	_, err = c.Insert(ctx, coll, `{"title":`)
	wantCode(t, "Insert of broken JSON", err, client.InvalidArgument)
	_, err = c.Insert(ctx, "no/such collection", `{}`)
	wantCode(t, "Insert into a malformed collection name", err, client.InvalidArgument)
	_, err = c.Count(ctx, coll, `{"$where":"sleep(1000)"}`)
	wantCode(t, "Count with an unknown operator", err, client.InvalidArgument)
	_, err = c.InsertMany(ctx, coll, `{"ok":1}`, `{"_created":"now"}`)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.InvalidArgument || e.Details["index"] != float64(1) || e.ID == "" {
		t.Fatalf("InsertMany with a bad second document: %#v", err)
	}
	if count, _ := c.Count(ctx, coll, nil); count != 3 {
		t.Fatalf("refused writes changed the collection: %d documents", count)
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

func (n *node) testAccount(t *testing.T) {
	ctx := ctxT(t)
	id, user, pw := n.user(t, "account")
	c := n.login(t, user, pw)
	me, err := c.Me(ctx)
	if err != nil || me.User.ID != id || !strings.Contains(string(me.User.Raw), user) {
		t.Fatalf("Me: %+v %v", me, err)
	}

	other := n.login(t, user, pw)
	sessions, err := c.Sessions(ctx)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("Sessions: %+v %v", sessions, err)
	}
	var otherID string
	for _, s := range sessions {
		if !s.Current {
			otherID = s.ID
		}
	}
	if otherID == "" {
		t.Fatalf("no session besides the current one: %+v", sessions)
	}
	if err := c.RevokeSession(ctx, otherID); err != nil {
		t.Fatal(err)
	}
	_, err = other.Me(ctx)
	wantCode(t, "Me on a revoked session", err, client.Unauthenticated)

	newPW := pw + " and more"
	wantCode(t, "ChangePassword with a wrong current", c.ChangePassword(ctx, "wrong password here", newPW), client.PermissionDenied)
	if err := c.ChangePassword(ctx, pw, newPW); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	err = n.dial(t).LoginPassword(ctx, user, pw)
	wantCode(t, "login with the old password", err, client.Unauthenticated)
	n.login(t, user, newPW)

	saved := c.Tokens()
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if c.Tokens() != (client.Tokens{}) {
		t.Fatal("tokens kept after Logout")
	}
	_, err = c.Me(ctx)
	wantCode(t, "Me after Logout", err, client.Unauthenticated)
	c.UseTokens(saved)
	_, err = c.Me(ctx)
	wantCode(t, "Me with the tokens of a logged-out session", err, client.Unauthenticated)
}

func (n *node) testAPIKeys(t *testing.T) {
	ctx := ctxT(t)
	id, user, pw := n.user(t, "keyowner")
	c := n.login(t, user, pw)
	created, err := c.CreateAPIKey(ctx, client.NewAPIKey{Name: "robot", ExpiresIn: time.Hour,
		Scope: client.APIKeyScope{Rights: client.RightRead | client.RightCreate}})
	if err != nil || created.ID == "" || created.Key == "" || time.Until(created.ExpiresAt) > time.Hour+time.Minute {
		t.Fatalf("CreateAPIKey: %+v %v", created, err)
	}
	robot := n.dial(t, client.WithAPIKey(created.Key))
	if me, err := robot.Me(ctx); err != nil || me.User.ID != id {
		t.Fatalf("Me with the key: %+v %v", me, err)
	}
	if robot.Tokens() != (client.Tokens{}) {
		t.Fatal("an API key client reports session tokens")
	}
	keys, err := c.ListAPIKeys(ctx, "")
	if err != nil || len(keys) != 1 || keys[0].ID != created.ID || keys[0].Name != "robot" || keys[0].Scope.Rights != 3 {
		t.Fatalf("ListAPIKeys: %+v %v", keys, err)
	}
	rotated, err := c.RotateAPIKey(ctx, created.ID)
	if err != nil || rotated.Key == "" || rotated.Key == created.Key {
		t.Fatalf("RotateAPIKey: %+v %v", rotated, err)
	}
	robot.UseAPIKey(rotated.Key)
	if _, err := robot.Me(ctx); err != nil {
		t.Fatalf("Me with the rotated key: %v", err)
	}
	if err := c.RevokeAPIKey(ctx, rotated.ID); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	_, err = robot.Me(ctx)
	wantCode(t, "Me with a revoked key", err, client.Unauthenticated)
	wantCode(t, "RevokeAPIKey of a missing key", c.RevokeAPIKey(ctx, "no-such-key"), client.NotFound)
}

func (n *node) testAdmin(t *testing.T) {
	ctx := ctxT(t)
	root := n.login(t, rootName, rootPass)
	username, pw := n.name("managed"), "managed has a long password"
	u, err := root.CreateUser(ctx, client.NewUser{Username: username, Password: pw, Name: "Managed", Email: "m@example.com"})
	if err != nil || u.ID == "" || u.Type != "user" {
		t.Fatalf("CreateUser: %+v %v", u, err)
	}
	_, err = root.CreateUser(ctx, client.NewUser{Username: username, Password: pw})
	wantCode(t, "CreateUser of a taken name", err, client.Conflict)
	_, err = root.CreateUser(ctx, client.NewUser{Username: n.name("weak"), Password: "short"})
	wantCode(t, "CreateUser with a short password", err, client.InvalidArgument)
	if found, err := root.FindUser(ctx, strings.ToUpper(username)); err != nil || found.ID != u.ID {
		t.Fatalf("FindUser: %+v %v", found, err)
	}
	if got, err := root.GetUser(ctx, u.ID); err != nil || got.ID != u.ID {
		t.Fatalf("GetUser: %+v %v", got, err)
	}
	listed := 0
	for d, err := range root.ListUsers(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == u.ID {
			listed++
		}
	}
	if listed != 1 {
		t.Fatalf("ListUsers listed the new user %d times", listed)
	}

	if _, err := root.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "login while disabled", n.dial(t).LoginPassword(ctx, username, pw), client.Unauthenticated)
	if _, err := root.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	n.login(t, username, pw)

	role, err := root.CreateRole(ctx, n.name("editors"), u.ID)
	if err != nil || role.Type != "role" {
		t.Fatalf("CreateRole: %+v %v", role, err)
	}
	if m, err := root.RoleMembers(ctx, role.ID); err != nil || len(m) != 1 || m[0] != u.ID {
		t.Fatalf("RoleMembers: %v %v", m, err)
	}
	if _, err := root.SetRoleMembers(ctx, role.ID, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := root.RoleMembers(ctx, role.ID); err != nil || len(m) != 0 {
		t.Fatalf("members after emptying: %v %v", m, err)
	}
	_, err = root.SetRoleMembers(ctx, role.ID, []string{"no-such-principal"})
	if !client.IsCode(err, client.InvalidArgument) && !client.IsCode(err, client.NotFound) {
		t.Fatalf("SetRoleMembers with an unknown member: %v", err)
	}
	roles := 0
	for d, err := range root.ListRoles(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == role.ID || d.ID == "admins" {
			roles++
		}
	}
	if roles != 2 {
		t.Fatalf("ListRoles found %d of the new role and admins", roles)
	}
	if err := root.DeleteRole(ctx, role.ID); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetRole(ctx, role.ID)
	wantCode(t, "GetRole after DeleteRole", err, client.NotFound)

	if err := root.UnlockUser(ctx, u.ID); err != nil {
		t.Fatalf("UnlockUser: %v", err)
	}
	wantCode(t, "ResetUserMFA without a factor", root.ResetUserMFA(ctx, u.ID), client.FailedPrecondition)
	if err := root.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetUser(ctx, u.ID)
	wantCode(t, "GetUser after DeleteUser", err, client.NotFound)
	_, err = root.FindUser(ctx, username)
	wantCode(t, "FindUser after DeleteUser", err, client.NotFound)
}

func (n *node) testMFA(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "twofactor")
	c := n.login(t, user, pw)
	enrol, err := c.EnrolTOTP(ctx)
	if err != nil || enrol.Secret == "" || !strings.HasPrefix(enrol.URI, "otpauth://") || len(enrol.QRPNG) == 0 {
		t.Fatalf("EnrolTOTP: %+v %v", enrol, err)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(enrol.Secret, now)
	recovery, err := c.ConfirmTOTP(ctx, code)
	if err != nil || len(recovery) == 0 {
		t.Fatalf("ConfirmTOTP: %v %v", recovery, err)
	}

	fresh := n.dial(t)
	if err := fresh.CompleteMFA(ctx, "123456"); !errors.Is(err, client.ErrNoMFAPending) {
		t.Fatalf("CompleteMFA before LoginPassword: %v", err)
	}
	if err := fresh.LoginPassword(ctx, user, pw); !errors.Is(err, client.ErrMFARequired) {
		t.Fatalf("LoginPassword with a second factor: %v", err)
	}
	if fresh.Tokens().AccessToken != "" {
		t.Fatal("tokens before the second factor")
	}
	wantCode(t, "CompleteMFA with a wrong code", fresh.CompleteMFA(ctx, "000000x"), client.Unauthenticated)
	if err := fresh.LoginPassword(ctx, user, pw); !errors.Is(err, client.ErrMFARequired) {
		t.Fatal(err)
	}
	// Each 30-second step is accepted once; the next one is still valid.
	next, _ := totp.GenerateCode(enrol.Secret, now.Add(30*time.Second))
	if err := fresh.CompleteMFA(ctx, next); err != nil {
		t.Fatalf("CompleteMFA: %v", err)
	}
	if _, err := fresh.Me(ctx); err != nil {
		t.Fatalf("Me after the second factor: %v", err)
	}
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

	// The node's certificate does not chain to another CA.
	wrong, err := client.Dial(ctx, n.public, client.WithCAFile(otherCA(t)))
	if err != nil {
		// The envelope transports connect in Dial.
		wantCode(t, "Dial with the wrong CA", err, client.Unavailable)
		return
	}
	defer wrong.Close()
	err = wrong.LoginPassword(ctx, user, pw)
	wantCode(t, "login with the wrong CA", err, client.Unavailable)
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("the wrong-CA error does not name the certificate: %v", err)
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

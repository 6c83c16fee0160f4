package identity_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/identity/password"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/sqlite"
	"rampart.dev/rampart/internal/token"
)

// keyNode is an identity service for API key tests: its store, and a log
// the tests search for secrets.
type keyNode struct {
	*identity.Service
	st  store.Store
	log *keyLog
}

type keyLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *keyLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *keyLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newKeyNode(t testing.TB, opt identity.Options) *keyNode {
	t.Helper()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "db"), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return keyNodeOn(t, st, opt)
}

func keyNodeOn(t testing.TB, st store.Store, opt identity.Options) *keyNode {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 8 << 10, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.New(ctx, identity.KeyStore(st), token.Config{Issuer: "https://test", Audience: "rampart", TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	buf := &keyLog{}
	opt.LocalLogin, opt.AdminsBypass = true, true
	opt.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := identity.New(st, h, keys, opt)
	if err := s.EnsureBuiltins(ctx); err != nil {
		t.Fatal(err)
	}
	return &keyNode{Service: s, st: st, log: buf}
}

// session signs a user in and returns the caller its access token gives.
func (n *keyNode) session(t *testing.T, name string) identity.Caller {
	t.Helper()
	res, err := n.Login(ctx, name, name+"-password-123", identity.Meta{})
	if err != nil || res.Tokens == nil {
		t.Fatalf("login %s: %+v %v", name, res, err)
	}
	c, err := n.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		t.Fatalf("authenticate %s: %v", name, err)
	}
	return c
}

func (n *keyNode) create(t *testing.T, c identity.Caller, owner string, req identity.APIKeyRequest) identity.APIKeyCreated {
	t.Helper()
	if req.Name == "" {
		req.Name = "test key"
	}
	k, err := n.CreateAPIKey(ctx, c, owner, req)
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return k
}

func (n *keyNode) auth(t *testing.T, key string, ok bool) identity.Caller {
	t.Helper()
	c, err := n.Authenticate(ctx, key)
	if ok && err != nil {
		t.Fatalf("authenticate key: %v, want success", err)
	}
	if !ok && !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("authenticate key: %v, want unauthenticated", err)
	}
	return c
}

func TestAPIKeyLifecycle(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	alice := mustUser(t, n.Service, "alice")
	sess := n.session(t, "alice")
	k := n.create(t, sess, "", identity.APIKeyRequest{Name: "ci runner"})
	if !strings.HasPrefix(k.Key, "rk_"+k.ID+"_") || len(k.Key) != 63 || k.Owner != alice || k.CreatedBy != alice {
		t.Fatalf("created key = %+v", k)
	}
	c := n.auth(t, k.Key, true)
	if c.User != alice || c.Key != k.ID || c.Session != "" || !c.Contains(acl.RoleUsers) {
		t.Fatalf("key caller = %+v", c)
	}
	n.auth(t, "  "+k.Key, false) // the key exactly, nothing around it
	list, err := n.ListAPIKeys(ctx, sess, "")
	if err != nil || len(list) != 1 || list[0].ID != k.ID || list[0].Name != "ci runner" || !list[0].ExpiresAt.Equal(k.ExpiresAt) {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := n.RevokeAPIKey(ctx, sess, k.ID); err != nil {
		t.Fatal(err)
	}
	n.auth(t, k.Key, false)
	if list, _ := n.ListAPIKeys(ctx, sess, ""); len(list) != 0 {
		t.Fatalf("revoked key still listed: %+v", list)
	}
	if err := n.RevokeAPIKey(ctx, sess, k.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("revoke twice: %v, want not_found", err)
	}
	wantAudit(t, n.st, audit.APIKeyCreate, k.ID)
	wantAudit(t, n.st, audit.APIKeyRevoke, k.ID)
}

func wantAudit(t *testing.T, st store.Store, kind, subject string) {
	t.Helper()
	got, err := st.Audit(ctx, store.AuditQuery{Kinds: []string{kind}, Subject: subject, Limit: 10})
	if err != nil || len(got) == 0 {
		t.Fatalf("audit %s of %s: %v, %v; want an entry", kind, subject, got, err)
	}
}

func TestAPIKeyLifetimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newKeyNode(t, identity.Options{APIKeyDefaultTTL: time.Hour, APIKeyMaxTTL: 3 * time.Hour})
		mustUser(t, n.Service, "alice")
		sess := n.session(t, "alice")
		for _, bad := range []time.Duration{-time.Second, time.Nanosecond, 3*time.Hour + time.Second} {
			if _, err := n.CreateAPIKey(ctx, sess, "", identity.APIKeyRequest{Name: "x", ExpiresIn: bad}); !errs.Is(err, errs.InvalidArgument) {
				t.Fatalf("expires in %v: %v, want invalid_argument", bad, err)
			}
		}
		def := n.create(t, sess, "", identity.APIKeyRequest{})
		long := n.create(t, sess, "", identity.APIKeyRequest{ExpiresIn: 3 * time.Hour})
		if got := def.ExpiresAt.Sub(def.Created); got != time.Hour {
			t.Fatalf("default lifetime %v, want 1h", got)
		}
		time.Sleep(time.Hour - time.Second)
		n.auth(t, def.Key, true) // warms the cache just before the end
		time.Sleep(time.Second)
		n.auth(t, def.Key, false)
		n.auth(t, long.Key, true)
		wantAudit(t, n.st, audit.APIKeyExpiredUse, def.ID)
		if !strings.Contains(n.log.String(), "expired API key used") {
			t.Fatalf("expired use not logged: %s", n.log)
		}
		time.Sleep(2 * time.Hour)
		n.auth(t, long.Key, false)
		if _, err := n.RotateAPIKey(ctx, sess, long.ID); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("rotate an expired key: %v, want failed_precondition", err)
		}
	})
}

func TestAPIKeyRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newKeyNode(t, identity.Options{APIKeyRotationGrace: time.Hour, APIKeyDefaultTTL: 48 * time.Hour})
		mustUser(t, n.Service, "alice")
		sess := n.session(t, "alice")
		old := n.create(t, sess, "", identity.APIKeyRequest{})
		n.auth(t, old.Key, true)
		time.Sleep(24 * time.Hour)
		next, err := n.RotateAPIKey(ctx, sess, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if next.ID != old.ID || next.Key == old.Key || !next.ExpiresAt.Equal(now.Add(48*time.Hour)) || !next.RotatedUntil.Equal(now.Add(time.Hour)) {
			t.Fatalf("rotated = %+v", next)
		}
		n.auth(t, next.Key, true)
		time.Sleep(time.Hour - time.Second)
		n.auth(t, old.Key, true) // within the grace, and now cached
		n.auth(t, next.Key, true)
		time.Sleep(time.Second)
		n.auth(t, old.Key, false)
		n.auth(t, next.Key, true)
		// A second rotation retires the first secret's successor, and the
		// first one stays dead.
		third, err := n.RotateAPIKey(ctx, sess, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		n.auth(t, old.Key, false)
		n.auth(t, next.Key, true)
		n.auth(t, third.Key, true)
		time.Sleep(time.Hour)
		n.auth(t, next.Key, false)
		n.auth(t, third.Key, true)
		wantAudit(t, n.st, audit.APIKeyRotate, old.ID)
	})
}

// Revoking drops the key from every node's cache: this one at once, others
// through the bus, and even without the bus within the recheck interval.
func TestAPIKeyRevocationReachesOtherNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := &memBus{}
		a := newKeyNode(t, identity.Options{Bus: bus})
		b := keyNodeOn(t, a.st, identity.Options{Bus: bus})
		lone := keyNodeOn(t, a.st, identity.Options{}) // misses every notice
		for _, n := range []*keyNode{a, b} {
			if err := n.Listen(); err != nil {
				t.Fatal(err)
			}
		}
		mustUser(t, a.Service, "alice")
		sess := a.session(t, "alice")
		k := a.create(t, sess, "", identity.APIKeyRequest{})
		for _, n := range []*keyNode{a, b, lone} {
			n.auth(t, k.Key, true)
		}
		if err := a.RevokeAPIKey(ctx, sess, k.ID); err != nil {
			t.Fatal(err)
		}
		a.auth(t, k.Key, false)
		b.auth(t, k.Key, false)
		time.Sleep(2 * time.Second)
		lone.auth(t, k.Key, false)
	})
}

type memBus struct {
	mu   sync.Mutex
	subs []func([]byte)
}

func (m *memBus) Publish(_ string, data []byte) {
	m.mu.Lock()
	subs := append([]func([]byte){}, m.subs...)
	m.mu.Unlock()
	for _, fn := range subs {
		fn(data)
	}
}

func (m *memBus) Subscribe(_ string, fn func([]byte)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs = append(m.subs, fn)
	return nil
}

func TestAPIKeyScopes(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	root := mustUser(t, n.Service, "root")
	if err := n.AddToAdmins(ctx, root); err != nil {
		t.Fatal(err)
	}
	mustUser(t, n.Service, "alice")
	admin, alice := n.session(t, "root"), n.session(t, "alice")

	plain := n.auth(t, n.create(t, admin, "", identity.APIKeyRequest{}).Key, true)
	if plain.Admin || plain.Bypass || plain.Contains(acl.RoleAdmins) || plain.Effective(acl.List{{ID: acl.RoleAdmins, Rights: acl.All}}) != 0 {
		t.Fatalf("an admin's key without the admin scope acts as admin: %+v", plain.Principals)
	}
	full := n.auth(t, n.create(t, admin, "", identity.APIKeyRequest{Scopes: &identity.Scope{Admin: true}}).Key, true)
	if !full.Admin || !full.Bypass {
		t.Fatalf("an admin-scoped key of an admin is not admin: %+v", full.Principals)
	}
	ro := n.auth(t, n.create(t, admin, "", identity.APIKeyRequest{Scopes: &identity.Scope{Admin: true, Rights: acl.Read}}).Key, true)
	if got := ro.Effective(nil); got != acl.Read {
		t.Fatalf("read-scoped admin key holds %s, want read", got)
	}
	if _, err := n.CreateAPIKey(ctx, alice, "", identity.APIKeyRequest{Name: "x", Scopes: &identity.Scope{Admin: true}}); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("a user's admin-scoped key: %v, want permission_denied", err)
	}
	// A key asking for every right holds only what its user holds.
	wide := n.auth(t, n.create(t, alice, "", identity.APIKeyRequest{Scopes: &identity.Scope{Rights: acl.All}}).Key, true)
	if got := wide.Effective(acl.List{{ID: wide.User, Rights: acl.Read}}); got != acl.Read {
		t.Fatalf("wide key holds %s on a read-only document, want read", got)
	}
	coll := n.create(t, alice, "", identity.APIKeyRequest{Scopes: &identity.Scope{Collections: []string{"b", "a", "b"}}})
	if c := n.auth(t, coll.Key, true); !c.InCollection("a") || !c.InCollection("b") || c.InCollection("c") {
		t.Fatalf("collection scope = %v", c.Collections)
	}
	if got := coll.Scopes.Collections; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("collections stored as %v, want [a b]", got)
	}
	for name, sc := range map[string]identity.Scope{
		"unknown right": {Rights: acl.All + 1},
		"bad name":      {Collections: []string{"no such name!"}},
		"too many":      {Collections: manyNames(65)},
	} {
		if _, err := n.CreateAPIKey(ctx, alice, "", identity.APIKeyRequest{Name: "x", Scopes: &sc}); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("%s: %v, want invalid_argument", name, err)
		}
	}
}

func manyNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "c" + strings.Repeat("x", i)
	}
	return out
}

func TestAPIKeyFollowsItsOwner(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	alice := mustUser(t, n.Service, "alice")
	k := n.create(t, n.session(t, "alice"), "", identity.APIKeyRequest{})
	n.auth(t, k.Key, true)
	yes, no := true, false
	if _, err := n.UpdateUser(ctx, identity.System, alice, identity.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	n.auth(t, k.Key, false)
	if _, err := n.UpdateUser(ctx, identity.System, alice, identity.UserPatch{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	n.auth(t, k.Key, true)
	// A new role counts on the next request too.
	role, err := n.CreateRole(ctx, identity.System, "ops", []string{alice})
	if err != nil {
		t.Fatal(err)
	}
	if c := n.auth(t, k.Key, true); !c.Contains(role.ID) {
		t.Fatalf("key caller lacks the new role: %v", c.IDs)
	}
	if err := n.DeleteUser(ctx, identity.System, alice); err != nil {
		t.Fatal(err)
	}
	n.auth(t, k.Key, false)
}

func TestAPIKeyOwnership(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	root := mustUser(t, n.Service, "root")
	if err := n.AddToAdmins(ctx, root); err != nil {
		t.Fatal(err)
	}
	alice := mustUser(t, n.Service, "alice")
	mustUser(t, n.Service, "bob")
	admin, as, bs := n.session(t, "root"), n.session(t, "alice"), n.session(t, "bob")
	k := n.create(t, as, "", identity.APIKeyRequest{})

	if err := n.RevokeAPIKey(ctx, bs, k.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("bob revokes alice's key: %v, want not_found", err)
	}
	if _, err := n.RotateAPIKey(ctx, bs, k.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("bob rotates alice's key: %v, want not_found", err)
	}
	if _, err := n.ListAPIKeys(ctx, bs, alice); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("bob lists alice's keys: %v, want permission_denied", err)
	}
	if _, err := n.CreateAPIKey(ctx, bs, alice, identity.APIKeyRequest{Name: "x"}); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("bob makes a key for alice: %v, want permission_denied", err)
	}
	if list, _ := n.ListAPIKeys(ctx, bs, ""); len(list) != 0 {
		t.Fatalf("bob sees keys: %+v", list)
	}
	n.auth(t, k.Key, true)

	// Admins manage anyone's keys.
	made := n.create(t, admin, alice, identity.APIKeyRequest{})
	if made.Owner != alice || made.CreatedBy != admin.User {
		t.Fatalf("admin-made key = %+v", made)
	}
	if c := n.auth(t, made.Key, true); c.User != alice {
		t.Fatalf("admin-made key runs as %s, want alice", c.User)
	}
	if list, err := n.ListAPIKeys(ctx, admin, alice); err != nil || len(list) != 2 {
		t.Fatalf("admin lists alice's keys: %d, %v", len(list), err)
	}
	if _, err := n.ListAPIKeys(ctx, admin, "nobody"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("keys of a missing user: %v, want not_found", err)
	}
	if err := n.RevokeAPIKey(ctx, admin, made.ID); err != nil {
		t.Fatal(err)
	}
	n.auth(t, made.Key, false)

	// A key cannot manage keys, not even its own.
	kc := n.auth(t, k.Key, true)
	if _, err := n.CreateAPIKey(ctx, kc, "", identity.APIKeyRequest{Name: "x"}); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("create with a key: %v, want permission_denied", err)
	}
	if _, err := n.RotateAPIKey(ctx, kc, k.ID); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("rotate with a key: %v, want permission_denied", err)
	}
	if err := n.RevokeAPIKey(ctx, kc, k.ID); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("revoke with a key: %v, want permission_denied", err)
	}
	if list, err := n.ListAPIKeys(ctx, kc, ""); err != nil || len(list) != 1 {
		t.Fatalf("a key lists its user's keys: %d, %v", len(list), err)
	}
}

func TestAPIKeyLastUsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newKeyNode(t, identity.Options{})
		mustUser(t, n.Service, "alice")
		sess := n.session(t, "alice")
		k := n.create(t, sess, "", identity.APIKeyRequest{})
		lastUsed := func() time.Time {
			synctest.Wait() // the write runs in the background
			list, err := n.ListAPIKeys(ctx, sess, "")
			if err != nil || len(list) != 1 {
				t.Fatalf("list: %v %v", list, err)
			}
			return list[0].LastUsed
		}
		if !lastUsed().IsZero() {
			t.Fatal("an unused key has a last-used time")
		}
		first := time.Now()
		n.auth(t, k.Key, true)
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last used %v, want %v", got, first)
		}
		time.Sleep(30 * time.Second)
		n.auth(t, k.Key, true)
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last used moved to %v within the minute", got)
		}
		time.Sleep(31 * time.Second)
		n.auth(t, k.Key, true)
		if got := lastUsed(); !got.Equal(time.Now()) {
			t.Fatalf("last used %v, want %v", got, time.Now())
		}
	})
}

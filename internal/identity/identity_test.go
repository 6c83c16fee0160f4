package identity_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/identity/password"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/sqlite"
	"rampart.dev/rampart/internal/token"
)

var ctx = context.Background()

func newService(t *testing.T, opt identity.Options) *identity.Service {
	t.Helper()
	s, _ := newServiceStore(t, opt)
	return s
}

// newServiceStore builds a service over a fresh SQLite store. Its clocks
// follow time.Now, so inside a synctest bubble they run on fake time; the
// store closes when the test ends.
func newServiceStore(t *testing.T, opt identity.Options) (*identity.Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "db"), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 8 << 10, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.New(ctx, identity.KeyStore(st), token.Config{Issuer: "https://test", Audience: "rampart"})
	if err != nil {
		t.Fatal(err)
	}
	s := identity.New(st, h, keys, opt)
	if err := s.EnsureBuiltins(ctx); err != nil {
		t.Fatal(err)
	}
	return s, st
}

func mustUser(t *testing.T, s *identity.Service, name string) string {
	t.Helper()
	u, err := s.CreateUser(ctx, identity.System, identity.NewUser{Username: name, Password: name + "-password-123"})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u.ID
}

func login(t *testing.T, s *identity.Service, name string) acl.Principals {
	t.Helper()
	res, err := s.Login(ctx, name, name+"-password-123", identity.Meta{})
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	c, err := s.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		t.Fatalf("authenticate %s: %v", name, err)
	}
	return c.Principals
}

func TestNestedRolesAndCycles(t *testing.T) {
	s := newService(t, identity.Options{LocalLogin: true, AdminsBypass: true})
	dave := mustUser(t, s, "dave")
	ops, err := s.CreateRole(ctx, identity.System, "ops", []string{dave})
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := s.CreateRole(ctx, identity.System, "eng", []string{ops.ID})
	staff, _ := s.CreateRole(ctx, identity.System, "staff", []string{eng.ID})
	// A cycle: ops also lists staff. Resolution must still end.
	if _, err := s.SetMembers(ctx, identity.System, ops.ID, []string{dave, staff.ID}); err != nil {
		t.Fatal(err)
	}
	p := login(t, s, "dave")
	for _, want := range []string{dave, ops.ID, eng.ID, staff.ID, acl.RoleUsers} {
		if !p.Contains(want) {
			t.Fatalf("dave's principals %v lack %s", p.IDs, want)
		}
	}
	if p.Admin {
		t.Fatal("dave is not an admin")
	}
	// Leaving ops takes effect on the next request.
	if _, err := s.SetMembers(ctx, identity.System, ops.ID, []string{staff.ID}); err != nil {
		t.Fatal(err)
	}
	p = login(t, s, "dave")
	if p.Contains(ops.ID) || p.Contains(staff.ID) {
		t.Fatalf("dave still holds roles after leaving: %v", p.IDs)
	}
}

func TestLoginRefusals(t *testing.T) {
	s := newService(t, identity.Options{LocalLogin: true})
	mustUser(t, s, "alice")
	// Usernames are case-insensitive. Checked first: the wrong passwords
	// below start the account's backoff.
	if _, err := s.Login(ctx, "Alice", "alice-password-123", identity.Meta{}); err != nil {
		t.Fatalf("login with another case: %v", err)
	}
	for _, tc := range []struct{ user, pw string }{
		{"alice", "wrong-password-123"},
		{"nobody", "alice-password-123"},
		{"ALICE", "ALICE-password-123"},
		{"al\xffice", "alice-password-123"},
		{"", ""},
	} {
		_, err := s.Login(ctx, tc.user, tc.pw, identity.Meta{})
		if !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("login %q: %v, want unauthenticated", tc.user, err)
		}
		if _, msg := errs.Public(err); msg != "invalid username or password" {
			t.Fatalf("login %q answered %q: unknown users and wrong passwords must look alike", tc.user, msg)
		}
	}
	if _, err := s.Login(ctx, "alice", strings.Repeat("x", 5000), identity.Meta{}); !errs.Is(err, errs.InvalidArgument) {
		t.Fatalf("5000-byte password: %v", err)
	}
	off := newService(t, identity.Options{LocalLogin: false})
	if _, err := off.Login(ctx, "alice", "alice-password-123", identity.Meta{}); !errs.Is(err, errs.FailedPrecondition) {
		t.Fatalf("login with local sign-in off: %v", err)
	}
}

func TestDisableAndDeleteAreImmediate(t *testing.T) {
	s := newService(t, identity.Options{LocalLogin: true})
	alice := mustUser(t, s, "alice")
	res, err := s.Login(ctx, "alice", "alice-password-123", identity.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	tok := res.Tokens
	yes := true
	if _, err := s.UpdateUser(ctx, identity.System, alice, identity.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok.AccessToken); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("token of a disabled user: %v", err)
	}
	if _, err := s.Login(ctx, "alice", "alice-password-123", identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("login of a disabled user: %v", err)
	}
	team, _ := s.CreateRole(ctx, identity.System, "team", []string{alice})
	if err := s.DeleteUser(ctx, identity.System, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok.AccessToken); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("token of a deleted user: %v", err)
	}
	r, err := s.GetRole(ctx, identity.System, team.ID)
	if err != nil || slices.Contains(r.Fields["members"].([]any), any(alice)) {
		t.Fatalf("deleted user still in a role: %+v %v", r.Fields, err)
	}
	// The name is free again.
	mustUser(t, s, "alice")
}

func TestUserAndRoleRules(t *testing.T) {
	s := newService(t, identity.Options{LocalLogin: true, MinPasswordLength: 12})
	bob := mustUser(t, s, "bob")
	bobP := login(t, s, "bob")
	for _, tc := range []struct {
		name string
		err  error
		code errs.Code
	}{
		{"duplicate username", create(s, "BOB", "another-password-1"), errs.Conflict},
		{"short password", create(s, "carol", "short"), errs.InvalidArgument},
		{"password equals username", create(s, "carolcarol12", "CAROLCAROL12"), errs.InvalidArgument},
		{"bad username", create(s, "bad name", "a-good-password-1"), errs.InvalidArgument},
		{"injection username", create(s, "x'; drop table records; --", "a-good-password-1"), errs.InvalidArgument},
		{"non-admin creates user", func() error {
			_, err := s.CreateUser(ctx, bobP, identity.NewUser{Username: "z", Password: "a-good-password-1"})
			return err
		}(), errs.PermissionDenied},
		{"members of users", setMembers(s, acl.RoleUsers, bob), errs.InvalidArgument},
		{"unknown member", setMembers(s, acl.RoleAdmins, "no-such-user"), errs.InvalidArgument},
		{"duplicate member", setMembers(s, acl.RoleAdmins, bob, bob), errs.InvalidArgument},
		{"duplicate role", func() error {
			_, err := s.CreateRole(ctx, identity.System, "admins", nil)
			return err
		}(), errs.Conflict},
		{"delete built-in role", s.DeleteRole(ctx, identity.System, acl.RoleAdmins), errs.FailedPrecondition},
	} {
		if got := errs.CodeOf(tc.err); got != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
		}
	}
}

func create(s *identity.Service, user, pw string) error {
	_, err := s.CreateUser(ctx, identity.System, identity.NewUser{Username: user, Password: pw})
	return err
}

func setMembers(s *identity.Service, role string, members ...string) error {
	_, err := s.SetMembers(ctx, identity.System, role, members)
	return err
}

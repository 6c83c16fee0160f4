package identity_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

func TestCommonPasswordsRefused(t *testing.T) {
	if n := identity.CommonPasswordCount(); n < 10000 {
		t.Fatalf("the shipped list holds %d passwords, want at least 10000", n)
	}
	for _, pw := range []string{"password", "123456", "qwerty", "1qaz2wsx3edc", "  QAZWSXEDC123 ", "Q1W2E3R4T5Y6"} {
		if !identity.IsCommonPassword(pw) {
			t.Errorf("%q is not found on the list", pw)
		}
	}
	if identity.IsCommonPassword("correct horse battery staple 77") {
		t.Error("a long passphrase counts as common")
	}
	e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true, Registration: true})
	for _, pw := range []string{"1qaz2wsx3edc", " QAZWSXEDC123", "qwertyuiop12", "  123456789QWE\t"} {
		_, err := e.s.CreateUser(ctx, identity.System, identity.NewUser{Username: "carol", Password: pw})
		if !errs.Is(err, errs.InvalidArgument) || !strings.Contains(err.Error(), "common") {
			t.Errorf("create with %q: %v, want the common-password refusal", pw, err)
		}
		if _, err := e.s.Register(ctx, identity.NewUser{Username: "carol", Password: pw}, identity.Meta{}); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("register with %q: %v", pw, err)
		}
	}
}

// TestBreakglass issues a recovery token and checks it works once, even
// with password sign-in off and the account locked, and not after expiry.
func TestBreakglass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: false})
		alice := e.user("alice")
		if err := e.login("alice", goodPw); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("password sign-in while off: %v", err)
		}
		tok, until, err := e.s.IssueRecovery(ctx, "alice", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "rbg_") || time.Until(until) != identity.DefaultRecoveryTTL {
			t.Fatalf("token %.8s... until %v", tok, until)
		}
		// A wrong secret for the right id must not spend the token.
		id, _, _ := strings.Cut(tok, ".")
		if _, err := e.s.Recover(ctx, id+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("wrong secret: %v", err)
		}
		toks, err := e.s.Recover(ctx, tok, identity.Meta{Addr: "192.0.2.9"})
		if err != nil {
			t.Fatalf("recover: %v", err)
		}
		c, err := e.s.Authenticate(ctx, toks.AccessToken)
		if err != nil || c.User != alice {
			t.Fatalf("recovered session authenticates as %q: %v", c.User, err)
		}
		sessions, err := e.s.Sessions(ctx, c)
		if err != nil || len(sessions) != 1 || strings.Join(sessions[0].Methods, ",") != "breakglass" {
			t.Fatalf("sessions %+v %v, want one with methods [breakglass]", sessions, err)
		}
		if _, err := e.s.Recover(ctx, tok, identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("second use: %v", err)
		}
		if e.auditKinds(alice, audit.BreakglassIssue) != 1 || e.auditKinds(alice, audit.BreakglassUse) != 1 {
			t.Fatal("issue and use are not both audited once")
		}

		// Expiry.
		tok, _, err = e.s.IssueRecovery(ctx, "alice", 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute)
		if _, err := e.s.Recover(ctx, tok, identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("expired token: %v", err)
		}

		// A newer token replaces an older one.
		first, _, _ := e.s.IssueRecovery(ctx, "alice", 0)
		second, _, _ := e.s.IssueRecovery(ctx, "alice", 0)
		if _, err := e.s.Recover(ctx, first, identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("replaced token: %v", err)
		}
		if _, err := e.s.Recover(ctx, second, identity.Meta{}); err != nil {
			t.Fatalf("newest token: %v", err)
		}
	})
}

func TestBreakglassWorksOnLockedAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true, LockoutMaxFailures: 2})
		e.user("alice")
		e.refused("alice", "wrong-password", "failure 1")
		e.refused("alice", "wrong-password", "failure 2")
		time.Sleep(time.Minute)
		e.refused("alice", goodPw, "locked")
		tok, _, err := e.s.IssueRecovery(ctx, "alice", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Recover(ctx, tok, identity.Meta{}); err != nil {
			t.Fatalf("recover a locked account: %v", err)
		}
	})
}

func TestBreakglassRefusals(t *testing.T) {
	e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true})
	alice := e.user("alice")
	for name, ttl := range map[string]time.Duration{"too short": time.Second, "too long": 2 * time.Hour, "negative": -time.Minute} {
		if _, _, err := e.s.IssueRecovery(ctx, "alice", ttl); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("%s ttl: %v", name, err)
		}
	}
	if _, _, err := e.s.IssueRecovery(ctx, "nobody", 0); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, _, err := e.s.IssueRecovery(ctx, "Bad Name!", 0); !errs.Is(err, errs.InvalidArgument) {
		t.Errorf("malformed name: %v", err)
	}
	disabled := true
	if _, err := e.s.UpdateUser(ctx, identity.System, alice, identity.UserPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.IssueRecovery(ctx, "alice", 0); !errs.Is(err, errs.FailedPrecondition) {
		t.Errorf("disabled user: %v", err)
	}
	for _, tok := range []string{
		"", "rbg_", "rbg_.", "rbg_x.y", "rbg_" + strings.Repeat("a", 300), "rk_abc.def",
		"rbg_06h0cf1g3vcrke7v08yx2abc60.", "rbg_06h0cf1g3vcrke7v08yx2abc60.%%%%",
		"rbg_06h0cf1g3vcrke7v08yx2abc60.AAAA", "rbg_../../etc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"rbg_a'--.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "rbg_\x00.AAAA",
	} {
		if _, err := e.s.Recover(ctx, tok, identity.Meta{}); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("recover %q: %v, want unauthenticated", tok, err)
		}
	}
}

func TestRegistration(t *testing.T) {
	off := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true})
	if _, err := off.s.Register(ctx, identity.NewUser{Username: "dave", Password: "dave-password-123"}, identity.Meta{}); !errs.Is(err, errs.NotFound) {
		t.Fatalf("registration while off: %v", err)
	}
	if _, err := off.s.UserID(ctx, "dave"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a refused registration created dave: %v", err)
	}

	e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true, Registration: true})
	d, err := e.s.Register(ctx, identity.NewUser{Username: "Dave", Password: "dave-password-123", Name: "Dave", Email: "dave@example.com"}, identity.Meta{Addr: "192.0.2.5"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Fields["username"] != "dave" || d.Fields["_type"] != "user" || d.CreatedBy != d.ID {
		t.Fatalf("registered %+v", d)
	}
	res, err := e.s.Login(ctx, "dave", "dave-password-123", identity.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.s.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin || len(c.IDs) != 2 || !c.Contains(acl.RoleUsers) {
		t.Fatalf("a registered user holds %v (admin %v), want only itself and users", c.IDs, c.Admin)
	}
	if e.auditKinds(d.ID, audit.Registration) != 1 {
		t.Fatal("registration not audited")
	}
	for _, tc := range []struct {
		name string
		u    identity.NewUser
		code errs.Code
	}{
		{"taken", identity.NewUser{Username: "DAVE", Password: "another-password-456"}, errs.Conflict},
		{"short password", identity.NewUser{Username: "erin", Password: "short"}, errs.InvalidArgument},
		{"password is the name", identity.NewUser{Username: "erin-the-great", Password: "ERIN-the-great"}, errs.InvalidArgument},
		{"common password", identity.NewUser{Username: "erin", Password: "1qaz2wsx3edc"}, errs.InvalidArgument},
		{"long password", identity.NewUser{Username: "erin", Password: strings.Repeat("x", 129)}, errs.InvalidArgument},
		{"huge password", identity.NewUser{Username: "erin", Password: strings.Repeat("x", 1<<20)}, errs.InvalidArgument},
		{"bad name", identity.NewUser{Username: "admins'--", Password: "erin-password-123"}, errs.InvalidArgument},
		{"empty name", identity.NewUser{Username: "", Password: "erin-password-123"}, errs.InvalidArgument},
		{"NUL in profile", identity.NewUser{Username: "erin", Password: "erin-password-123", Name: "a\x00b"}, errs.InvalidArgument},
		{"invalid UTF-8", identity.NewUser{Username: "erin", Password: "erin-password-123", Email: "\xff"}, errs.InvalidArgument},
		{"long profile", identity.NewUser{Username: "erin", Password: "erin-password-123", Name: strings.Repeat("n", 300)}, errs.InvalidArgument},
	} {
		if _, err := e.s.Register(ctx, tc.u, identity.Meta{}); !errs.Is(err, tc.code) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := e.s.UserID(ctx, "erin"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a refused registration created erin: %v", err)
	}
}

func TestUpdateProfile(t *testing.T) {
	e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true})
	alice := e.user("alice")
	res, err := e.s.Login(ctx, "alice", goodPw, identity.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.s.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	name, email := "Alice A.", "alice@example.com"
	d, err := e.s.UpdateProfile(ctx, c, identity.ProfilePatch{Name: &name, Email: &email}, identity.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Fields["name"] != name || d.Fields["email"] != email || d.ModifiedBy != alice || d.Fields["disabled"] != false {
		t.Fatalf("updated %+v", d.Fields)
	}
	if e.auditKinds(alice, audit.UserUpdate) != 1 {
		t.Fatal("profile change not audited")
	}
	same, err := e.s.UpdateProfile(ctx, c, identity.ProfilePatch{}, identity.Meta{})
	if err != nil || same.Version != d.Version {
		t.Fatalf("empty patch: version %d -> %d, %v", d.Version, same.Version, err)
	}
	bad := []string{"a\x00b", "\xff\xfe", strings.Repeat("x", 257)}
	for _, v := range bad {
		if _, err := e.s.UpdateProfile(ctx, c, identity.ProfilePatch{Email: &v}, identity.Meta{}); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("email %q: %v", v, err)
		}
	}
	key := c
	key.Key, key.Session = "some-key", ""
	if _, err := e.s.UpdateProfile(ctx, key, identity.ProfilePatch{Name: &name}, identity.Meta{}); !errs.Is(err, errs.PermissionDenied) {
		t.Errorf("with an API key: %v", err)
	}
	if _, err := e.s.UpdateProfile(ctx, identity.Caller{}, identity.ProfilePatch{Name: &name}, identity.Meta{}); !errs.Is(err, errs.PermissionDenied) {
		t.Errorf("without a caller: %v", err)
	}
	// A role is not a user: a caller naming one changes nothing.
	role := identity.Caller{Principals: acl.Principals{User: acl.RoleAdmins, IDs: []string{acl.RoleAdmins}}}
	if _, err := e.s.UpdateProfile(ctx, role, identity.ProfilePatch{Name: &name}, identity.Meta{}); !errs.Is(err, errs.NotFound) {
		t.Errorf("as a role: %v", err)
	}
	after, err := e.s.GetUser(ctx, identity.System, alice)
	if err != nil || after.Version != d.Version {
		t.Fatalf("refused patches moved the version to %d: %v", after.Version, err)
	}
}

package identity_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

func TestMFARequiredByNestedRole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{MFARequiredRoles: []string{"secops", "nobody-has-this"}})
		bob := mustUser(t, e.s, "bob")
		mustUser(t, e.s, "carol")
		inner, err := e.s.CreateRole(ctx, identity.System, "oncall", []string{bob})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateRole(ctx, identity.System, "secops", []string{inner.ID}); err != nil {
			t.Fatal(err)
		}
		// carol is in no such role: a full session.
		if res := e.password("carol"); res.Tokens == nil || e.caller(res.Tokens.AccessToken).Enrol {
			t.Fatalf("carol: %+v", res)
		}
		other := e.password("bob").Tokens
		wantAuth(t, e.s, other.AccessToken, true) // now cached on this node
		res := e.password("bob")
		c := e.caller(res.Tokens.AccessToken)
		if !c.Enrol || c.User != bob {
			t.Fatalf("bob: %+v, want an enrol-only caller", c)
		}
		// Enrol-only sessions may not disable or regenerate anything.
		if err := e.s.DisableTOTP(ctx, c, "123456", meta); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("disable while enrol-only: %v", err)
		}
		// A refresh before enrolment stays enrol-only.
		rt := refresh(t, e.s, res.Tokens.RefreshToken, true)
		if !e.caller(rt.AccessToken).Enrol {
			t.Fatal("refresh widened an enrol-only session")
		}
		en, err := e.s.EnrolTOTP(ctx, c, meta)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ConfirmTOTP(ctx, c, code(t, en.Secret, time.Now()), meta); err != nil {
			t.Fatal(err)
		}
		// The confirming session now refreshes into full access ...
		full := refresh(t, e.s, rt.RefreshToken, true)
		fc := e.caller(full.AccessToken)
		if fc.Enrol {
			t.Fatal("still enrol-only after confirming")
		}
		// ... and the other enrol-only session, which proved only the password, is over.
		wantAuth(t, e.s, other.AccessToken, false)
		refresh(t, e.s, other.RefreshToken, false)
		// The next sign-in asks for the code.
		time.Sleep(30 * time.Second)
		e.complete(e.challenge("bob"), code(t, en.Secret, time.Now()), true)
		// bob must keep his factor.
		if err := e.s.DisableTOTP(ctx, fc, code(t, en.Secret, time.Now().Add(30*time.Second)), meta); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("disable by a required-role member: %v", err)
		}
		if f, _ := e.st.Record(ctx, "totp", bob); f.ID == "" {
			t.Fatal("the factor is gone")
		}
	})
}

func TestDisableTOTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		c := e.caller(a.tokens.AccessToken)
		for _, bad := range []string{"", "12345", "1234567", "abc", strings.Repeat("9", 60), strings.Repeat("9", 100)} {
			if err := e.s.DisableTOTP(ctx, c, bad, meta); !errs.Is(err, errs.InvalidArgument) {
				t.Fatalf("disable with %q: %v", bad, err)
			}
		}
		if err := e.s.DisableTOTP(ctx, c, wrongCode(t, a.secret, time.Now()), meta); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("disable with a wrong code: %v", err)
		}
		if err := e.s.DisableTOTP(ctx, c, a.recovery[3], meta); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"totp", "recovery"} {
			if _, err := e.st.Record(ctx, kind, a.user); !errs.Is(err, errs.NotFound) {
				t.Fatalf("%s record after disabling: %v", kind, err)
			}
		}
		if res := e.password("alice"); res.Tokens == nil {
			t.Fatalf("login after disabling: %+v", res)
		}
		if err := e.s.DisableTOTP(ctx, c, a.recovery[4], meta); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("disable without a factor: %v", err)
		}
		e.wantAudit(a.user, audit.MFADisable)
		// A new enrolment starts over.
		en, err := e.s.EnrolTOTP(ctx, c, meta)
		if err != nil || en.Secret == a.secret {
			t.Fatalf("re-enrol: %v", err)
		}
	})
}

func TestEnrolmentRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		mustUser(t, e.s, "alice")
		c := e.caller(e.password("alice").Tokens.AccessToken)
		if _, err := e.s.ConfirmTOTP(ctx, c, "123456", meta); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("confirm before enrolling: %v", err)
		}
		first, err := e.s.EnrolTOTP(ctx, c, meta)
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.s.EnrolTOTP(ctx, c, meta)
		if err != nil {
			t.Fatal(err)
		}
		// The newer pending seed replaced the older one.
		if c1, c2 := code(t, first.Secret, time.Now()), code(t, second.Secret, time.Now()); c1 != c2 {
			if _, err := e.s.ConfirmTOTP(ctx, c, c1, meta); !errs.Is(err, errs.PermissionDenied) {
				t.Fatalf("confirm with the replaced seed: %v", err)
			}
		}
		if _, err := e.s.ConfirmTOTP(ctx, c, "abcde-fghjk", meta); !errs.Is(err, errs.InvalidArgument) {
			t.Fatalf("confirm with a recovery code: %v", err)
		}
		if _, err := e.s.ConfirmTOTP(ctx, c, code(t, second.Secret, time.Now()), meta); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.EnrolTOTP(ctx, c, meta); !errs.Is(err, errs.Conflict) {
			t.Fatalf("enrol over a confirmed factor: %v", err)
		}
		if _, err := e.s.ConfirmTOTP(ctx, c, code(t, second.Secret, time.Now().Add(30*time.Second)), meta); !errs.Is(err, errs.Conflict) {
			t.Fatalf("confirm twice: %v", err)
		}
		// Only a user's own session manages factors.
		for _, bad := range []identity.Caller{{}, {Principals: c.Principals, Key: "k1"}, {Principals: c.Principals}} {
			if _, err := e.s.EnrolTOTP(ctx, bad, meta); !errs.Is(err, errs.PermissionDenied) {
				t.Fatalf("enrol as %+v: %v", bad, err)
			}
		}
		// The seed never shows up again, in the log or in the user document.
		d, err := e.s.GetUser(ctx, c.Principals, c.User)
		if err != nil {
			t.Fatal(err)
		}
		if raw, _ := json.Marshal(d.Map()); strings.Contains(string(raw), second.Secret) {
			t.Fatal("the seed is in the user document")
		}
		e.noSecrets(first.Secret, second.Secret)
	})
}

func TestHostileSecondStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		b := e.enrol("bob")
		time.Sleep(30 * time.Second)
		tok := e.challenge("alice")
		id, _, _ := strings.Cut(tok, ".")
		bobTok := e.challenge("bob")
		good := code(t, a.secret, time.Now())
		malformed := []string{
			"", "12345a", "1234567", "12345678901", strings.Repeat("1", 60), strings.Repeat("1", 100),
			"\xff\xfe\xfd\xfc\xfb\xfa", "１２３４５６", "12\x003456", "123456\n", "abcde-fghi!", "ilouu-ilouu",
			"abcde-fghjkm", strings.Repeat("a", 1<<16),
		}
		for _, c := range malformed {
			e.complete(tok, c, false)
		}
		for _, bad := range []string{
			"", "garbage", ".", tok + "x", strings.ToUpper(tok), id, id + ".", id + "." + strings.Repeat("A", 43),
			"../" + tok, strings.Repeat("a", 1<<20), "\xff." + strings.Repeat("A", 43),
		} {
			e.complete(bad, good, false)
		}
		// Another user's token with one's own code is refused, and counts
		// against that token.
		e.complete(bobTok, good, false)
		// Malformed codes did not use up alice's token.
		e.complete(tok, good, true)
		e.complete(bobTok, code(t, b.secret, time.Now()), true)
	})
}

func TestConcurrentUseOfOneCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		time.Sleep(30 * time.Second)
		c := code(t, a.secret, time.Now())
		toks := []string{e.challenge("alice"), e.challenge("alice"), e.challenge("alice")}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for _, tok := range toks {
			wg.Go(func() {
				if _, err := e.s.CompleteMFA(ctx, tok, c, meta); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("one code signed in %d times", wins)
		}
	})
}

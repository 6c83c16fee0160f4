package identity_test

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
)

// mfaEnv is a service inside a synctest bubble, with its store and
// everything it logged.
type mfaEnv struct {
	t   *testing.T
	s   *identity.Service
	st  store.Store
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newMFAEnv(t *testing.T, opt identity.Options) *mfaEnv {
	t.Helper()
	buf := &syncBuffer{}
	opt.LocalLogin = true
	opt.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, st := newServiceStore(t, opt)
	return &mfaEnv{t: t, s: s, st: st, log: buf}
}

var meta = identity.Meta{Addr: "192.0.2.7", UserAgent: "test"}

// code is what an authenticator app shows at time at.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a well-formed code that no step near at accepts.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	near := []string{}
	for d := -2; d <= 2; d++ {
		near = append(near, code(t, secret, at.Add(time.Duration(d)*30*time.Second)))
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !slices.Contains(near, c) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func (e *mfaEnv) caller(tok string) identity.Caller {
	e.t.Helper()
	c, err := e.s.Authenticate(ctx, tok)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return c
}

func (e *mfaEnv) password(name string) identity.LoginResult {
	e.t.Helper()
	res, err := e.s.Login(ctx, name, name+"-password-123", meta)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return res
}

// challenge signs in with the password and expects to be asked for a code.
func (e *mfaEnv) challenge(name string) string {
	e.t.Helper()
	res := e.password(name)
	if res.MFA == nil || !res.MFA.Required || res.MFA.Token == "" || res.Tokens != nil {
		e.t.Fatalf("login %s: %+v, want mfa_required", name, res)
	}
	return res.MFA.Token
}

func (e *mfaEnv) complete(tok, code string, ok bool) identity.Tokens {
	e.t.Helper()
	toks, err := e.s.CompleteMFA(ctx, tok, code, meta)
	if ok && err != nil {
		e.t.Fatalf("complete with %q: %v, want tokens", code, err)
	}
	if !ok {
		if !errs.Is(err, errs.Unauthenticated) {
			e.t.Fatalf("complete with %q: %v, want unauthenticated", code, err)
		}
		if _, msg := errs.Public(err); msg != "the code or the sign-in token is not valid or has expired" {
			e.t.Fatalf("complete with %q: message %q differs from the common one", code, msg)
		}
	}
	return toks
}

// enrolled makes a user with a confirmed factor, signed in with a full
// session, and returns the seed and recovery codes.
type enrolment struct {
	user     string
	name     string
	secret   string
	recovery []string
	tokens   identity.Tokens
}

func (e *mfaEnv) enrol(name string) enrolment {
	e.t.Helper()
	id := mustUser(e.t, e.s, name)
	res := e.password(name)
	if res.Tokens == nil {
		e.t.Fatalf("login %s before enrolment: %+v", name, res)
	}
	c := e.caller(res.Tokens.AccessToken)
	en, err := e.s.EnrolTOTP(ctx, c, meta)
	if err != nil {
		e.t.Fatalf("enrol: %v", err)
	}
	rc, err := e.s.ConfirmTOTP(ctx, c, code(e.t, en.Secret, time.Now()), meta)
	if err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
	return enrolment{user: id, name: name, secret: en.Secret, recovery: rc, tokens: *res.Tokens}
}

func TestMFASignIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		mustUser(t, e.s, "alice")
		first := e.password("alice")
		c := e.caller(first.Tokens.AccessToken)
		en, err := e.s.EnrolTOTP(ctx, c, meta)
		if err != nil {
			t.Fatal(err)
		}
		checkEnrolment(t, en, "alice")
		// Until confirmed, the password alone still signs in.
		if res := e.password("alice"); res.Tokens == nil {
			t.Fatalf("pending factor already required: %+v", res)
		}
		if _, err := e.s.ConfirmTOTP(ctx, c, wrongCode(t, en.Secret, time.Now()), meta); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("confirm with a wrong code: %v", err)
		}
		rc, err := e.s.ConfirmTOTP(ctx, c, code(t, en.Secret, time.Now()), meta)
		if err != nil {
			t.Fatal(err)
		}
		checkRecoveryCodes(t, rc)
		if err := e.s.Logout(ctx, c); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second) // the confirming code's step is spent
		tok := e.challenge("alice")
		e.complete(tok, wrongCode(t, en.Secret, time.Now()), false)
		toks := e.complete(tok, code(t, en.Secret, time.Now()), true)
		c2 := e.caller(toks.AccessToken)
		if c2.User != c.User || c2.Enrol {
			t.Fatalf("caller %+v after the second factor", c2)
		}
		list, err := e.s.Sessions(ctx, c2)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(list, func(s identity.SessionInfo) bool { return s.Current }); i < 0 || !slices.Equal(list[i].Methods, []string{"pwd", "otp"}) {
			t.Fatalf("sessions %+v: want the current one with pwd and otp", list)
		}
		e.wantAudit(c.User, audit.MFAEnrol, audit.MFAConfirm, audit.MFAUse, audit.LoginFailure)
		e.noSecrets(append([]string{en.Secret, tok, toks.RefreshToken}, rc...)...)
	})
}

func checkEnrolment(t *testing.T, en identity.TOTPEnrolment, name string) {
	t.Helper()
	u, err := url.Parse(en.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("uri %q", en.URI)
	}
	q := u.Query()
	if u.Path != "/Rampart:"+name || q.Get("issuer") != "Rampart" || q.Get("secret") != en.Secret ||
		q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("uri %q", en.URI)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %d bytes (%v), want 20", len(raw), err)
	}
	img, err := png.Decode(bytes.NewReader(en.QRPNG))
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("qr png: %v", err)
	}
}

func checkRecoveryCodes(t *testing.T, rc []string) {
	t.Helper()
	if len(rc) != identity.RecoveryCodes {
		t.Fatalf("%d recovery codes, want %d", len(rc), identity.RecoveryCodes)
	}
	seen := map[string]bool{}
	for _, c := range rc {
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Fatalf("recovery code %q malformed or repeated", c)
		}
		seen[c] = true
	}
}

// wantAudit checks that the user's audit trail holds these kinds.
func (e *mfaEnv) wantAudit(user string, kinds ...string) {
	e.t.Helper()
	got, err := e.st.Audit(ctx, store.AuditQuery{Subject: user, Limit: store.MaxAuditPage})
	if err != nil {
		e.t.Fatal(err)
	}
	var have []string
	for _, a := range got {
		have = append(have, a.Kind)
	}
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			e.t.Fatalf("audit %v lacks %s", have, k)
		}
	}
}

// noSecrets checks that nothing secret reached the log or the audit trail.
func (e *mfaEnv) noSecrets(secrets ...string) {
	e.t.Helper()
	all, err := e.st.AuditRange(ctx, 0, store.MaxAuditPage)
	if err != nil {
		e.t.Fatal(err)
	}
	var trail strings.Builder
	for _, a := range all {
		trail.Write(a.Data)
	}
	for _, s := range secrets {
		for _, where := range []string{e.log.String(), trail.String()} {
			if strings.Contains(where, s) || strings.Contains(where, strings.ReplaceAll(s, "-", "")) {
				e.t.Fatalf("a secret %.6s... leaked: %s", s, where)
			}
		}
	}
}

func TestTOTPCodeOncePerStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		time.Sleep(30 * time.Second)
		now := time.Now()
		cur := code(t, a.secret, now)
		e.complete(e.challenge("alice"), cur, true)
		// The same code again, in the same step: refused.
		e.complete(e.challenge("alice"), cur, false)
		// Two steps away either side: refused.
		e.complete(e.challenge("alice"), code(t, a.secret, now.Add(60*time.Second)), false)
		e.complete(e.challenge("alice"), code(t, a.secret, now.Add(-60*time.Second)), false)
		// The previous step is within the skew but older than the one used.
		e.complete(e.challenge("alice"), code(t, a.secret, now.Add(-30*time.Second)), false)
		// The next step's code works early, once.
		next := code(t, a.secret, now.Add(30*time.Second))
		e.complete(e.challenge("alice"), next, true)
		time.Sleep(30 * time.Second)
		e.complete(e.challenge("alice"), next, false)
		time.Sleep(30 * time.Second)
		e.complete(e.challenge("alice"), code(t, a.secret, time.Now()), true)
	})
}

func TestMFATokenExpiresAndWorksOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{MFATokenTTL: 2 * time.Minute})
		a := e.enrol("alice")
		tok := e.challenge("alice")
		time.Sleep(2 * time.Minute)
		e.complete(tok, code(t, a.secret, time.Now()), false)

		tok = e.challenge("alice")
		time.Sleep(2*time.Minute - time.Second)
		e.complete(tok, code(t, a.secret, time.Now()), true)
		// Used already: the next step's code, good on its own, is refused.
		e.complete(tok, code(t, a.secret, time.Now().Add(30*time.Second)), false)
		e.complete(e.challenge("alice"), code(t, a.secret, time.Now().Add(30*time.Second)), true)
	})
}

func TestMFATokenBurnsAfterFiveWrongCodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		time.Sleep(30 * time.Second)
		tok := e.challenge("alice")
		for range 4 {
			e.complete(tok, wrongCode(t, a.secret, time.Now()), false)
		}
		// Four wrong codes leave the token alive.
		e.complete(tok, code(t, a.secret, time.Now()), true)

		time.Sleep(30 * time.Second)
		tok = e.challenge("alice")
		for range 5 {
			e.complete(tok, wrongCode(t, a.secret, time.Now()), false)
		}
		e.complete(tok, code(t, a.secret, time.Now()), false)
		// A new sign-in is not affected; the code is still unused.
		e.complete(e.challenge("alice"), code(t, a.secret, time.Now()), true)
	})
}

func TestWrongCodesCoolDownTheUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		for range 2 {
			tok := e.challenge("alice")
			for range 5 {
				e.complete(tok, wrongCode(t, a.secret, time.Now()), false)
			}
		}
		time.Sleep(30 * time.Second)
		// Ten wrong codes in a row: even the right one waits.
		e.complete(e.challenge("alice"), code(t, a.secret, time.Now()), false)
		e.complete(e.challenge("alice"), a.recovery[0], false)
		time.Sleep(5 * time.Minute)
		e.complete(e.challenge("alice"), code(t, a.secret, time.Now()), true)
		e.complete(e.challenge("alice"), a.recovery[0], true)
	})
}

func TestAdminResetsMFA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		c := e.caller(a.tokens.AccessToken)
		if err := e.s.ResetMFA(ctx, c.Principals, a.user); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("a user resetting a factor: %v", err)
		}
		if err := e.s.ResetMFA(ctx, identity.System, a.user); err != nil {
			t.Fatal(err)
		}
		// Her sessions ended, and the next sign-in needs no code.
		if _, err := e.s.Authenticate(ctx, a.tokens.AccessToken); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a session that outlived the reset: %v", err)
		}
		if res := e.password("alice"); res.Tokens == nil {
			t.Fatalf("sign-in after the reset still asks for a code: %+v", res)
		}
		if err := e.s.ResetMFA(ctx, identity.System, a.user); !errs.Is(err, errs.FailedPrecondition) {
			t.Fatalf("second reset: %v", err)
		}
		e.wantAudit(a.user, audit.MFADisable)
	})
}

func TestRecoveryCodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMFAEnv(t, identity.Options{})
		a := e.enrol("alice")
		toks := e.complete(e.challenge("alice"), a.recovery[0], true)
		c := e.caller(toks.AccessToken)
		list, _ := e.s.Sessions(ctx, c)
		if i := slices.IndexFunc(list, func(s identity.SessionInfo) bool { return s.Current }); i < 0 || !slices.Equal(list[i].Methods, []string{"pwd", "recovery"}) {
			t.Fatalf("sessions %+v: want the current one with pwd and recovery", list)
		}
		e.complete(e.challenge("alice"), a.recovery[0], false)
		// Case, dashes and spaces do not matter.
		e.complete(e.challenge("alice"), strings.ToUpper(strings.ReplaceAll(a.recovery[1], "-", " ")), true)
		e.complete(e.challenge("alice"), strings.ReplaceAll(a.recovery[1], "-", ""), false)

		// Regenerating needs a TOTP code, not a recovery code.
		if _, err := e.s.RegenerateRecoveryCodes(ctx, c, a.recovery[2], meta); !errs.Is(err, errs.InvalidArgument) {
			t.Fatalf("regenerate with a recovery code: %v", err)
		}
		if _, err := e.s.RegenerateRecoveryCodes(ctx, c, wrongCode(t, a.secret, time.Now()), meta); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("regenerate with a wrong code: %v", err)
		}
		time.Sleep(30 * time.Second)
		fresh, err := e.s.RegenerateRecoveryCodes(ctx, c, code(t, a.secret, time.Now()), meta)
		if err != nil {
			t.Fatal(err)
		}
		checkRecoveryCodes(t, fresh)
		e.complete(e.challenge("alice"), a.recovery[2], false) // old ones are gone
		e.complete(e.challenge("alice"), fresh[9], true)
		e.wantAudit(a.user, audit.MFARecoveryCodeUse, audit.RecoveryCodesRegenerate)
		e.noSecrets(append(fresh, a.recovery...)...)
	})
}

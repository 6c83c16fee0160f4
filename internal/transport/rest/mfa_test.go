package rest_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// authenticator plays the app on a phone against a real clock. Each code is
// accepted once per 30-second step, so it hands out codes of steps not yet
// used, within one step of now, and waits for the clock when it has none.
type authenticator struct {
	t      *testing.T
	secret string
	last   int64
}

func (a *authenticator) next() string {
	a.t.Helper()
	for {
		cur := time.Now().Unix() / 30
		// cur and cur+1 both stay acceptable if the step turns while the
		// request travels.
		if step := max(a.last+1, cur); step <= cur+1 {
			a.last = step
			c, err := totp.GenerateCodeCustom(a.secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				a.t.Fatal(err)
			}
			return c
		}
		time.Sleep(time.Until(time.Unix((cur+1)*30, 0)) + 50*time.Millisecond)
	}
}

// wrong is a well-formed code no step near now accepts.
func (a *authenticator) wrong() string {
	a.t.Helper()
	var near []string
	for d := int64(-2); d <= 3; d++ {
		c, _ := totp.GenerateCodeCustom(a.secret, time.Now().Add(time.Duration(d)*30*time.Second), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		near = append(near, c)
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555", "666666"} {
		if !strings.Contains(strings.Join(near, ","), c) {
			return c
		}
	}
	a.t.Fatal("no wrong code")
	return ""
}

func wantMFA(t *testing.T, r apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, status, code)
	}
}

type mfaTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	MFARequired  bool   `json:"mfa_required"`
	MFAToken     string `json:"mfa_token"`
}

const mfaPw = "mfa-password-12345"

// passwordStep signs in and expects to be asked for a code.
func passwordStep(t *testing.T, h *apptest.Harness, name string) string {
	t.Helper()
	r := h.Anonymous().Public("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": mfaPw})
	wantMFA(t, r, 200, "")
	var b mfaTokens
	r.JSON(&b)
	if !b.MFARequired || b.MFAToken == "" || b.AccessToken != "" || b.RefreshToken != "" {
		t.Fatalf("login answered %s, want only mfa_required", r.Body)
	}
	return b.MFAToken
}

// secondStep completes a sign-in; ok says whether it should work.
func secondStep(t *testing.T, h *apptest.Harness, tok, code string, ok bool) *apptest.Client {
	t.Helper()
	r := h.Anonymous().Public("POST", "/api/v1/auth/mfa", map[string]string{"mfa_token": tok, "code": code})
	if !ok {
		wantMFA(t, r, 401, "unauthenticated")
		return nil
	}
	wantMFA(t, r, 200, "")
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("tokens without Cache-Control: no-store")
	}
	var b mfaTokens
	r.JSON(&b)
	c := h.Anonymous()
	c.Token = b.AccessToken
	wantMFA(t, c.Public("GET", "/api/v1/me", nil), 200, "")
	return c
}

func enrolTOTP(t *testing.T, c *apptest.Client) *authenticator {
	t.Helper()
	r := c.Public("POST", "/api/v1/me/mfa/totp", nil)
	wantMFA(t, r, 200, "")
	var e struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
		QR     string `json:"qr_png"`
	}
	r.JSON(&e)
	if !strings.HasPrefix(e.URI, "otpauth://totp/Rampart:") || !strings.Contains(e.URI, "secret="+e.Secret) || len(e.Secret) != 32 {
		t.Fatalf("enrolment %s", r.Body)
	}
	raw, err := base64.StdEncoding.DecodeString(e.QR)
	if err != nil {
		t.Fatalf("qr_png is not base64: %v", err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("qr_png is not a PNG: %v", err)
	}
	return &authenticator{t: t, secret: e.Secret}
}

func confirmTOTP(t *testing.T, c *apptest.Client, a *authenticator) []string {
	t.Helper()
	wantMFA(t, c.Public("POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": a.wrong()}), 403, "permission_denied")
	r := c.Public("POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": a.next()})
	wantMFA(t, r, 200, "")
	var rc struct {
		Codes []string `json:"recovery_codes"`
	}
	r.JSON(&rc)
	if len(rc.Codes) != 10 {
		t.Fatalf("confirm answered %s", r.Body)
	}
	return rc.Codes
}

func TestMFAOverREST(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: e})
			h.CreateUser("alice", mfaPw, false)
			c := h.Login("alice", mfaPw)
			first := enrolTOTP(t, c)
			// Enrolling again while pending replaces the seed.
			a := enrolTOTP(t, c)
			if a.secret == first.secret {
				t.Fatal("a second enrolment kept the pending seed")
			}
			recovery := confirmTOTP(t, c, a)
			wantMFA(t, c.Public("POST", "/api/v1/me/mfa/totp", nil), 409, "conflict")
			if r := c.Public("GET", "/api/v1/me", nil); strings.Contains(string(r.Body), a.secret) {
				t.Fatal("the seed shows in /me")
			}
			wantMFA(t, c.Public("POST", "/api/v1/auth/logout", nil), 204, "")

			tok := passwordStep(t, h, "alice")
			secondStep(t, h, tok, a.wrong(), false)
			code := a.next()
			c = secondStep(t, h, tok, code, true)
			secondStep(t, h, tok, recovery[2], false)                  // the token worked once
			secondStep(t, h, passwordStep(t, h, "alice"), code, false) // replay in its step

			secondStep(t, h, passwordStep(t, h, "alice"), recovery[0], true)
			secondStep(t, h, passwordStep(t, h, "alice"), recovery[0], false)

			r := c.Public("POST", "/api/v1/me/mfa/recovery-codes", map[string]string{"code": a.next()})
			wantMFA(t, r, 200, "")
			var fresh struct {
				Codes []string `json:"recovery_codes"`
			}
			r.JSON(&fresh)
			if len(fresh.Codes) != 10 {
				t.Fatalf("regenerate answered %s", r.Body)
			}
			secondStep(t, h, passwordStep(t, h, "alice"), recovery[1], false)

			wantMFA(t, c.Public("DELETE", "/api/v1/me/mfa/totp", map[string]string{"code": a.wrong()}), 403, "permission_denied")
			wantMFA(t, c.Public("DELETE", "/api/v1/me/mfa/totp", map[string]string{"code": fresh.Codes[0]}), 204, "")
			h.Login("alice", mfaPw) // one step again
		})
	}
}

func TestMFARequiredRoleOverREST(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: e, Config: func(c *config.Config) {
				c.Auth.MFA.RequiredRoles = []string{"secops"}
			}})
			bob := h.CreateUser("bob", mfaPw, false)
			h.CreateRole("secops", h.CreateRole("oncall", bob)) // bob is in secops through oncall
			r := h.Anonymous().Public("POST", "/api/v1/auth/login", map[string]string{"username": "bob", "password": mfaPw})
			wantMFA(t, r, 200, "")
			var toks mfaTokens
			r.JSON(&toks)
			c := h.Anonymous()
			c.Token = toks.AccessToken

			// Enrol-only: everything but enrolment and the own session is refused.
			doc := "/api/v1/collections/things/documents"
			for _, call := range [][2]string{
				{"GET", doc + "/x"}, {"POST", doc}, {"POST", "/api/v1/collections/things/query"},
				{"GET", "/api/v1/apikeys"}, {"POST", "/api/v1/apikeys"}, {"POST", "/api/v1/me/password"},
				{"DELETE", "/api/v1/me/mfa/totp"}, {"POST", "/api/v1/me/mfa/recovery-codes"},
			} {
				wantMFA(t, c.Public(call[0], call[1], map[string]any{}), 403, "permission_denied")
			}
			wantMFA(t, c.Public("GET", "/api/v1/me", nil), 200, "")
			a := enrolTOTP(t, c)
			confirmTOTP(t, c, a)
			wantMFA(t, c.Public("GET", doc+"/x", nil), 403, "permission_denied") // this token stays narrow

			r = h.Anonymous().Public("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": toks.RefreshToken})
			wantMFA(t, r, 200, "")
			r.JSON(&toks)
			c.Token = toks.AccessToken
			wantMFA(t, c.Public("GET", doc+"/x", nil), 404, "not_found")
			wantMFA(t, c.Public("POST", doc, map[string]any{"_id": "x", "n": 1}), 201, "")
			// The factor must stay; the refusal comes before the code is looked at.
			code := a.next()
			wantMFA(t, c.Public("DELETE", "/api/v1/me/mfa/totp", map[string]string{"code": code}), 412, "failed_precondition")
			// The next sign-in takes both steps and gives full access.
			c = secondStep(t, h, passwordStep(t, h, "bob"), code, true)
			wantMFA(t, c.Public("GET", doc+"/x", nil), 200, "")
		})
	}
}

func TestMFAHostileREST(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("alice", mfaPw, false)
	h.CreateUser("mallory", mfaPw, false)
	c := h.Login("alice", mfaPw)
	a := enrolTOTP(t, c)
	confirmTOTP(t, c, a)
	m := h.Login("mallory", mfaPw)
	ma := enrolTOTP(t, m)
	confirmTOTP(t, m, ma)
	tok := passwordStep(t, h, "alice")
	anon := h.Anonymous()
	for _, body := range []any{
		"", "null", "[]", `{"mfa_token":1,"code":"123456"}`, `{"mfa_token":"` + tok + `","code":123456}`,
		`{"mfa_token":"` + tok + `","code":"123456","extra":1}`, `{"MFA_token":"` + tok + `","code":"123456"}`,
		[]byte("{\"mfa_token\":\"" + tok + "\",\"code\":\"\xff\xfe\"}"),
		`{"mfa_token":"` + tok + `","code":"12\u00003456"}`,
	} {
		wantMFA(t, anon.Public("POST", "/api/v1/auth/mfa", body), 400, "invalid_argument")
	}
	for _, code := range []string{"12345a", strings.Repeat("7", 100), "１２３４５６", "", "abcde-fghi!"} {
		secondStep(t, h, tok, code, false)
	}
	for _, forged := range []string{"", "garbage", tok + "A", "x." + strings.Repeat("A", 43), strings.Repeat("z", 5000)} {
		secondStep(t, h, forged, "123456", false)
	}
	// mallory's code on alice's token, and alice's code on mallory's.
	code := a.next()
	secondStep(t, h, tok, ma.next(), false)
	secondStep(t, h, passwordStep(t, h, "mallory"), code, false)
	// Anonymous and garbage credentials cannot reach the self-service endpoints.
	wantMFA(t, anon.Public("POST", "/api/v1/me/mfa/totp", nil), 401, "unauthenticated")
	wantMFA(t, anon.Public("POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": "123456"}), 401, "unauthenticated")
	// A body on enrolment must be empty or {}.
	wantMFA(t, c.Public("POST", "/api/v1/me/mfa/totp", map[string]string{"secret": "AAAA"}), 400, "invalid_argument")
	// None of that used up alice's token.
	secondStep(t, h, tok, code, true)
	if r := anon.Do("POST", h.PublicURL+"/api/v1/auth/mfa", `{"mfa_token":"x","code":"1"}`, nil); r.Header.Get("WWW-Authenticate") == "" || r.Status != http.StatusUnauthorized {
		t.Fatalf("refusal %d without a challenge header", r.Status)
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
)

// lockedBuffer collects the node's log while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretsInLogsOrAudit drives every credential flow once (sign-in
// right and wrong, refresh and refresh reuse, a second factor with its
// recovery codes, API keys made, used, rotated and revoked, a password
// change) with the node logging at debug level, then searches the process
// log and every audit entry for each secret the flows used.
func TestNoSecretsInLogsOrAudit(t *testing.T) {
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			logs := &lockedBuffer{}
			h := apptest.Start(t, apptest.Options{Engine: engine, Log: logs, Config: func(c *config.Config) {
				c.Auth.Refresh.ReuseGrace = config.Duration(time.Second) // the shortest, to replay soon
			}})
			secrets := secretFlows(t, h)
			entries, err := h.Node.Store().AuditRange(context.Background(), 0, store.MaxAuditPage)
			if err != nil {
				t.Fatal(err)
			}
			auditText, err := json.Marshal(entries)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) < 10 {
				t.Fatalf("only %d audit entries: the flows did not run", len(entries))
			}
			for name, secret := range secrets {
				if len(secret) < 8 {
					t.Fatalf("secret %s is too short to search for reliably", name)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the process log holds the %s", name)
				}
				if strings.Contains(string(auditText), secret) {
					t.Errorf("the audit log holds the %s", name)
				}
			}
		})
	}
}

// secretFlows runs the flows and returns every secret they handled.
func secretFlows(t *testing.T, h *apptest.Harness) map[string]string {
	const pw, pw2 = "a first secret password", "a second secret password"
	h.CreateUser("sam", pw, false)
	secrets := map[string]string{"password": pw, "new password": pw2}
	c := h.Anonymous()
	wrong := c.Public("POST", "/api/v1/auth/login", map[string]string{"username": "sam", "password": "wrong but long password"})
	if wrong.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", wrong.Status)
	}
	secrets["wrong password"] = "wrong but long password"
	toks := login(t, c, "sam", pw)
	secrets["access token"], secrets["refresh token"] = toks.Access, toks.Refresh
	user := h.Anonymous()
	user.Token = toks.Access

	// Refresh once, then replay the used token after the grace: reuse.
	next := refreshTokens(t, c, toks.Refresh, http.StatusOK)
	secrets["second refresh token"] = next.Refresh
	time.Sleep(h.Cfg.Auth.Refresh.ReuseGrace.Duration() + 100*time.Millisecond)
	refreshTokens(t, c, toks.Refresh, http.StatusUnauthorized)

	// A second factor, with a fresh session.
	toks = login(t, c, "sam", pw)
	user.Token = toks.Access
	var en struct {
		Secret string `json:"secret"`
	}
	user.Public("POST", "/api/v1/me/mfa/totp", map[string]any{}).JSON(&en)
	secrets["totp secret"] = en.Secret
	code, err := totp.GenerateCode(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var rc struct {
		Codes []string `json:"recovery_codes"`
	}
	user.Public("POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": code}).JSON(&rc)
	if len(rc.Codes) != 10 {
		t.Fatalf("recovery codes: %v", rc.Codes)
	}
	secrets["recovery code"] = rc.Codes[0]
	var ch struct {
		Token string `json:"mfa_token"`
	}
	c.Public("POST", "/api/v1/auth/login", map[string]string{"username": "sam", "password": pw}).JSON(&ch)
	secrets["mfa token"] = ch.Token
	var done struct {
		Access string `json:"access_token"`
	}
	res := c.Public("POST", "/api/v1/auth/mfa", map[string]string{"mfa_token": ch.Token, "code": rc.Codes[0]})
	res.JSON(&done)
	if res.Status != http.StatusOK {
		t.Fatalf("second step: %d %s", res.Status, res.Body)
	}
	user.Token = done.Access

	// API keys: made, used, rotated, revoked, then used again.
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	user.Public("POST", "/api/v1/apikeys", map[string]any{"name": "ci", "expires_in": 3600}).JSON(&key)
	secrets["api key"] = key.Key
	byKey := h.Anonymous()
	byKey.Token = key.Key
	if r := byKey.Public("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("api key use: %d", r.Status)
	}
	var rotated struct {
		Key string `json:"key"`
	}
	user.Public("POST", "/api/v1/apikeys/"+key.ID+"/rotate", nil).JSON(&rotated)
	secrets["rotated api key"] = rotated.Key
	user.Public("DELETE", "/api/v1/apikeys/"+key.ID, nil)
	byKey.Token = rotated.Key
	if r := byKey.Public("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked api key use: %d", r.Status)
	}
	if r := user.Public("POST", "/api/v1/me/password", map[string]string{"current": pw, "new": pw2}); r.Status != http.StatusNoContent {
		t.Fatalf("password change: %d %s", r.Status, r.Body)
	}
	return secrets
}

type tokenPair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

func login(t *testing.T, c *apptest.Client, user, pw string) tokenPair {
	t.Helper()
	var p tokenPair
	res := c.Public("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	res.JSON(&p)
	return p
}

func refreshTokens(t *testing.T, c *apptest.Client, rt string, want int) tokenPair {
	t.Helper()
	var p tokenPair
	res := c.Public("POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": rt})
	if res.Status != want {
		t.Fatalf("refresh: %d %s, want %d", res.Status, res.Body, want)
	}
	if want == http.StatusOK {
		res.JSON(&p)
	}
	return p
}

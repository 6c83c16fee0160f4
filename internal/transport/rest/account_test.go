package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/query"
)

// errorOf decodes an error answer's code, message and details.
func errorOf(t *testing.T, r apptest.Response) (code, msg string, details map[string]any) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("decode error %s: %v", r.Body, err)
	}
	return e.Error.Code, e.Error.Message, e.Error.Details
}

func userCount(t *testing.T, h *apptest.Harness) int64 {
	t.Helper()
	n, err := h.Node.Store().Count(context.Background(), identity.Collection, apptest.System, query.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func userVersion(t *testing.T, h *apptest.Harness, id string) int64 {
	t.Helper()
	d, err := h.Node.Store().Get(context.Background(), identity.Collection, id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Version
}

// TestAnonymousRateLimit spends an address's burst on the anonymous
// endpoints and checks the 429 answer; signed-in endpoints, health checks
// and the admin listener are not limited.
func TestAnonymousRateLimit(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, StrictAuth: true})
	h.CreateUser("alice", userPw, false)
	alice := h.Login("alice", userPw) // one token of the 20
	anon := h.Anonymous()
	var limited apptest.Response
	for i := range 40 {
		r := anon.Public("POST", "/api/v1/auth/login", `[]`) // refused before any password work
		if r.Status == http.StatusTooManyRequests {
			limited = r
			if i < 15 {
				t.Fatalf("limited after %d requests, the burst is 20", i+1)
			}
			break
		}
		if r.Status != http.StatusBadRequest {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if limited.Status == 0 {
		t.Fatal("40 quick requests were never limited")
	}
	code, _, details := errorOf(t, limited)
	retry, err := strconv.Atoi(limited.Header.Get("Retry-After"))
	if code != "resource_exhausted" || err != nil || retry < 1 || details["retry_after"] != float64(retry) {
		t.Fatalf("429 answer: code %s, Retry-After %q, details %v", code, limited.Header.Get("Retry-After"), details)
	}
	// The bucket is the address's, shared by every anonymous endpoint.
	for _, path := range []string{"/api/v1/auth/register", "/api/v1/auth/recover", "/api/v1/auth/refresh", "/api/v1/auth/mfa"} {
		if r := anon.Public("POST", path, `{}`); r.Status != http.StatusTooManyRequests {
			t.Errorf("%s after the burst: %d, want 429", path, r.Status)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/.well-known/jwks.json", "/.well-known/openid-configuration", "/no/such/path"} {
		if r := anon.Public("GET", path, nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("GET %s after the burst: %d, want 429", path, r.Status)
		}
	}
	if r := alice.Public("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Errorf("signed-in request limited: %d", r.Status)
	}
}

// TestLockoutOverREST locks an account through the API, compares the
// answers for wrong, unknown and locked, and unlocks it as an admin.
func TestLockoutOverREST(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: e, StrictAuth: true})
			h.CreateUser("root", adminPw, true)
			aliceID := h.CreateUser("alice", userPw, false)
			root := h.Login("root", adminPw)
			anon := h.Anonymous()
			login := func(name, pw string) apptest.Response {
				return anon.Public("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": pw})
			}
			var answers []apptest.Response
			for range 5 {
				answers = append(answers, login("alice", "wrong-password-000"))
			}
			answers = append(answers, login("nobody", "wrong-password-000"), login("alice", userPw))
			for i, r := range answers {
				code, msg, details := errorOf(t, r)
				if r.Status != http.StatusUnauthorized || code != "unauthenticated" || msg != "invalid username or password" || details != nil ||
					r.Header.Get("WWW-Authenticate") != answers[0].Header.Get("WWW-Authenticate") || r.Header.Get("Retry-After") != "" {
					t.Fatalf("answer %d differs: %d %s %v", i, r.Status, r.Body, r.Header)
				}
			}
			unlock := func(c *apptest.Client, id string) apptest.Response {
				return c.Admin("POST", "/api/v1/users/"+id+"/unlock", nil)
			}
			for _, tc := range []struct {
				name   string
				c      *apptest.Client
				id     string
				status int
			}{
				{"no credentials", anon, aliceID, http.StatusUnauthorized},
				{"unknown user", root, "no-such-user", http.StatusNotFound},
				{"a role", root, "admins", http.StatusNotFound},
				{"bad id", root, "a'--", http.StatusBadRequest},
				{"NUL", root, "a%00b", http.StatusBadRequest},
				{"long id", root, strings.Repeat("a", 200), http.StatusBadRequest},
			} {
				if r := unlock(tc.c, tc.id); r.Status != tc.status {
					t.Errorf("unlock, %s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
				}
			}
			if r := login("alice", userPw); r.Status != http.StatusUnauthorized {
				t.Fatalf("refused unlocks unlocked alice: %d", r.Status)
			}
			if r := unlock(root, aliceID); r.Status != http.StatusNoContent {
				t.Fatalf("unlock: %d %s", r.Status, r.Body)
			}
			if r := login("alice", userPw); r.Status != http.StatusOK {
				t.Fatalf("after unlock: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestRegistrationOverREST(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
		before := userCount(t, h)
		r := h.Anonymous().Public("POST", "/api/v1/auth/register", map[string]string{"username": "dave", "password": "dave-password-123"})
		if code, _, _ := errorOf(t, r); r.Status != http.StatusNotFound || code != "not_found" {
			t.Fatalf("register while off: %d %s", r.Status, r.Body)
		}
		if userCount(t, h) != before {
			t.Fatal("a refused registration created a user")
		}
	})
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: e, Config: func(c *config.Config) { c.Auth.Registration.Enabled = true }})
			anon := h.Anonymous()
			r := anon.Public("POST", "/api/v1/auth/register", map[string]string{"username": "Dave", "password": "dave-password-123", "email": "dave@example.com"})
			if r.Status != http.StatusCreated {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			var d map[string]any
			r.JSON(&d)
			if d["username"] != "dave" || d["_id"] == nil || d["_type"] != "user" || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("registered %v", d)
			}
			me := h.Login("dave", "dave-password-123").Public("GET", "/api/v1/me", nil)
			if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"roles":["users"]`) {
				t.Fatalf("a registered user's roles: %d %s", me.Status, me.Body)
			}
			before := userCount(t, h)
			for _, tc := range []struct {
				name, body string
				status     int
			}{
				{"taken", `{"username":"DAVE","password":"another-password-456"}`, http.StatusConflict},
				{"asks for a role", `{"username":"erin","password":"erin-password-123","roles":["admins"]}`, http.StatusBadRequest},
				{"sets the ACL", `{"username":"erin","password":"erin-password-123","_acl":[]}`, http.StatusBadRequest},
				{"sets an id", `{"username":"erin","password":"erin-password-123","_id":"admins"}`, http.StatusBadRequest},
				{"sets disabled", `{"username":"erin","password":"erin-password-123","disabled":false}`, http.StatusBadRequest},
				{"number name", `{"username":5,"password":"erin-password-123"}`, http.StatusBadRequest},
				{"null password", `{"username":"erin","password":null}`, http.StatusBadRequest},
				{"missing password", `{"username":"erin"}`, http.StatusBadRequest},
				{"duplicate key", `{"username":"erin","username":"root","password":"erin-password-123"}`, http.StatusBadRequest},
				{"NUL", `{"username":"erin","password":"erin-pass\u0000word-123"}`, http.StatusBadRequest},
				{"bad UTF-8", "{\"username\":\"erin\",\"password\":\"erin-pass\xffword-123\"}", http.StatusBadRequest},
				{"array", `[{"username":"erin","password":"erin-password-123"}]`, http.StatusBadRequest},
				{"empty", ``, http.StatusBadRequest},
				{"common password", `{"username":"erin","password":"1qaz2wsx3edc"}`, http.StatusBadRequest},
				{"password is the name", `{"username":"erin-the-great","password":"Erin-The-Great"}`, http.StatusBadRequest},
				{"injection", `{"username":"x'); DROP TABLE records; --","password":"erin-password-123"}`, http.StatusBadRequest},
				{"huge password", `{"username":"erin","password":"` + strings.Repeat("p", 100000) + `"}`, http.StatusBadRequest},
			} {
				if r := anon.Public("POST", "/api/v1/auth/register", tc.body); r.Status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
				}
			}
			if n := userCount(t, h); n != before {
				t.Fatalf("refused registrations changed the users from %d to %d", before, n)
			}
		})
	}
}

func TestRecoverOverREST(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: func(c *config.Config) { c.Auth.Local.Enabled = false }})
	h.CreateUser("root", adminPw, true)
	anon := h.Anonymous()
	if r := anon.Public("POST", "/api/v1/auth/login", map[string]string{"username": "root", "password": adminPw}); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("password sign-in while off: %d %s", r.Status, r.Body)
	}
	tok, _, err := h.Node.Services().Identity.IssueRecovery(context.Background(), "root", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"empty token", `{"token":""}`, http.StatusUnauthorized},
		{"wrong secret", `{"token":"` + tok[:len(tok)-4] + `AAAA"}`, http.StatusUnauthorized},
		{"number", `{"token":5}`, http.StatusBadRequest},
		{"unknown key", `{"token":"` + tok + `","user":"root"}`, http.StatusBadRequest},
		{"NUL", `{"token":"rbg_\u0000"}`, http.StatusBadRequest},
		{"long", `{"token":"rbg_` + strings.Repeat("a", 10000) + `"}`, http.StatusUnauthorized},
		{"injection", `{"token":"rbg_x' OR '1'='1.AAAA"}`, http.StatusUnauthorized},
		{"no body", ``, http.StatusBadRequest},
	} {
		if r := anon.Public("POST", "/api/v1/auth/recover", tc.body); r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
	}
	r := anon.Public("POST", "/api/v1/auth/recover", map[string]string{"token": tok})
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	var toks identity.Tokens
	r.JSON(&toks)
	root := h.Anonymous()
	root.Token = toks.AccessToken
	ses := root.Public("GET", "/api/v1/auth/sessions", nil)
	if ses.Status != http.StatusOK || !strings.Contains(string(ses.Body), `"methods":["breakglass"]`) {
		t.Fatalf("sessions: %d %s", ses.Status, ses.Body)
	}
	if r := root.Admin("GET", "/api/v1/users", nil); r.Status != http.StatusOK {
		t.Fatalf("the recovered admin cannot list users: %d", r.Status)
	}
	if r := anon.Public("POST", "/api/v1/auth/recover", map[string]string{"token": tok}); r.Status != http.StatusUnauthorized {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
}

func TestUpdateProfileOverREST(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	id := h.CreateUser("alice", userPw, false)
	alice := h.Login("alice", userPw)
	r := alice.Public("PATCH", "/api/v1/me", map[string]string{"name": "Alice A.", "email": "alice@example.com"})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"Alice A."`) {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	v := userVersion(t, h, id)
	for _, tc := range []struct {
		name   string
		c      *apptest.Client
		body   string
		status int
	}{
		{"no credentials", h.Anonymous(), `{"name":"x"}`, http.StatusUnauthorized},
		{"disable", alice, `{"disabled":true}`, http.StatusBadRequest},
		{"rename", alice, `{"username":"root"}`, http.StatusBadRequest},
		{"password", alice, `{"password":"new-password-789"}`, http.StatusBadRequest},
		{"ACL", alice, `{"_acl":[{"id":"users","rights":63}]}`, http.StatusBadRequest},
		{"type", alice, `{"_type":"role"}`, http.StatusBadRequest},
		{"number", alice, `{"name":5}`, http.StatusBadRequest},
		{"object", alice, `{"email":{"$ne":""}}`, http.StatusBadRequest},
		{"NUL", alice, `{"name":"a\u0000b"}`, http.StatusBadRequest},
		{"bad UTF-8", alice, "{\"name\":\"\xff\"}", http.StatusBadRequest},
		{"long", alice, `{"name":"` + strings.Repeat("n", 300) + `"}`, http.StatusBadRequest},
		{"empty", alice, ``, http.StatusBadRequest},
		{"array", alice, `[]`, http.StatusBadRequest},
	} {
		if r := tc.c.Public("PATCH", "/api/v1/me", tc.body); r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
	}
	if got := userVersion(t, h, id); got != v {
		t.Fatalf("refused patches moved alice from version %d to %d", v, got)
	}
}

package rest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// keyEnv is a node with an admin and two users signed in, whose log the
// test reads back.
type keyEnv struct {
	t               *testing.T
	h               *apptest.Harness
	root, alice, bo *apptest.Client
	log             string // path of the node's log
	keys            []string
}

func TestAPIKeysREST(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			env := newKeyEnv(t, e)
			t.Run("lifecycle", env.lifecycle)
			t.Run("credential headers", env.headers)
			t.Run("hostile keys", env.hostile)
			t.Run("expires_in", env.expiresIn)
			t.Run("read-only scope", env.readOnly)
			t.Run("collection scope", env.collectionScope)
			t.Run("never more than the user", env.neverWider)
			t.Run("admin scope", env.adminScope)
			t.Run("other users' keys", env.othersKeys)
			t.Run("keys cannot manage keys", env.keyManagesKeys)
			t.Run("disabled owner", env.disabledOwner)
			t.Run("secrets stay out of answers and logs", env.noLeaks)
		})
	}
}

// newKeyEnv starts a node whose debug log goes to a file the test reads.
func newKeyEnv(t *testing.T, e apptest.Engine) *keyEnv {
	path := filepath.Join(t.TempDir(), "node.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // runs after the node's shutdown
	h := apptest.Start(t, apptest.Options{Engine: e, Log: f, Config: func(c *config.Config) {
		c.HTTP.MaxHeaderBytes = 1 * config.MiB
	}})
	h.CreateUser("root", adminPw, true)
	h.CreateUser("alice", userPw, false)
	h.CreateUser("bob", userPw, false)
	return &keyEnv{t: t, h: h, root: h.Login("root", adminPw), alice: h.Login("alice", userPw), bo: h.Login("bob", userPw), log: path}
}

type createdKey struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Owner     string    `json:"owner"`
	ExpiresAt time.Time `json:"expires_at"`
}

// create makes a key as c and remembers its secret for the leak check.
func (env *keyEnv) create(t *testing.T, c *apptest.Client, body map[string]any) createdKey {
	t.Helper()
	if body["name"] == nil {
		body["name"] = "test key"
	}
	res := c.Public("POST", "/api/v1/apikeys", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create key: %d %s", res.Status, res.Body)
	}
	var k createdKey
	res.JSON(&k)
	env.keys = append(env.keys, k.Key)
	return k
}

// as calls the public listener with an API key in X-API-Key.
func (env *keyEnv) as(t *testing.T, key, method, path string, body any) apptest.Response {
	t.Helper()
	return env.h.Anonymous().Do(method, env.h.PublicURL+path, body, map[string]string{"X-API-Key": key})
}

func wantStatus(t *testing.T, res apptest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
}

func (env *keyEnv) lifecycle(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{"name": "ci"})
	if !strings.HasPrefix(k.Key, "rk_"+k.ID+"_") || k.Owner != env.alice.User || time.Until(k.ExpiresAt) < 89*24*time.Hour {
		t.Fatalf("created %+v", k)
	}
	res := env.as(t, k.Key, "GET", "/api/v1/me", nil)
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), env.alice.User) {
		t.Fatalf("me with a key: %s", res.Body)
	}
	bearer := env.h.Anonymous()
	bearer.Token = k.Key
	wantStatus(t, bearer.Public("GET", "/api/v1/me", nil), http.StatusOK)

	rot := env.alice.Public("POST", "/api/v1/apikeys/"+k.ID+"/rotate", nil)
	wantStatus(t, rot, http.StatusCreated)
	var next createdKey
	rot.JSON(&next)
	env.keys = append(env.keys, next.Key)
	if next.ID != k.ID || next.Key == k.Key {
		t.Fatalf("rotated %+v", next)
	}
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusOK) // within the grace
	wantStatus(t, env.as(t, next.Key, "GET", "/api/v1/me", nil), http.StatusOK)

	wantStatus(t, env.alice.Public("DELETE", "/api/v1/apikeys/"+k.ID, nil), http.StatusNoContent)
	// The very next request fails, with either secret.
	wantStatus(t, env.as(t, next.Key, "GET", "/api/v1/me", nil), http.StatusUnauthorized)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusUnauthorized)
	wantStatus(t, env.alice.Public("DELETE", "/api/v1/apikeys/"+k.ID, nil), http.StatusNotFound)
}

func (env *keyEnv) headers(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{})
	hdr := map[string]string{"X-API-Key": k.Key}
	both := env.alice.Do("GET", env.h.PublicURL+"/api/v1/me", nil, hdr)
	if both.Status != http.StatusBadRequest || both.Code() != "invalid_argument" {
		t.Fatalf("both credentials: %d %s", both.Status, both.Body)
	}
	anon := env.h.Anonymous()
	wantStatus(t, anon.Do("GET", env.h.PublicURL+"/api/v1/me", nil, map[string]string{"X-API-Key": env.alice.Token}), http.StatusUnauthorized)
	wantStatus(t, anon.Do("GET", env.h.PublicURL+"/api/v1/me", nil, map[string]string{"X-API-Key": ""}), http.StatusUnauthorized)
	wantStatus(t, anon.Do("GET", env.h.PublicURL+"/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + k.Key}), http.StatusOK)
}

func (env *keyEnv) hostile(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{})
	secret := k.Key[len("rk_"+k.ID+"_"):]
	other := env.create(t, env.bo, map[string]any{})
	for name, key := range map[string]string{
		"prefix alone":       "rk_",
		"wrong prefix":       "rx_" + k.ID + "_" + secret,
		"bad base64":         "rk_" + k.ID + "_" + strings.Repeat("!", 43),
		"wrong secret":       "rk_" + k.ID + "_" + strings.Repeat("A", 43),
		"other key's secret": "rk_" + k.ID + "_" + other.Key[len("rk_"+other.ID+"_"):],
		"100 KB":             k.Key + strings.Repeat("A", 100<<10),
		"invalid UTF-8":      "rk_" + k.ID + "_" + secret[:40] + "\xff\xfe\xfd",
	} {
		for _, header := range []string{"X-API-Key", "Authorization"} {
			v := key
			if header == "Authorization" {
				v = "Bearer " + key
			}
			res := env.h.Anonymous().Do("GET", env.h.PublicURL+"/api/v1/me", nil, map[string]string{header: v})
			if res.Status != http.StatusUnauthorized || res.Code() != "unauthenticated" {
				t.Errorf("%s in %s: %d %s", name, header, res.Status, res.Body)
			}
		}
	}
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusOK)
}

func (env *keyEnv) expiresIn(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{"expires_in": 3600})
	if d := time.Until(k.ExpiresAt); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expires_in 3600 gave %v", d)
	}
	for _, v := range []any{0, -5, "1h", 1.5, 366 * 24 * 3600, int64(1) << 62, nil} {
		res := env.alice.Public("POST", "/api/v1/apikeys", map[string]any{"name": "x", "expires_in": v})
		if v == nil {
			wantStatus(t, res, http.StatusCreated) // null is the default
			continue
		}
		if res.Status != http.StatusBadRequest {
			t.Errorf("expires_in %v: %d %s", v, res.Status, res.Body)
		}
	}
	for _, body := range []any{
		map[string]any{},
		map[string]any{"name": ""},
		map[string]any{"name": "x", "owner": "someone"},
		map[string]any{"name": "x", "scopes": map[string]any{"rights": 64}},
		map[string]any{"name": "x", "scopes": map[string]any{"collections": []string{"bad name"}}},
		map[string]any{"name": "x", "scopes": map[string]any{"Rights": 2}},
	} {
		if res := env.alice.Public("POST", "/api/v1/apikeys", body); res.Status != http.StatusBadRequest {
			t.Errorf("create %v: %d %s", body, res.Status, res.Body)
		}
	}
}

func (env *keyEnv) readOnly(t *testing.T) {
	wantStatus(t, env.alice.Public("POST", "/api/v1/collections/ro/documents", map[string]any{"_id": "mine", "n": 1}), http.StatusCreated)
	k := env.create(t, env.alice, map[string]any{"scopes": map[string]any{"rights": 2}})
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/collections/ro/documents/mine", nil), http.StatusOK)
	wantStatus(t, env.as(t, k.Key, "POST", "/api/v1/collections/ro/documents", map[string]any{"n": 2}), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "PATCH", "/api/v1/collections/ro/documents/mine", map[string]any{"n": 2}), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "DELETE", "/api/v1/collections/ro/documents/mine", nil), http.StatusForbidden)
}

func (env *keyEnv) collectionScope(t *testing.T) {
	for _, c := range []string{"inside", "outside"} {
		wantStatus(t, env.alice.Public("POST", "/api/v1/collections/"+c+"/documents", map[string]any{"_id": "d1"}), http.StatusCreated)
	}
	k := env.create(t, env.alice, map[string]any{"scopes": map[string]any{"collections": []string{"inside"}}})
	res := env.as(t, k.Key, "POST", "/api/v1/collections/outside/query", map[string]any{})
	wantStatus(t, res, http.StatusOK)
	if strings.Contains(string(res.Body), "d1") {
		t.Fatalf("query outside the scope: %s", res.Body)
	}
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/collections/outside/documents/d1", nil), http.StatusNotFound)
	wantStatus(t, env.as(t, k.Key, "POST", "/api/v1/collections/outside/documents", map[string]any{"n": 1}), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "DELETE", "/api/v1/collections/outside/documents/d1", nil), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/collections/inside/documents/d1", nil), http.StatusOK)
	wantStatus(t, env.as(t, k.Key, "POST", "/api/v1/collections/inside/documents", map[string]any{"n": 1}), http.StatusCreated)
}

// A key asking for every right still holds only what its user holds.
func (env *keyEnv) neverWider(t *testing.T) {
	doc := map[string]any{"_id": "shared", "_acl": []map[string]any{{"id": env.root.User, "rights": 63}, {"id": "users", "rights": 2}}}
	wantStatus(t, env.root.Public("POST", "/api/v1/collections/wide/documents", doc), http.StatusCreated)
	k := env.create(t, env.alice, map[string]any{"scopes": map[string]any{"rights": 63}})
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/collections/wide/documents/shared", nil), http.StatusOK)
	wantStatus(t, env.as(t, k.Key, "PATCH", "/api/v1/collections/wide/documents/shared", map[string]any{"n": 1}), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "DELETE", "/api/v1/collections/wide/documents/shared", nil), http.StatusForbidden)
}

func (env *keyEnv) adminScope(t *testing.T) {
	plain := env.create(t, env.root, map[string]any{})
	admin := env.create(t, env.root, map[string]any{"scopes": map[string]any{"admin": true}})
	adminGet := func(key string) apptest.Response {
		return env.h.Anonymous().Do("GET", env.h.AdminURL+"/api/v1/users", nil, map[string]string{"X-API-Key": key})
	}
	wantStatus(t, adminGet(plain.Key), http.StatusForbidden)
	wantStatus(t, adminGet(admin.Key), http.StatusOK)
	// Without the admin scope the admin's key does not bypass ACLs either.
	wantStatus(t, env.alice.Public("POST", "/api/v1/collections/priv/documents", map[string]any{"_id": "p"}), http.StatusCreated)
	wantStatus(t, env.as(t, plain.Key, "GET", "/api/v1/collections/priv/documents/p", nil), http.StatusNotFound)
	wantStatus(t, env.as(t, admin.Key, "GET", "/api/v1/collections/priv/documents/p", nil), http.StatusOK)
	res := env.alice.Public("POST", "/api/v1/apikeys", map[string]any{"name": "x", "scopes": map[string]any{"admin": true}})
	wantStatus(t, res, http.StatusForbidden)
}

func (env *keyEnv) othersKeys(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{})
	wantStatus(t, env.bo.Public("DELETE", "/api/v1/apikeys/"+k.ID, nil), http.StatusNotFound)
	wantStatus(t, env.bo.Public("POST", "/api/v1/apikeys/"+k.ID+"/rotate", nil), http.StatusNotFound)
	res := env.bo.Public("GET", "/api/v1/apikeys", nil)
	wantStatus(t, res, http.StatusOK)
	if strings.Contains(string(res.Body), k.ID) {
		t.Fatalf("bob lists alice's key: %s", res.Body)
	}
	wantStatus(t, env.bo.Admin("GET", "/api/v1/users/"+env.alice.User+"/apikeys", nil), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusOK)

	// Admins make and list keys for anyone on the admin listener.
	res = env.root.Admin("POST", "/api/v1/users/"+env.bo.User+"/apikeys", map[string]any{"name": "for bob"})
	wantStatus(t, res, http.StatusCreated)
	var made createdKey
	res.JSON(&made)
	env.keys = append(env.keys, made.Key)
	if made.Owner != env.bo.User {
		t.Fatalf("admin-made key: %s", res.Body)
	}
	me := env.as(t, made.Key, "GET", "/api/v1/me", nil)
	wantStatus(t, me, http.StatusOK)
	if !strings.Contains(string(me.Body), env.bo.User) {
		t.Fatalf("admin-made key runs as someone else: %s", me.Body)
	}
	res = env.root.Admin("GET", "/api/v1/users/"+env.bo.User+"/apikeys", nil)
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), made.ID) {
		t.Fatalf("admin list lacks the key: %s", res.Body)
	}
	wantStatus(t, env.root.Admin("GET", "/api/v1/users/no-such-user/apikeys", nil), http.StatusNotFound)
}

func (env *keyEnv) keyManagesKeys(t *testing.T) {
	k := env.create(t, env.alice, map[string]any{})
	wantStatus(t, env.as(t, k.Key, "POST", "/api/v1/apikeys", map[string]any{"name": "child"}), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "POST", "/api/v1/apikeys/"+k.ID+"/rotate", nil), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "DELETE", "/api/v1/apikeys/"+k.ID, nil), http.StatusForbidden)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/apikeys", nil), http.StatusOK)
}

func (env *keyEnv) disabledOwner(t *testing.T) {
	k := env.create(t, env.bo, map[string]any{})
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusOK)
	wantStatus(t, env.root.Admin("PATCH", "/api/v1/users/"+env.bo.User, map[string]any{"disabled": true}), http.StatusOK)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusUnauthorized)
	wantStatus(t, env.root.Admin("PATCH", "/api/v1/users/"+env.bo.User, map[string]any{"disabled": false}), http.StatusOK)
	wantStatus(t, env.as(t, k.Key, "GET", "/api/v1/me", nil), http.StatusOK)
}

// noLeaks runs last: every key made so far must be absent from listings
// and from everything the node logged.
func (env *keyEnv) noLeaks(t *testing.T) {
	var seen []string
	for _, c := range []*apptest.Client{env.alice, env.root} { // bob's session ended with the disable
		res := c.Public("GET", "/api/v1/apikeys", nil)
		wantStatus(t, res, http.StatusOK)
		if !strings.Contains(string(res.Body), `"expires_at"`) || strings.Contains(string(res.Body), `"key"`) {
			t.Fatalf("listing: %s", res.Body)
		}
		seen = append(seen, string(res.Body))
	}
	logged, err := os.ReadFile(env.log)
	if err != nil || !strings.Contains(string(logged), "request refused") {
		t.Fatalf("the node's log was not captured (%v): %.200s", err, logged)
	}
	seen = append(seen, string(logged))
	for _, key := range env.keys {
		secret := key[strings.LastIndexByte(key[:20], '_')+1:]
		raw, _ := base64.RawURLEncoding.DecodeString(secret)
		sum := sha256.Sum256(raw)
		for _, form := range []string{secret, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])} {
			for _, text := range seen {
				if strings.Contains(text, form) {
					t.Fatalf("a secret or its hash leaks: %q found", form)
				}
			}
		}
	}
}

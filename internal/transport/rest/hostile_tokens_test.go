package rest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/token"
)

// forgery builds tokens that look right but must not be accepted.
type forgery struct {
	f   *fixture
	kid string
}

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func (g forgery) claims(sub string, iat, exp time.Time) map[string]any {
	return map[string]any{
		"iss": g.f.h.Cfg.Auth.Issuer, "aud": []string{g.f.h.Cfg.Auth.Audience}, "sub": sub,
		"jti": "forged-" + sub, "iat": iat.Unix(), "nbf": iat.Unix(), "exp": exp.Unix(),
	}
}

// signed signs claims with a key of the right kind that the node never made,
// under the node's own key id.
func (g forgery) signed(claims map[string]any, alg jose.SignatureAlgorithm, key any) string {
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", g.kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		panic(err)
	}
	raw, _ := json.Marshal(claims)
	obj, err := s.Sign(raw)
	if err != nil {
		panic(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// expired is signed by the node's real key, an hour ago.
func (g forgery) expired() string {
	ks := identity.KeyStore(g.f.h.Node.Store())
	k, err := token.New(context.Background(), ks, token.Config{
		Issuer: g.f.h.Cfg.Auth.Issuer, Audience: g.f.h.Cfg.Auth.Audience,
		Now: func() time.Time { return time.Now().Add(-time.Hour) },
	})
	if err != nil {
		panic(err)
	}
	tok, _, err := k.Issue(g.f.adminID, "old-session")
	if err != nil {
		panic(err)
	}
	return tok
}

func tokenRows(f *fixture) []scenario {
	head, _, _ := strings.Cut(f.admin, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(head)
	var hdr struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(raw, &hdr)
	g := forgery{f: f, kid: hdr.Kid}
	now := time.Now()
	good := g.claims(f.adminID, now, now.Add(5*time.Minute))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	userParts := strings.Split(f.user, ".")
	adminParts := strings.Split(f.admin, ".")

	auths := []struct{ name, value string }{
		{"Bearer without token", "Bearer"},
		{"Bearer and spaces", "Bearer    "},
		{"garbage", "Bearer abc.def.ghi"},
		{"not base64", "Bearer !!!.???.***"},
		{"one segment", "Bearer " + adminParts[0]},
		{"two tokens", "Bearer " + f.admin + " " + f.admin},
		{"token with junk", "Bearer " + f.admin + "x"},
		{"Basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("root:"+adminPw))},
		{"Token scheme", "Token " + f.admin},
		{"no scheme", f.admin},
		{"alg none", "Bearer " + b64(map[string]string{"alg": "none", "typ": "at+jwt", "kid": g.kid}) + "." + b64(good) + "."},
		{"alg none no kid", "Bearer " + b64(map[string]string{"alg": "none"}) + "." + b64(good) + "."},
		{"HS256 under the node's kid", "Bearer " + g.signed(good, jose.HS256, []byte("0123456789abcdef0123456789abcdef"))},
		{"another ES256 key", "Bearer " + g.signed(good, jose.ES256, other)},
		{"expired, real key", "Bearer " + g.expired()},
		{"expired, other key", "Bearer " + g.signed(g.claims(f.adminID, now.Add(-2*time.Hour), now.Add(-time.Hour)), jose.ES256, other)},
		{"user payload, admin signature", "Bearer " + adminParts[0] + "." + b64(good) + "." + adminParts[2]},
		{"user token, admin signature", "Bearer " + userParts[0] + "." + userParts[1] + "." + adminParts[2]},
		{"signature stripped", "Bearer " + adminParts[0] + "." + adminParts[1] + "."},
		{"9 KB header", "Bearer " + strings.Repeat("a", 9<<10)},
		{"100 KB header", "Bearer " + strings.Repeat("a", 100<<10)},
		{"100 KB valid-looking", "Bearer " + f.admin + strings.Repeat(".a", 50<<10)},
	}
	targets := []scenario{
		{name: "me", method: "GET", path: "/api/v1/me"},
		{name: "get", method: "GET", path: docsPath + "/adm-private"},
		{name: "delete", method: "DELETE", path: docsPath + "/user-own"},
		{name: "patch", method: "PATCH", path: docsPath + "/user-own", body: `{"title":"x"}`},
		{name: "admin users", admin: true, method: "GET", path: "/api/v1/users"},
	}
	var rows []scenario
	for _, tg := range targets {
		sc := tg
		sc.name, sc.status, sc.code = tg.name+"/no header", 401, errs.Unauthenticated
		rows = append(rows, sc)
		for _, a := range auths {
			sc := tg
			sc.name, sc.status, sc.code = tg.name+"/"+a.name, 401, errs.Unauthenticated
			sc.header = map[string]string{"Authorization": a.value}
			rows = append(rows, sc)
		}
		sc = tg
		sc.name, sc.status, sc.code = tg.name+"/token in query string", 401, errs.Unauthenticated
		sc.path += "?access_token=" + f.admin
		rows = append(rows, sc)
	}
	// The admin listener refuses a valid token of a non-admin, whatever
	// the request would have done.
	admin := []struct{ method, path, body string }{
		{"GET", "/api/v1/users", ""},
		{"POST", "/api/v1/users", `{"username":"eve","password":"long-enough-pw"}`},
		{"GET", "/api/v1/users/" + f.adminID, ""},
		{"PATCH", "/api/v1/users/" + f.userID, `{"name":"boss"}`},
		{"DELETE", "/api/v1/users/" + f.adminID, ""},
		{"POST", "/api/v1/roles", `{"name":"mine","members":[]}`},
		{"GET", "/api/v1/roles", ""},
		{"GET", "/api/v1/roles/admins", ""},
		{"DELETE", "/api/v1/roles/" + f.roleID, ""},
		{"PUT", "/api/v1/roles/admins/members", `{"members":["` + f.userID + `"]}`},
		{"PUT", collPath, `{"create_acl":[{"id":"users","rights":63}]}`},
		{"GET", collPath, ""},
		{"POST", collPath + "/indexes", `{"name":"ix","fields":["n"]}`},
		{"GET", collPath + "/indexes", ""},
		{"DELETE", collPath + "/indexes/by_title", ""},
	}
	for _, a := range admin {
		var body any
		if a.body != "" {
			body = a.body
		}
		rows = append(rows, scenario{name: "non-admin " + a.method + " " + a.path, as: "user", admin: true,
			method: a.method, path: a.path, body: body, status: 403, code: errs.PermissionDenied})
	}
	return rows
}

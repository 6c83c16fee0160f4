package guard

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

// echo authenticates any credential as a user named by it.
type echo struct{ got string }

func (e *echo) Authenticate(_ context.Context, cred string) (identity.Caller, error) {
	e.got = cred
	var c identity.Caller
	c.User = cred
	return c, nil
}

func TestAuthenticate(t *testing.T) {
	key := identity.APIKeyPrefix + "abc_def"
	for _, tc := range []struct {
		name    string
		headers map[string][]string
		want    string    // the credential passed on
		code    errs.Code // or the refusal
	}{
		{"bearer token", map[string][]string{"Authorization": {"Bearer tok"}}, "tok", ""},
		{"lower-case scheme, padded token", map[string][]string{"Authorization": {"bearer  tok "}}, "tok", ""},
		{"bearer API key", map[string][]string{"Authorization": {"Bearer " + key}}, key, ""},
		{"X-API-Key", map[string][]string{"X-API-Key": {" " + key + " "}}, key, ""},
		{"nothing", nil, "", errs.Unauthenticated},
		{"both headers", map[string][]string{"Authorization": {"Bearer tok"}, "X-API-Key": {key}}, "", errs.InvalidArgument},
		{"two API keys", map[string][]string{"X-API-Key": {key, key}}, "", errs.InvalidArgument},
		{"X-API-Key with a token", map[string][]string{"X-API-Key": {"eyJhbGciOi.x.y"}}, "", errs.Unauthenticated},
		{"X-API-Key too long", map[string][]string{"X-API-Key": {key + strings.Repeat("a", MaxCredential)}}, "", errs.Unauthenticated},
		{"Basic scheme", map[string][]string{"Authorization": {"Basic cm9vdDpwdw=="}}, "", errs.Unauthenticated},
		{"no scheme", map[string][]string{"Authorization": {"tok"}}, "", errs.Unauthenticated},
		{"scheme alone", map[string][]string{"Authorization": {"Bearer"}}, "", errs.Unauthenticated},
		{"scheme and a space", map[string][]string{"Authorization": {"Bearer "}}, "", errs.Unauthenticated},
		{"header too long", map[string][]string{"Authorization": {"Bearer " + strings.Repeat("a", MaxCredential)}}, "", errs.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range tc.headers {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			a := &echo{}
			c, err := Authenticate(context.Background(), a, h)
			if tc.code != "" {
				if !errs.Is(err, tc.code) || a.got != "" {
					t.Fatalf("got %v (passed on %q), want %s refused before the service", err, a.got, tc.code)
				}
				return
			}
			if err != nil || c.User != tc.want {
				t.Fatalf("got %q, %v; want %q", c.User, err, tc.want)
			}
		})
	}
}

func TestMeta(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:443", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"@peer", "@peer"},
		{"", ""},
	} {
		if m := Meta(tc.remote, "ua/1"); m.Addr != tc.want || m.UserAgent != "ua/1" {
			t.Errorf("Meta(%q) = %+v, want addr %q", tc.remote, m, tc.want)
		}
	}
}

package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// fakeAuth is an AuthService that accepts one access token at a time and
// records what each call carried.
type fakeAuth struct {
	rampartv1connect.UnimplementedAuthServiceHandler
	mu        sync.Mutex
	valid     string
	refreshes int
	seen      []http.Header
}

func (f *fakeAuth) record(h http.Header) {
	f.mu.Lock()
	f.seen = append(f.seen, h.Clone())
	f.mu.Unlock()
}

// calls returns the refresh count and the headers seen so far.
func (f *fakeAuth) calls() (int, []http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.seen
}

func (f *fakeAuth) Refresh(_ context.Context, r *connect.Request[rampartv1.RefreshRequest]) (*connect.Response[rampartv1.Tokens], error) {
	f.record(r.Header())
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	f.valid = "fresh"
	return connect.NewResponse(&rampartv1.Tokens{AccessToken: "fresh", RefreshToken: "r2", ExpiresIn: 600, TokenType: "Bearer"}), nil
}

func (f *fakeAuth) Me(_ context.Context, r *connect.Request[rampartv1.Empty]) (*connect.Response[rampartv1.MeResponse], error) {
	f.record(r.Header())
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header().Get("Authorization") != "Bearer "+f.valid {
		ce := connect.NewError(connect.CodeUnauthenticated, errors.New("token expired"))
		d, _ := connect.NewErrorDetail(&rampartv1.Error{Code: "unauthenticated", Message: "token expired", Id: "req-1"})
		ce.AddDetail(d)
		return nil, ce
	}
	return connect.NewResponse(&rampartv1.MeResponse{User: &rampartv1.Document{Json: `{"_id":"u1","_version":1}`}, Roles: []string{"users"}}), nil
}

// startFake serves fakeAuth over TLS with HTTP/2, as the real listeners do.
func startFake(t *testing.T) (*fakeAuth, *httptest.Server, *x509.CertPool) {
	t.Helper()
	f := &fakeAuth{valid: "current"}
	mux := http.NewServeMux()
	mux.Handle(rampartv1connect.NewAuthServiceHandler(f))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return f, srv, pool
}

// TestRetryWithRefreshedToken: a refused access token is refreshed once and
// the call retried, over both HTTP protocols.
func TestRetryWithRefreshedToken(t *testing.T) {
	for _, scheme := range []string{"https", "grpcs"} {
		t.Run(scheme, func(t *testing.T) {
			f, srv, pool := startFake(t)
			url := scheme + strings.TrimPrefix(srv.URL, "https")
			var saved []Tokens
			c, err := Dial(context.Background(), url, WithRootCAs(pool), WithUserAgent("rampart-test/1"),
				WithTokens(Tokens{AccessToken: "stale", RefreshToken: "r1"}),
				WithTokenCallback(func(t Tokens) { saved = append(saved, t) }))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			me, err := c.Me(context.Background())
			if err != nil || me.User.ID != "u1" || len(me.Roles) != 1 {
				t.Fatalf("Me: %+v %v", me, err)
			}
			refreshes, seen := f.calls()
			if refreshes != 1 || len(saved) != 1 || saved[0].AccessToken != "fresh" || saved[0].RefreshToken != "r2" {
				t.Fatalf("%d refreshes, saved %+v", refreshes, saved)
			}
			if got := c.Tokens(); got.AccessToken != "fresh" || got.Expiry.IsZero() {
				t.Fatalf("tokens %+v", got)
			}
			// Me (refused), Refresh, Me again: the anonymous call carries
			// no credential, every call carries the user agent.
			if len(seen) != 3 {
				t.Fatalf("%d calls", len(seen))
			}
			for i, h := range seen {
				if !strings.HasPrefix(h.Get("User-Agent"), "rampart-test/1") {
					t.Errorf("call %d user agent %q", i, h.Get("User-Agent"))
				}
			}
			if seen[1].Get("Authorization") != "" {
				t.Error("Refresh carried an Authorization header")
			}
		})
	}
}

// TestServerErrorDetail: a refused call with no refresh token comes back as
// the server's typed error, correlation id included.
func TestServerErrorDetail(t *testing.T) {
	f, srv, pool := startFake(t)
	c, err := Dial(context.Background(), srv.URL, WithRootCAs(pool), WithTokens(Tokens{AccessToken: "forged"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Me(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Code != Unauthenticated || e.ID != "req-1" || !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("Me with a forged token: %#v", err)
	}
	if n, _ := f.calls(); n != 0 {
		t.Fatal("refreshed without a refresh token")
	}
	if err := c.Refresh(context.Background()); !errors.Is(err, ErrNotSignedIn) {
		t.Fatalf("Refresh without a refresh token: %v", err)
	}
}

// TestWrongCA: a server whose certificate chains to another CA is refused,
// and the cause stays reachable.
func TestWrongCA(t *testing.T) {
	_, srv, _ := startFake(t)
	other := x509.NewCertPool()
	c, err := Dial(context.Background(), srv.URL, WithRootCAs(other), WithTokens(Tokens{AccessToken: "current"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Me(context.Background())
	var unknown x509.UnknownAuthorityError
	if !IsCode(err, Unavailable) || !errors.As(err, &unknown) {
		t.Fatalf("wrong CA: %T %v", err, err)
	}
}

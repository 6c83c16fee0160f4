package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/transport/envelope"
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

// fakeServer serves fakeAuth over every transport the client speaks.
type fakeServer struct {
	auth *fakeAuth
	pool *x509.CertPool
	urls map[string]string // by scheme
}

// startFake serves fakeAuth over TLS with HTTP/2, as the real listeners
// do, and over the envelope transports.
func startFake(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeAuth{valid: "current"}
	mux := http.NewServeMux()
	mux.Handle(rampartv1connect.NewAuthServiceHandler(f))
	env := envelope.New(mux, envelope.Options{})
	mux.Handle(envelope.WebSocketPath, env.WebSocket())
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	tcp, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLS.Clone())
	if err != nil {
		t.Fatal(err)
	}
	// Socket paths are short (sun_path), so not under t.TempDir().
	dir, err := os.MkdirTemp("", "rc")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	unix, err := envelope.ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range []net.Listener{tcp, unix} {
		go env.Serve(ln)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		env.Shutdown(ctx)
		os.RemoveAll(dir)
	})
	host := strings.TrimPrefix(srv.URL, "https://")
	return &fakeServer{auth: f, pool: pool, urls: map[string]string{
		"https": srv.URL, "grpcs": "grpcs://" + host, "wss": "wss://" + host,
		"tcp+tls": "tcp+tls://" + tcp.Addr().String(), "unix": "unix://" + sock,
	}}
}

// TestRetryWithRefreshedToken: a refused access token is refreshed once and
// the call retried, over every transport.
func TestRetryWithRefreshedToken(t *testing.T) {
	for _, scheme := range []string{"https", "grpcs", "wss", "tcp+tls", "unix"} {
		t.Run(scheme, func(t *testing.T) {
			fs := startFake(t)
			f := fs.auth
			var saved []Tokens
			c, err := Dial(context.Background(), fs.urls[scheme], WithRootCAs(fs.pool), WithUserAgent("rampart-test/1"),
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
			// no credential.
			if len(seen) != 3 {
				t.Fatalf("%d calls", len(seen))
			}
			for i, h := range seen {
				// The envelope transports carry the credential, not HTTP headers.
				if (scheme == "https" || scheme == "grpcs") && !strings.HasPrefix(h.Get("User-Agent"), "rampart-test/1") {
					t.Errorf("call %d user agent %q", i, h.Get("User-Agent"))
				}
				if want := []string{"Bearer stale", "", "Bearer fresh"}[i]; h.Get("Authorization") != want {
					t.Errorf("call %d carried %q, want %q", i, h.Get("Authorization"), want)
				}
			}
		})
	}
}

// TestServerErrorDetail: a refused call with no refresh token comes back as
// the server's typed error, correlation id included.
func TestServerErrorDetail(t *testing.T) {
	fs := startFake(t)
	for scheme, url := range fs.urls {
		c, err := Dial(context.Background(), url, WithRootCAs(fs.pool), WithTokens(Tokens{AccessToken: "forged"}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Me(context.Background())
		var e *Error
		if !errors.As(err, &e) || e.Code != Unauthenticated || e.ID != "req-1" || !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("%s: Me with a forged token: %#v", scheme, err)
		}
		if err := c.Refresh(context.Background()); !errors.Is(err, ErrNotSignedIn) {
			t.Fatalf("%s: Refresh without a refresh token: %v", scheme, err)
		}
	}
	if n, _ := fs.auth.calls(); n != 0 {
		t.Fatal("refreshed without a refresh token")
	}
}

// TestWrongCA: a server whose certificate chains to another CA is refused,
// and the cause stays reachable.
func TestWrongCA(t *testing.T) {
	fs := startFake(t)
	other := x509.NewCertPool()
	for _, scheme := range []string{"https", "grpcs", "wss", "tcp+tls"} {
		c, err := Dial(context.Background(), fs.urls[scheme], WithRootCAs(other), WithTokens(Tokens{AccessToken: "current"}))
		if err == nil {
			// The HTTP transports connect on the first call.
			defer c.Close()
			_, err = c.Me(context.Background())
		}
		var unknown x509.UnknownAuthorityError
		if !IsCode(err, Unavailable) || !errors.As(err, &unknown) {
			t.Errorf("%s with the wrong CA: %T %v", scheme, err, err)
		}
	}
}

// TestRedialAfterServerRestart: when the server goes away and comes back,
// the client dials a new envelope connection instead of failing for good.
func TestRedialAfterServerRestart(t *testing.T) {
	f := &fakeAuth{valid: "current"}
	mux := http.NewServeMux()
	mux.Handle(rampartv1connect.NewAuthServiceHandler(f))
	dir, err := os.MkdirTemp("", "rc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	serve := func() *envelope.Server {
		ln, err := envelope.ListenUnix(sock)
		if err != nil {
			t.Fatal(err)
		}
		srv := envelope.New(mux, envelope.Options{})
		go srv.Serve(ln)
		return srv
	}
	srv := serve()
	c, err := Dial(context.Background(), "unix://"+sock, WithTokens(Tokens{AccessToken: "current"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	srv = serve()
	defer srv.Shutdown(ctx)
	// A call may still meet the old connection before its loss is seen;
	// it fails as unavailable, and the next one dials afresh.
	for failures := 0; ; failures++ {
		_, err := c.Me(ctx)
		if err == nil {
			break
		}
		if !IsCode(err, Unavailable) || failures > 0 {
			t.Fatalf("call %d after the restart: %v", failures+1, err)
		}
	}
}

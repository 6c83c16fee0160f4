package apptest

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/transport/grpcbridge"
	"rampart.dev/rampart/internal/transport/tlsx"
)

// Engine names a storage engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Engines lists the engines a test should run on.
var Engines = []Engine{SQLite, Postgres}

// Options tune the node a test starts.
type Options struct {
	Engine Engine
	// Config, when set, edits the configuration before the node starts.
	Config func(*config.Config)
	// StrictAuth keeps the production rate limit and lockout. Without it a
	// test node lets any number of sign-ins through, so suites that sign in
	// often or try wrong passwords on purpose do not trip them.
	StrictAuth bool
	// Log, when set, receives the node's process log at debug level.
	Log io.Writer
}

// Harness is a running node.
type Harness struct {
	T         testing.TB
	Node      *app.Node
	Cfg       config.Config
	PublicURL string
	AdminURL  string
	http      *http.Client
	grpc      *grpcbridge.Client
	grpcOnce  sync.Once
	stopOnce  sync.Once
	stopErr   error
}

// Shutdown stops the node, once: a test that stops it itself leaves the
// cleanup nothing to do.
func (h *Harness) Shutdown(ctx context.Context) error {
	h.stopOnce.Do(func() { h.stopErr = h.Node.Shutdown(ctx) })
	return h.stopErr
}

// Start runs a node until the test ends.
func Start(t testing.TB, o Options) *Harness {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Listen.Public, cfg.Listen.Admin = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Auth.Issuer = "https://rampart.test"
	// Cheap hashing keeps sign-ins fast; the policy is unchanged.
	cfg.Auth.Password.Argon2Time, cfg.Auth.Password.Argon2Memory = 1, 8*config.MiB
	if !o.StrictAuth {
		cfg.Auth.RateLimit = config.RateLimit{PerMinute: 6_000_000, Burst: 100_000}
		// A lock and the backoff never last longer than the lock duration.
		cfg.Auth.Lockout = config.Lockout{MaxFailures: 1000, Window: config.Duration(time.Millisecond), Duration: config.Duration(time.Millisecond)}
	}
	if o.Engine == Postgres {
		url, schema := pgtest.Schema(t)
		cfg.Database.Driver = config.DriverPostgres
		cfg.Database.Postgres.URL, cfg.Database.Postgres.Schema = url, schema
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	out := o.Log
	switch {
	case out == nil && os.Getenv("RAMPART_TEST_LOG") != "":
		out = os.Stderr
	case out == nil:
		out = io.Discard
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	node, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatalf("start node: %v", err)
	}
	h := &Harness{T: t, Node: node, Cfg: cfg}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	pub, adm := node.Addrs()
	h.PublicURL, h.AdminURL = "https://"+pub, "https://"+adm
	h.http = &http.Client{Timeout: 30 * time.Second, Transport: h.transport()}
	return h
}

func (h *Harness) transport() *http.Transport {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}
	if h.Cfg.Listen.InsecureHTTP {
		return tr
	}
	tc, err := tlsx.ClientConfig(h.Node.Info.CAFile)
	if err != nil {
		h.T.Fatalf("trust the local CA: %v", err)
	}
	tr.TLSClientConfig = tc
	return tr
}

// TLSConfig trusts the node's local CA.
func (h *Harness) TLSConfig() *tls.Config {
	return h.http.Transport.(*http.Transport).TLSClientConfig.Clone()
}

// HTTPClient is a client that trusts the node's local CA.
func (h *Harness) HTTPClient() *http.Client { return h.http }

// CreateUser makes a user directly through the identity service.
func (h *Harness) CreateUser(username, password string, admin bool) string {
	h.T.Helper()
	ctx := context.Background()
	id := h.Node.Services().Identity
	u, err := id.CreateUser(ctx, identity.System, identity.NewUser{Username: username, Password: password})
	if err != nil {
		h.T.Fatalf("create user %s: %v", username, err)
	}
	if admin {
		if err := id.AddToAdmins(ctx, u.ID); err != nil {
			h.T.Fatalf("make %s an admin: %v", username, err)
		}
	}
	return u.ID
}

// CreateRole makes a role directly through the identity service.
func (h *Harness) CreateRole(name string, members ...string) string {
	h.T.Helper()
	r, err := h.Node.Services().Identity.CreateRole(context.Background(), identity.System, name, members)
	if err != nil {
		h.T.Fatalf("create role %s: %v", name, err)
	}
	return r.ID
}

// System is the principal set for direct service calls in tests.
var System = acl.Principals(identity.System)

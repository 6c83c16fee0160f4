package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/transport/rest"
)

// The Go benchmarks run the same scenarios as the load generator, but
// against the REST handlers in memory: no TCP, no TLS, no client on the
// other end of a socket. What they measure is the server's own cost per
// request, and `go test -bench . -cpuprofile` shows where it goes:
//
//	go test ./bench -run '^$' -bench Handler/pointread -cpuprofile cpu.out
//	go tool pprof -top -cum cpu.out

var (
	benchDocs    = flag.Int("bench.docs", 100000, "documents seeded for the query scenario in benchmarks")
	benchClients = flag.Int("bench.clients", 64, "concurrent callers in benchmarks")
)

// memTransport hands requests straight to a handler: host "admin" goes to
// the admin handler, anything else to the public one.
type memTransport struct{ public, admin http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := m.public
	if req.URL.Host == "admin" {
		h = m.admin
	}
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// memNode is one in-memory server shared by every benchmark and test of the
// package run; the temporary directory goes in TestMain.
var (
	memOnce sync.Once
	memDir  string
	memEnv  *env
	memErr  error
	memOps  = map[string]op{}
	memMu   sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	if memDir != "" {
		os.RemoveAll(memDir)
	}
	os.Exit(code)
}

func startMemNode(users int) (*env, error) {
	memOnce.Do(func() { memEnv, memErr = newMemNode(users) })
	return memEnv, memErr
}

func newMemNode(users int) (*env, error) {
	ctx := context.Background()
	var err error
	if memDir, err = os.MkdirTemp("", "rampart-bench-"); err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Data = memDir
	cfg.Listen.Public = "127.0.0.1:1"
	// Cheap hashing keeps sign-ins fast; no scenario measures them.
	cfg.Auth.Password.Argon2Time, cfg.Auth.Password.Argon2Memory = 1, 8*config.MiB
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	svc, err := app.NewServices(ctx, cfg, st, nil, log)
	if err != nil {
		return nil, err
	}
	// The node's principal cache follows the change log; so must this one.
	go svc.Identity.Watch(ctx, time.Second)
	api := rest.New(svc.Docs, svc.Identity, rest.Options{
		MaxBody: int64(cfg.Limits.MaxBody), MaxDepth: cfg.Limits.MaxDepth, Issuer: app.Issuer(cfg), Log: log,
	})
	ep := &endpoint{public: "http://public", admin: "http://admin", rt: memTransport{api.Public(), api.Admin()}}

	const adminName, adminPassword = "bench-admin", "bench-admin-password"
	u, err := svc.Identity.CreateUser(ctx, identity.System, identity.NewUser{Username: adminName, Password: adminPassword})
	if err != nil {
		return nil, err
	}
	if err := svc.Identity.AddToAdmins(ctx, u.ID); err != nil {
		return nil, err
	}
	e := &env{ep: ep, hc: ep.conn(), run: runID(), docs: *benchDocs, results: 20, logf: func(string, ...any) {}}
	if e.admin, err = ep.login(ctx, e.hc, adminName, adminPassword); err != nil {
		return nil, err
	}
	return e, makeUsers(ctx, e, users)
}

// prepared sets a scenario up once per process, however often the
// benchmark function is called.
func prepared(tb testing.TB, name string, docs int) (*env, op) {
	tb.Helper()
	e, err := startMemNode(4)
	if err != nil {
		tb.Fatal(err)
	}
	memMu.Lock()
	defer memMu.Unlock()
	key := fmt.Sprint(name, "/", docs)
	fn, ok := memOps[key]
	if !ok {
		s, _ := findScenario(name)
		e.docs = docs
		if fn, err = s.setup(context.Background(), e); err != nil {
			tb.Fatalf("%s setup: %v", name, err)
		}
		memOps[key] = fn
	}
	return e, fn
}

func BenchmarkHandler(b *testing.B) {
	for _, s := range scenarios {
		b.Run(s.name, func(b *testing.B) {
			e, fn := prepared(b, s.name, *benchDocs)
			workers, err := newWorkers(context.Background(), e, *benchClients)
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetParallelism(max(1, *benchClients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := workers[int(next.Add(1)-1)%len(workers)]
				w.rng = rand.New(rand.NewPCG(uint64(w.id), 1))
				for pb.Next() {
					if err := fn(context.Background(), w); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestScenarios runs every scenario's setup, including its access checks,
// and a few requests of each, against a small in-memory server.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds documents")
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e, fn := prepared(t, s.name, 2000)
			workers, err := newWorkers(context.Background(), e, 4)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, w := range workers {
				wg.Go(func() {
					for range 25 {
						if err := fn(context.Background(), w); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestInsertDocSize(t *testing.T) {
	for _, w := range []*worker{{id: 0, seq: 1}, {id: 63, seq: 123456789}} {
		if n := len(appendInsertDoc(nil, w)); n != insertDocSize {
			t.Errorf("document for %+v is %d bytes", w, n)
		}
	}
}

func TestMedian(t *testing.T) {
	runs := []result{
		{ok: 300, p50: 3, p99: 30, elapsed: time.Second},
		{ok: 100, p50: 1, p99: 10, elapsed: time.Second},
		{ok: 200, p50: 2, p99: 20, elapsed: time.Second},
	}
	m := median(runs)
	if m.ok != 200 || m.p50 != 2 || m.p99 != 20 || m.run != "median" {
		t.Fatalf("median %+v", m)
	}
	if got := fmt.Sprintf("%.0f", m.rate()); got != "200" {
		t.Errorf("rate %s", got)
	}
}

package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/cluster"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/transport/guard"
	"rampart.dev/rampart/internal/transport/rest"
	"rampart.dev/rampart/internal/transport/rpc"
)

// Node is one running Rampart server.
type Node struct {
	cfg  config.Config
	log  *slog.Logger
	bus  *cluster.Bus
	st   store.Store
	svc  *Services
	tls  *tls.Config
	Info TLSInfo

	servers   []*http.Server
	listeners []net.Listener
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// Open builds a node from a validated configuration without serving yet.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*Node, error) {
	n := &Node{cfg: cfg, log: log}
	var err error
	if n.bus, err = cluster.Open(cluster.Options{
		URL: cfg.NATS.URL, Listen: cfg.NATS.Embedded.Listen,
		StoreDir: filepath.Join(cfg.Data, "nats"), Name: "rampart-" + cfg.Site.ID,
	}); err != nil {
		return nil, err
	}
	if n.st, err = OpenStore(ctx, cfg, n.bus.Committed); err != nil {
		n.bus.Close()
		return nil, err
	}
	if err := n.bus.OnCommit(n.st.Poke); err != nil {
		n.Close()
		return nil, fmt.Errorf("subscribe to commits: %w", err)
	}
	if n.svc, err = NewServices(ctx, cfg, n.st, n.bus, log); err != nil {
		n.Close()
		return nil, err
	}
	if n.tls, n.Info, err = serverTLS(cfg, log); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// Store is the node's storage engine.
func (n *Node) Store() store.Store { return n.st }

// Services are the node's services.
func (n *Node) Services() *Services { return n.svc }

// Start binds both listeners and serves until Shutdown.
func (n *Node) Start(ctx context.Context) error {
	ctx, n.cancel = context.WithCancel(ctx)
	n.background(ctx)
	// One bucket table, so an address has one anonymous budget across REST and RPC.
	limits := guard.NewLimiter(n.cfg.Auth.RateLimit.PerMinute, n.cfg.Auth.RateLimit.Burst, time.Now)
	api := rest.New(n.svc.Docs, n.svc.Identity, rest.Options{
		MaxBody: int64(n.cfg.Limits.MaxBody), MaxDepth: n.cfg.Limits.MaxDepth,
		Issuer: Issuer(n.cfg), TLS: n.tls != nil, Log: n.log, Limits: limits,
		Audit: audit.NewLog(n.st),
		Ready: func(ctx context.Context) error { _, err := n.st.LastSeq(ctx); return err },
	})
	calls := rpc.New(n.svc.Docs, n.svc.Identity, rpc.Options{
		MaxBody: int64(n.cfg.Limits.MaxBody), MaxDepth: n.cfg.Limits.MaxDepth, Limits: limits,
		Audit: audit.NewLog(n.st), Log: n.log,
		Ready: func(ctx context.Context) error { _, err := n.st.LastSeq(ctx); return err },
	})
	for _, l := range []struct {
		name, addr string
		h          http.Handler
	}{
		{"public", n.cfg.Listen.Public, rpc.Route(api.Public(), calls.Public())},
		{"admin", n.cfg.Listen.Admin, rpc.Route(api.Admin(), calls.Admin())},
	} {
		if err := n.serve(l.name, l.addr, l.h); err != nil {
			n.Shutdown(context.Background())
			return err
		}
	}
	return nil
}

// background runs the node's maintenance loops until ctx ends.
func (n *Node) background(ctx context.Context) {
	loops := map[string]func(context.Context) error{
		"signing keys":    func(ctx context.Context) error { return n.svc.Keys.Run(ctx, time.Minute) },
		"principal cache": func(ctx context.Context) error { return n.svc.Identity.Watch(ctx, time.Second) },
	}
	for name, loop := range loops {
		n.wg.Go(func() {
			if err := loop(ctx); err != nil && !errors.Is(err, context.Canceled) {
				n.log.Error("background loop stopped", "loop", name, "err", err)
			}
		})
	}
}

func (n *Node) serve(name, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s listener: %w", name, err)
	}
	hc := n.cfg.HTTP
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: hc.ReadHeaderTimeout.Duration(),
		ReadTimeout:       hc.ReadTimeout.Duration(),
		WriteTimeout:      hc.WriteTimeout.Duration(),
		IdleTimeout:       hc.IdleTimeout.Duration(),
		MaxHeaderBytes:    int(hc.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelDebug),
	}
	if n.tls != nil {
		srv.TLSConfig = n.tls.Clone()
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	n.servers = append(n.servers, srv)
	n.listeners = append(n.listeners, ln)
	n.log.Info("listening", "listener", name, "addr", ln.Addr().String(), "tls", n.tls != nil)
	n.wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("listener stopped", "listener", name, "err", err)
		}
	})
	return nil
}

// Addrs returns the bound public and admin addresses.
func (n *Node) Addrs() (public, admin string) {
	return n.listeners[0].Addr().String(), n.listeners[1].Addr().String()
}

// Shutdown stops the listeners gracefully, then everything else.
func (n *Node) Shutdown(ctx context.Context) error {
	var errList []error
	for _, srv := range n.servers {
		errList = append(errList, srv.Shutdown(ctx))
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	errList = append(errList, n.Close())
	return errors.Join(errList...)
}

// Close releases the store and the bus.
func (n *Node) Close() error {
	var errList []error
	if n.st != nil {
		errList = append(errList, n.st.Close())
	}
	if n.bus != nil {
		errList = append(errList, n.bus.Close())
	}
	return errors.Join(errList...)
}

// Audit records an event of the node itself, such as a configuration reload.
func (n *Node) Audit(ctx context.Context, e audit.Event) error {
	return n.st.Write(ctx, func(tx store.Tx) error {
		_, err := audit.Append(tx, e, time.Now())
		return err
	})
}

package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The RPC services' descriptors, which tell which methods stream.
	_ "rampart.dev/rampart/api/rampart/v1"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/cluster"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/transport/envelope"
	"rampart.dev/rampart/internal/transport/grpcbridge"
	"rampart.dev/rampart/internal/transport/guard"
	"rampart.dev/rampart/internal/transport/listen"
	"rampart.dev/rampart/internal/transport/rest"
	"rampart.dev/rampart/internal/transport/rpc"
)

// Node is one running Rampart server.
type Node struct {
	cfg config.Config
	log *slog.Logger
	bus *cluster.Bus
	st  store.Store
	svc *Services
	// tls is the public listener's TLS, adminTLS the admin listener's;
	// both nil with insecure_http.
	tls      *tls.Config
	adminTLS *tls.Config
	Info     TLSInfo

	servers   []*http.Server
	bridges   []*grpcbridge.Server
	listeners []net.Listener
	// sockets serves the envelope transports: WebSocket on the public
	// listener, and the TCP and unix listeners when configured.
	sockets *envelope.Server
	tcpAddr net.Addr
	cancel  context.CancelFunc
	// endStreams ends every streaming call, which would otherwise hold a
	// graceful shutdown until its deadline.
	endStreams context.CancelFunc
	wg         sync.WaitGroup
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
	lt, info, err := serverTLS(cfg, log)
	if err != nil {
		n.Close()
		return nil, err
	}
	n.tls, n.adminTLS, n.Info = lt.public, lt.admin, info
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
	calls := rpc.New(n.svc.Docs, n.svc.Identity, rpc.Options{
		MaxBody: int64(n.cfg.Limits.MaxBody), MaxDepth: n.cfg.Limits.MaxDepth, Limits: limits,
		Audit: audit.NewLog(n.st), Log: n.log,
		Ready: func(ctx context.Context) error { _, err := n.st.LastSeq(ctx); return err },
	})
	// The socket transports dispatch into the public RPC handler, so every
	// rule of the public listener holds for them too.
	public, admin := calls.Public(), calls.Admin()
	n.sockets = envelope.New(public, envelope.Options{
		MaxFrame: int(n.cfg.Limits.MaxFrame), MaxInFlight: n.cfg.Limits.MaxInFlight,
		// No idle timeout: agents hold one connection for days, as NATS
		// clients do; the per-address cap and TCP keep-alive bound them.
		OriginPatterns: originHosts(n.cfg.HTTP.CORSOrigins),
		Log:            n.log,
	})
	api := rest.New(n.svc.Docs, n.svc.Identity, rest.Options{
		MaxBody: int64(n.cfg.Limits.MaxBody), MaxDepth: n.cfg.Limits.MaxDepth,
		Issuer: Issuer(n.cfg), Log: n.log, Limits: limits,
		Audit: audit.NewLog(n.st), WebSocket: n.sockets.WebSocket(),
		Ready: func(ctx context.Context) error { _, err := n.st.LastSeq(ctx); return err },
	})
	streams, endStreams := context.WithCancel(context.Background())
	n.endStreams = endStreams
	// Browsers may call the public listener from the allowed origins; the
	// admin listener answers no cross-origin request.
	// gRPC library calls of unary procedures skip the handler chain
	// (rpc.Surface.Unary applies its rules); CORS and the browser headers
	// mean nothing to them.
	for _, l := range []struct {
		name, addr string
		h          http.Handler
		unary      func(string) grpcbridge.Unary
		tls        *tls.Config
	}{
		{"public", n.cfg.Listen.Public, rest.CORS(rpc.Route(api.Public(), public), n.cfg.HTTP.CORSOrigins), public.Unary, n.tls},
		{"admin", n.cfg.Listen.Admin, rpc.Route(api.Admin(), admin), admin.Unary, n.adminTLS},
	} {
		h := listen.Headers(listen.Streaming(l.h, streaming, streams), l.tls != nil)
		if err := n.serve(l.name, l.addr, h, l.unary, l.tls); err != nil {
			n.Shutdown(context.Background())
			return err
		}
	}
	if err := n.serveSockets(); err != nil {
		n.Shutdown(context.Background())
		return err
	}
	return nil
}

// serveSockets binds the envelope listeners that are configured: TCP,
// always with the public listener's TLS and connection cap, and the unix
// socket, which the file's 0600 mode guards.
func (n *Node) serveSockets() error {
	var lns []net.Listener
	if addr := n.cfg.Listen.TCP; addr != "" {
		if n.tls == nil {
			return errors.New("listen.tcp serves TLS only and cannot run with insecure_http; use listen.unix for a local plaintext socket")
		}
		raw, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("tcp listener: %w", err)
		}
		n.tcpAddr = raw.Addr()
		lns = append(lns, tls.NewListener(listen.PerAddress(raw, n.cfg.HTTP.MaxConnsPerAddress), n.tls.Clone()))
		n.log.Info("listening", "listener", "tcp", "addr", raw.Addr().String(), "tls", true)
	}
	if path := n.cfg.Listen.Unix; path != "" {
		ln, err := envelope.ListenUnix(path)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("unix listener: %w", err)
		}
		lns = append(lns, ln)
		n.log.Info("listening", "listener", "unix", "path", path)
	}
	for _, ln := range lns {
		n.wg.Go(func() {
			if err := n.sockets.Serve(ln); err != nil && !errors.Is(err, envelope.ErrServerClosed) {
				n.log.Error("listener stopped", "listener", ln.Addr().Network(), "err", err)
			}
		})
	}
	return nil
}

// originHosts turns the CORS allowlist (full origins) into the host
// patterns the WebSocket's origin check takes.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
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

// serve binds one listener: at most http.max_conns_per_address
// connections per client address, then TLS when tc is set, else plaintext
// HTTP/1.1 and HTTP/2 (h2c, which gRPC clients need).
func (n *Node) serve(name, addr string, h http.Handler, unary func(string) grpcbridge.Unary, tc *tls.Config) error {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s listener: %w", name, err)
	}
	hc := n.cfg.HTTP
	var ln net.Listener = listen.PerAddress(raw, hc.MaxConnsPerAddress)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: hc.ReadHeaderTimeout.Duration(),
		ReadTimeout:       hc.ReadTimeout.Duration(),
		WriteTimeout:      hc.WriteTimeout.Duration(),
		IdleTimeout:       hc.IdleTimeout.Duration(),
		MaxHeaderBytes:    int(hc.MaxHeaderBytes),
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: hc.MaxConcurrentStreams},
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelDebug),
	}
	if tc != nil {
		srv.TLSConfig = tc.Clone()
		// gRPC library connections get grpc-go's transport, whose one
		// writer batches a call's frames where net/http's HTTP/2 server
		// flushes headers, message and trailers each on its own.
		b, err := grpcbridge.Share(srv, grpcbridge.Options{
			MaxRecvMsg: 2 * int(n.cfg.Limits.MaxBody), MaxStreams: uint32(hc.MaxConcurrentStreams),
			MaxHeaderBytes: uint32(hc.MaxHeaderBytes), IdleTimeout: hc.IdleTimeout.Duration(),
			CompressMin: rpc.CompressMinBytes, Unary: unary, Log: n.log,
		})
		if err != nil {
			raw.Close()
			return fmt.Errorf("%s listener: %w", name, err)
		}
		n.bridges = append(n.bridges, b)
		ln = tls.NewListener(ln, srv.TLSConfig)
	} else {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	n.servers = append(n.servers, srv)
	n.listeners = append(n.listeners, ln)
	n.log.Info("listening", "listener", name, "addr", ln.Addr().String(), "tls", tc != nil,
		"client_certificates", tc != nil && tc.ClientAuth == tls.RequireAndVerifyClientCert)
	n.wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("listener stopped", "listener", name, "err", err)
		}
	})
	return nil
}

// streaming picks out the calls that stream (the REST watch, RPC methods
// declared with stream), which the listener's timeouts must not cut.
func streaming(r *http.Request) bool {
	if rest.Streams(r) {
		return true
	}
	if !rpc.Handles(r.URL.Path) {
		return false
	}
	// /package.Service/Method names the method package.Service.Method.
	svc, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || strings.Contains(method, "/") {
		return false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc + "." + method))
	m, ok := d.(protoreflect.MethodDescriptor)
	return err == nil && ok && (m.IsStreamingServer() || m.IsStreamingClient())
}

// Addrs returns the bound public and admin addresses.
func (n *Node) Addrs() (public, admin string) {
	return n.listeners[0].Addr().String(), n.listeners[1].Addr().String()
}

// TCPAddr is the bound address of the envelope TCP listener, or nil.
func (n *Node) TCPAddr() net.Addr { return n.tcpAddr }

// Shutdown stops the listeners gracefully, then everything else.
func (n *Node) Shutdown(ctx context.Context) error {
	var errList []error
	if n.endStreams != nil {
		n.endStreams()
	}
	if n.sockets != nil {
		errList = append(errList, n.sockets.Shutdown(ctx))
	}
	for _, srv := range n.servers {
		errList = append(errList, srv.Shutdown(ctx))
	}
	// Shutdown stopped them gracefully unless ctx ended first.
	for _, b := range n.bridges {
		b.Stop()
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

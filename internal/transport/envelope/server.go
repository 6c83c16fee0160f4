package envelope

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = errors.New("envelope: server closed")

// Options tune a Server. Zero values take the defaults.
type Options struct {
	// MaxFrame bounds one envelope in either direction (limits.max_frame).
	MaxFrame int
	// MaxInFlight bounds the requests one connection has running
	// (limits.max_in_flight).
	MaxInFlight int
	// MaxQueued bounds the requests waiting for a slot on one connection;
	// beyond it a request is answered resource_exhausted. Default
	// MaxInFlight.
	MaxQueued int
	// SendQueue is how many replies a connection buffers before the
	// handlers producing them block. Default 64.
	SendQueue int
	// WriteTimeout closes a connection whose peer does not take a reply
	// within it. Default 30 s; negative means none.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake on Serve. Default 10 s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that has had nothing in flight and
	// no frame from its peer for this long. Zero means never.
	IdleTimeout time.Duration
	// OriginPatterns lists the browser origins (host patterns, as in
	// path.Match) allowed to open the WebSocket besides the server's own.
	OriginPatterns []string
	Log            *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxFrame <= 0 {
		o.MaxFrame = DefaultMaxFrame
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = o.MaxInFlight
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 64
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server serves the envelope transports by dispatching every request to one
// Connect handler.
type Server struct {
	h   http.Handler
	opt Options

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	shutting  bool
	active    sync.WaitGroup // connections being served
}

// New returns a Server that dispatches to h, the handler serving the Connect
// protocol at /package.Service/Method.
func New(h http.Handler, opts Options) *Server {
	return &Server{
		h:         h,
		opt:       opts.withDefaults(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
}

// Serve accepts connections on ln until Shutdown, framing envelopes with a
// length prefix. Wrap ln with tls.NewListener for TCP; use ListenUnix for a
// unix socket. It returns ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		return ErrServerClosed
	}
	defer s.untrack(ln)
	remote := peerName(ln)
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing() {
				return ErrServerClosed
			}
			if !retryable(err) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.opt.Log.Warn("envelope: accept failed; retrying", "err", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !s.begin() {
			_ = nc.Close()
			return ErrServerClosed
		}
		go s.serveStream(nc, remote)
	}
}

// peerName returns how requests from ln name their peer, or "" to use the
// connection's remote address. Unix peers have no address, so all of one
// socket share "unix:" plus its path: they are one local principal for
// rate limiting, and the name is the same on every connection.
func peerName(ln net.Listener) string {
	if ln.Addr().Network() == "unix" {
		return "unix:" + ln.Addr().String()
	}
	return ""
}

// retryable reports accept errors that pass, such as running out of file
// descriptors for a moment.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS)
}

func (s *Server) serveStream(nc net.Conn, remote string) {
	defer s.active.Done()
	if remote == "" {
		remote = nc.RemoteAddr().String()
	}
	var state *tls.ConnectionState
	if tc, ok := nc.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(context.Background(), s.opt.HandshakeTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.opt.Log.Debug("envelope: tls handshake failed", "remote", remote, "err", err)
			_ = nc.Close()
			return
		}
		cs := tc.ConnectionState()
		state = &cs
	}
	w := newStreamWire(nc, s.opt.MaxFrame, s.writeTimeout())
	s.serveConn(w, peer{remote: remote, tls: state})
}

func (s *Server) writeTimeout() time.Duration {
	return max(s.opt.WriteTimeout, 0)
}

// WebSocket serves the WebSocket transport (GET /api/v1/ws). Browsers may
// connect only from the server's own origin or one in
// Options.OriginPatterns; clients that send no Origin, which browsers always
// do, are not restricted by it. A text message carries the JSON form of an
// envelope and is answered in text; a binary one carries protobuf.
func (s *Server) WebSocket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !s.begin() {
			http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
			return
		}
		defer s.active.Done()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			OriginPatterns:  s.opt.OriginPatterns,
			CompressionMode: websocket.CompressionDisabled,
		})
		if err != nil {
			s.opt.Log.Debug("envelope: websocket handshake refused", "remote", r.RemoteAddr, "err", err)
			return
		}
		wire := newWSWire(c, s.opt.MaxFrame, s.writeTimeout())
		s.serveConn(wire, peer{remote: r.RemoteAddr, tls: r.TLS, host: r.Host, userAgent: r.UserAgent()})
	})
}

// Shutdown stops accepting connections and requests, waits for the requests
// in flight to finish, then closes every connection. When ctx ends first it
// cancels what is left, closes the connections at once and returns ctx's
// error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutting = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.abort()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutting
}

// begin counts a connection in, unless the server is shutting down; the
// count only grows while Shutdown has not begun waiting on it.
func (s *Server) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		return false
	}
	s.active.Add(1)
	return true
}

// register adds c to the set Shutdown drains; false when it is too late.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

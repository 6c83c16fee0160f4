package grpcbridge

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // requests may come gzipped, and large replies go out so
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"
)

// Options bound what the transport accepts before the handler sees a call.
type Options struct {
	// MaxRecvMsg is the largest request message, after decompression,
	// grpc-go takes in: a larger one ends the call with grpc-go's own
	// resource_exhausted status, without the handler's typed detail. Set
	// it above the handler's limit, so most oversized messages get the
	// handler's answer, and low enough to bound the memory of a call.
	MaxRecvMsg int
	// MaxStreams is the most calls one connection may have open.
	MaxStreams uint32
	// MaxHeaderBytes bounds a call's header list.
	MaxHeaderBytes uint32
	// IdleTimeout closes a connection that had no call for this long.
	IdleTimeout time.Duration
	// CompressMin is the smallest reply sent gzipped to a client that
	// accepts gzip; 0 never compresses.
	CompressMin int
	// Unary, when set, gives the procedure that answers a unary method
	// without the handler, or nil for a method the handler serves.
	// Protobuf calls of such a method skip the HTTP emulation; the
	// procedure must apply every rule the handler would.
	Unary func(method string) Unary
	Log   *slog.Logger
}

// Server runs grpc-go's server over connections handed to it by ServeConn.
type Server struct {
	h   http.Handler
	opt Options
	g   *grpc.Server
	ln  *connListener
	run sync.WaitGroup
}

// New starts a server whose calls all go to h.
func New(h http.Handler, opt Options) *Server {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{h: h, opt: opt, ln: newConnListener()}
	params := keepalive.ServerParameters{MaxConnectionIdle: opt.IdleTimeout}
	s.g = grpc.NewServer(
		grpc.Creds(handshaken{}),
		grpc.ForceServerCodecV2(frameCodec("proto")),
		grpc.UnknownServiceHandler(s.call),
		grpc.MaxRecvMsgSize(opt.MaxRecvMsg),
		grpc.MaxConcurrentStreams(opt.MaxStreams),
		grpc.MaxHeaderListSize(opt.MaxHeaderBytes),
		grpc.KeepaliveParams(params),
		grpc.WaitForHandlers(true),
		// Fixed flow-control windows, as net/http's server has: grpc-go
		// otherwise pings the client after reads to estimate the
		// bandwidth-delay product, a write and a read more per call.
		grpc.InitialWindowSize(WindowSize),
		grpc.InitialConnWindowSize(WindowSize),
		// Calls run on long-lived goroutines whose stacks have grown to
		// what the handler needs; a fresh goroutine per call spends a
		// good part of its time copying its stack as it grows.
		grpc.NumStreamWorkers(streamWorkers),
	)
	s.run.Go(func() {
		if err := s.g.Serve(s.ln); err != nil {
			opt.Log.Error("grpc bridge stopped", "err", err)
		}
	})
	return s
}

// ServeConn serves c, a connection whose TLS handshake is done and whose
// client chose HTTP/2, until it closes. It blocks, as an http.Server's
// TLSNextProto function must: the http.Server closes c when it returns.
func (s *Server) ServeConn(c net.Conn) {
	tc := &trackedConn{Conn: c, closed: make(chan struct{})}
	if cs, ok := c.(interface{ ConnectionState() tls.ConnectionState }); ok {
		st := cs.ConnectionState()
		tc.tls = &st
	}
	select {
	case s.ln.conns <- tc:
	case <-s.ln.done:
		c.Close()
		return
	}
	<-tc.closed
}

// GracefulStop refuses new calls, lets those in flight end and closes every
// connection. Streams end when the handler's context for them does.
func (s *Server) GracefulStop() {
	s.g.GracefulStop() // closes the listener too
	s.run.Wait()
}

// Stop closes every connection at once, ending the calls in flight.
func (s *Server) Stop() {
	s.g.Stop()
	s.run.Wait()
}

// trackedConn tells ServeConn when grpc-go is done with a connection.
type trackedConn struct {
	net.Conn
	tls    *tls.ConnectionState
	once   sync.Once
	closed chan struct{}
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.closed) })
	return err
}

// connListener feeds ServeConn's connections to grpc-go's accept loop.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return bridgeAddr{} }

type bridgeAddr struct{}

func (bridgeAddr) Network() string { return "grpc-bridge" }
func (bridgeAddr) String() string  { return "grpc-bridge" }

// handshaken is the transport credential of connections whose TLS
// handshake the listener already did: it only reports the TLS state.
type handshaken struct{}

var _ credentials.TransportCredentials = handshaken{}

func (handshaken) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	tc, ok := c.(*trackedConn)
	if !ok || tc.tls == nil {
		return nil, nil, errors.New("grpc bridge: connection without TLS")
	}
	return c, credentials.TLSInfo{
		State:          *tc.tls,
		CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity},
	}, nil
}

func (handshaken) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("grpc bridge: server credentials only")
}

func (handshaken) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (h handshaken) Clone() credentials.TransportCredentials { return h }

func (handshaken) OverrideServerName(string) error { return nil }

// frameCodec passes messages through undecoded: a received message comes
// out as one gRPC frame (flag byte, length, message), ready for an HTTP
// body, and a message to send goes out as the bytes given. Its name is
// the content subtype it claims, "proto" or "json"; the server forces it
// on every call, whatever the subtype, and the handler decodes.
type frameCodec string

var _ encoding.CodecV2 = frameCodec("")

func (frameCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (frameCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b := make([]byte, frameHeader+data.Len())
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(data.Len()))
	data.CopyTo(b[frameHeader:])
	*v.(*[]byte) = b
	return nil
}

func (c frameCodec) Name() string { return string(c) }

// WindowSize is the flow-control window per stream and per connection,
// fixed on both ends of the bridge. A gRPC client that fixes its own (as
// grpc-go's WithInitialWindowSize does) sends no bandwidth-estimation
// pings.
const WindowSize = 1 << 20

// FixedWindows are the dial options that fix a grpc-go client's windows
// at WindowSize.
func FixedWindows() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(WindowSize), grpc.WithInitialConnWindowSize(WindowSize)}
}

// streamWorkers is how many goroutines wait for calls; a call that finds
// them all busy gets a goroutine of its own.
const streamWorkers = 64

// frameHeader is the flag byte and length before each gRPC message.
const frameHeader = 5

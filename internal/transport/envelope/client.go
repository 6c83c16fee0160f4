package envelope

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"connectrpc.com/connect"
	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// maxPending bounds the replies a call holds that its reader has not taken;
// a stream whose reader falls further behind is ended, not buffered.
const maxPending = 1024

// Conn is a client connection to the envelope transports. It is safe for
// concurrent use: many calls share it, each with its own id. It implements
// connect.HTTPClient, so the generated clients run over it with base URL
// "http://envelope" and the default proto codec; set the Rampart-Priority
// header on a call to give it a priority.
type Conn struct {
	w     wire
	max   int
	sendq chan frame

	ctx    context.Context // ends when the connection does
	cancel context.CancelFunc
	loops  sync.WaitGroup
	once   sync.Once

	mu    sync.Mutex
	calls map[string]*call
	next  uint64
	err   *rampartv1.Error // why the connection ended
}

var _ connect.HTTPClient = (*Conn)(nil)

// Dial connects to a server: wss://host[:port][/api/v1/ws] for WebSocket
// (ws:// only where the node serves plain HTTP), tcp+tls://host:port for
// raw TCP and unix:///path for a unix socket. tlsConfig may be nil for the
// system roots; its ServerName defaults to the URL's host.
func Dial(ctx context.Context, rawURL string, tlsConfig *tls.Config) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("envelope: dial: %w", err)
	}
	var w wire
	switch u.Scheme {
	case "wss", "ws":
		w, err = dialWebSocket(ctx, u, tlsConfig)
	case "tcp+tls":
		w, err = dialTLS(ctx, u, tlsConfig)
	case "unix":
		w, err = dialUnix(ctx, u)
	default:
		err = fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("envelope: dial %s: %w", u.Redacted(), err)
	}
	return newConn(w, DefaultMaxFrame), nil
}

func dialWebSocket(ctx context.Context, u *url.URL, tlsConfig *tls.Config) (wire, error) {
	if u.Path == "" || u.Path == "/" {
		u.Path = WebSocketPath
	}
	tr := &http.Transport{TLSClientConfig: tlsConfig.Clone(), Proxy: http.ProxyFromEnvironment}
	defer tr.CloseIdleConnections()
	c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, err
	}
	return newWSWire(c, DefaultMaxFrame, 0), nil
}

func dialTLS(ctx context.Context, u *url.URL, tlsConfig *tls.Config) (wire, error) {
	cfg := tlsConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	d := tls.Dialer{Config: cfg}
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	return newStreamWire(nc, DefaultMaxFrame, 0), nil
}

func dialUnix(ctx context.Context, u *url.URL) (wire, error) {
	if u.Host != "" || u.Path == "" {
		return nil, errors.New("want unix:///absolute/path")
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", u.Path)
	if err != nil {
		return nil, err
	}
	return newStreamWire(nc, DefaultMaxFrame, 0), nil
}

func newConn(w wire, max int) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{w: w, max: max, sendq: make(chan frame, 64), ctx: ctx, cancel: cancel, calls: make(map[string]*call)}
	c.loops.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c
}

// Alive reports whether the connection can still carry calls; once it
// broke or was closed, it never can again.
func (c *Conn) Alive() bool { return c.failure() == nil }

// Close ends the connection; calls still waiting fail with unavailable.
func (c *Conn) Close() error {
	c.fail(newError(errs.Unavailable, "connection closed"), true)
	c.loops.Wait()
	return nil
}

// Call sends one unary request and returns the reply's payload. token, when
// set, overrides the connection's credential for this call. Errors the
// server sent are *connect.Error values; ErrorDetail gives their
// rampart.v1.Error. When ctx ends first the server is told to cancel.
func (c *Conn) Call(ctx context.Context, method, token string, priority int32, payload []byte) ([]byte, error) {
	if kind, _ := lookupMethod(method); kind == serverStream {
		return nil, toConnectError(newError(errs.InvalidArgument, "Call is for unary methods; use a generated client for streams"))
	}
	cl, err := c.start(ctx, &rampartv1.Envelope{Method: method, Token: token, Priority: priority, Payload: payload})
	if err != nil {
		return nil, err
	}
	env, err := cl.next(ctx)
	if err != nil {
		c.abandon(cl)
		return nil, err
	}
	if env.Error != nil {
		return nil, toConnectError(env.Error)
	}
	return env.Payload, nil
}

// Authenticate sets the credential later calls on the connection carry.
func (c *Conn) Authenticate(ctx context.Context, token string) error {
	_, err := c.Call(ctx, MethodAuthenticate, token, 0, nil)
	return err
}

// start registers a call and sends its request.
func (c *Conn) start(ctx context.Context, env *rampartv1.Envelope) (*call, error) {
	if proto.Size(env)+replyOverhead > c.max {
		return nil, toConnectError(newError(errs.TooLarge, "request exceeds the frame limit"))
	}
	cl := newCall()
	c.mu.Lock()
	if c.err != nil {
		defer c.mu.Unlock()
		return nil, toConnectError(c.err)
	}
	env.Id = strconv.FormatUint(c.next, 36)
	c.next++
	cl.id = env.Id
	c.calls[cl.id] = cl
	c.mu.Unlock()
	select {
	case c.sendq <- frame{env: env}:
		return cl, nil
	case <-ctx.Done():
		c.forget(cl)
		return nil, ctx.Err()
	case <-c.ctx.Done():
		c.forget(cl)
		return nil, toConnectError(c.failure())
	}
}

func (c *Conn) forget(cl *call) {
	c.mu.Lock()
	if c.calls[cl.id] == cl {
		delete(c.calls, cl.id)
	}
	c.mu.Unlock()
}

// abandon forgets a call its caller stopped waiting for and asks the server
// to cancel it, without blocking the caller.
func (c *Conn) abandon(cl *call) {
	c.mu.Lock()
	live := c.calls[cl.id] == cl
	delete(c.calls, cl.id)
	if live {
		cl.terminate(newError(CodeCanceled, "request cancelled"))
	}
	id := strconv.FormatUint(c.next, 36)
	c.next++
	c.mu.Unlock()
	if !live {
		return // it ended already
	}
	f := frame{env: &rampartv1.Envelope{Id: id, Method: MethodCancel, Payload: []byte(cl.id)}}
	select {
	case c.sendq <- f:
	default:
		go func() {
			select {
			case c.sendq <- f:
			case <-c.ctx.Done():
			}
		}()
	}
}

func (c *Conn) failure() *rampartv1.Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail ends the connection once, ending every call with e.
func (c *Conn) fail(e *rampartv1.Error, graceful bool) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = e
		calls := c.calls
		c.calls = make(map[string]*call)
		c.mu.Unlock()
		for _, cl := range calls {
			cl.terminate(e)
		}
		if graceful {
			c.w.close("", "")
		}
		c.cancel()
		c.w.closeNow()
	})
}

func (c *Conn) readLoop() {
	defer c.loops.Done()
	for {
		f, err := c.w.read(c.ctx)
		if err != nil {
			c.fail(newError(errs.Unavailable, "connection lost: "+err.Error()), false)
			return
		}
		c.deliver(f.env)
	}
}

func (c *Conn) deliver(env *rampartv1.Envelope) {
	if env.Id == "" {
		// The server is about to close: say why when it does.
		if env.Error != nil {
			c.fail(env.Error, false)
		}
		return
	}
	c.mu.Lock()
	cl := c.calls[env.Id]
	if cl != nil && env.End {
		delete(c.calls, env.Id)
	}
	c.mu.Unlock()
	if cl != nil && !cl.push(env) {
		c.abandon(cl)
	}
}

func (c *Conn) writeLoop() {
	defer c.loops.Done()
	for {
		select {
		case f := <-c.sendq:
			err := c.w.write(c.ctx, f)
			if err == nil && len(c.sendq) == 0 {
				err = c.w.flush()
			}
			if err != nil {
				c.fail(newError(errs.Unavailable, "connection lost: "+err.Error()), false)
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// call is one request waiting for its replies.
type call struct {
	id    string
	mu    sync.Mutex
	q     []*rampartv1.Envelope
	ended bool
	wake  chan struct{}
}

func newCall() *call { return &call{wake: make(chan struct{}, 1)} }

// push queues a reply; false when the reader is too far behind, in which
// case the call has been ended with resource_exhausted.
func (cl *call) push(env *rampartv1.Envelope) bool {
	cl.mu.Lock()
	ok := true
	switch {
	case cl.ended:
	case len(cl.q) >= maxPending:
		cl.q = append(cl.q, &rampartv1.Envelope{Id: cl.id, End: true,
			Error: newError(errs.ResourceExhausted, "stream reader fell too far behind")})
		cl.ended, ok = true, false
	default:
		cl.q = append(cl.q, env)
		cl.ended = env.End
	}
	cl.mu.Unlock()
	cl.signal()
	return ok
}

// terminate ends the call with e unless it has ended.
func (cl *call) terminate(e *rampartv1.Error) {
	cl.mu.Lock()
	if !cl.ended {
		cl.q = append(cl.q, &rampartv1.Envelope{Id: cl.id, End: true, Error: e})
		cl.ended = true
	}
	cl.mu.Unlock()
	cl.signal()
}

func (cl *call) signal() {
	select {
	case cl.wake <- struct{}{}:
	default:
	}
}

// next returns the call's next reply.
func (cl *call) next(ctx context.Context) (*rampartv1.Envelope, error) {
	for {
		cl.mu.Lock()
		if len(cl.q) > 0 {
			env := cl.q[0]
			cl.q[0] = nil
			cl.q = cl.q[1:]
			cl.mu.Unlock()
			return env, nil
		}
		cl.mu.Unlock()
		select {
		case <-cl.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

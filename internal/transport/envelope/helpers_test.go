package envelope

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// fakeDocs is a DocumentService whose answers show what reached it: Get
// echoes the Authorization header and peer, Watch streams a few events.
// Collections select special behaviour.
type fakeDocs struct {
	rampartv1connect.UnimplementedDocumentServiceHandler
	started chan string   // ids of "gate" requests as they start
	gate    chan struct{} // "gate" requests wait for it to close
	ended   chan string   // ids of "block" and "endless" requests as their context ends

	sent      atomic.Int64 // Watch events sent
	gateClose sync.Once
}

func newFakeDocs() *fakeDocs {
	return &fakeDocs{started: make(chan string, 1000), gate: make(chan struct{}), ended: make(chan string, 100)}
}

func (f *fakeDocs) Get(ctx context.Context, req *connect.Request[rampartv1.GetRequest]) (*connect.Response[rampartv1.Document], error) {
	m := req.Msg
	switch m.Collection {
	case "gate":
		f.started <- m.Id
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, connect.NewError(connect.CodeCanceled, ctx.Err())
		}
	case "block":
		<-ctx.Done()
		f.ended <- m.Id
		return nil, connect.NewError(connect.CodeCanceled, ctx.Err())
	case "missing":
		return nil, detailedError(connect.CodeNotFound, &rampartv1.Error{Code: "not_found", Message: "document not found", Id: "corr-1"})
	case "plain":
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("not yours"))
	case "panic":
		panic("handler bug")
	case "big":
		return connect.NewResponse(&rampartv1.Document{Json: strings.Repeat("x", 64<<10)}), nil
	}
	doc := fmt.Sprintf(`{"auth":%q,"id":%q,"peer":%q}`, req.Header().Get("Authorization"), m.Id, req.Peer().Addr)
	return connect.NewResponse(&rampartv1.Document{Json: doc}), nil
}

func detailedError(code connect.Code, e *rampartv1.Error) error {
	ce := connect.NewError(code, errors.New(e.Message))
	d, err := connect.NewErrorDetail(e)
	if err != nil {
		panic(err)
	}
	ce.AddDetail(d)
	return ce
}

// Watch sends three events (or since of them), then: "endless" waits for
// the context, "fail" ends with an error, anything else ends cleanly.
func (f *fakeDocs) Watch(ctx context.Context, req *connect.Request[rampartv1.WatchRequest], s *connect.ServerStream[rampartv1.WatchEvent]) error {
	n := int64(3)
	if req.Msg.Since != nil {
		n = *req.Msg.Since
	}
	if req.Msg.Collection == "endless" {
		// Reported however the stream ends: a cancel can arrive while the
		// first events are still being sent.
		defer func() { f.ended <- req.Msg.Collection }()
	}
	for i := range n {
		ev := &rampartv1.WatchEvent{Seq: i + 1, Op: "insert", Id: req.Header().Get("Authorization")}
		if err := s.Send(ev); err != nil {
			return err
		}
		f.sent.Add(1)
	}
	switch req.Msg.Collection {
	case "endless":
		<-ctx.Done()
		return connect.NewError(connect.CodeCanceled, ctx.Err())
	case "fail":
		return detailedError(connect.CodePermissionDenied, &rampartv1.Error{Code: "permission_denied", Message: "no longer allowed"})
	}
	return nil
}

func testHandler(docs *fakeDocs) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(rampartv1connect.NewDocumentServiceHandler(docs))
	return mux
}

// fixture is a Server on one transport, with what a client needs to reach it.
type fixture struct {
	srv  *Server
	docs *fakeDocs
	url  string
	tls  *tls.Config
	path string // the unix socket's
}

var transports = []string{"tcp", "unix", "ws"}

func newFixture(t testing.TB, transport string, opts Options) *fixture {
	t.Helper()
	fx := &fixture{docs: newFakeDocs()}
	fx.srv = New(testHandler(fx.docs), opts)
	switch transport {
	case "tcp":
		cert, pool := testCert(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		go fx.srv.Serve(ln)
		fx.url = "tcp+tls://" + ln.Addr().String()
		fx.tls = &tls.Config{RootCAs: pool}
	case "unix":
		fx.path = shortSocketPath(t)
		ln, err := ListenUnix(fx.path)
		if err != nil {
			t.Fatal(err)
		}
		go fx.srv.Serve(ln)
		fx.url = "unix://" + fx.path
	case "ws":
		mux := http.NewServeMux()
		mux.Handle(WebSocketPath, fx.srv.WebSocket())
		ts := httptest.NewUnstartedServer(mux)
		ts.StartTLS()
		t.Cleanup(ts.Close)
		pool := x509.NewCertPool()
		pool.AddCert(ts.Certificate())
		fx.url = "wss://" + ts.Listener.Addr().String()
		fx.tls = &tls.Config{RootCAs: pool}
	}
	t.Cleanup(func() {
		fx.docs.release()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fx.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return fx
}

// release lets every "gate" request finish.
func (f *fakeDocs) release() { f.gateClose.Do(func() { close(f.gate) }) }

// shortSocketPath keeps under the 108-byte limit of unix socket paths,
// which t.TempDir can exceed.
func shortSocketPath(t testing.TB) string {
	dir, err := os.MkdirTemp("", "env")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "r.sock")
}

func (fx *fixture) dial(t testing.TB) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, fx.url, fx.tls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "envelope test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// raw speaks frames directly, for tests the client would never send.
type raw interface {
	// send writes one envelope: protobuf, or JSON when text.
	send(env *rampartv1.Envelope, text bool)
	// sendBytes writes b as is: bytes on a stream, a message on WebSocket.
	sendBytes(b []byte, text bool)
	// recv returns the next envelope and whether it came as text; nil and
	// the error once the server has closed.
	recv() (*rampartv1.Envelope, bool, error)
	// closeWrite says the client will send no more.
	closeWrite()
}

func (fx *fixture) raw(t testing.TB) raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := strings.TrimPrefix(strings.TrimPrefix(fx.url, "tcp+tls://"), "unix://")
	var nc net.Conn
	var err error
	switch {
	case strings.HasPrefix(fx.url, "tcp+tls://"):
		d := tls.Dialer{Config: fx.tls}
		nc, err = d.DialContext(ctx, "tcp", u)
	case strings.HasPrefix(fx.url, "unix://"):
		nc, err = net.Dial("unix", u)
	default:
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: fx.tls}}
		var c *websocket.Conn
		c, _, err = websocket.Dial(ctx, fx.url+WebSocketPath, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadLimit(-1)
		t.Cleanup(func() { c.CloseNow() })
		return &wsRaw{t: t, c: c}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &streamRaw{t: t, nc: nc}
}

type streamRaw struct {
	t  testing.TB
	nc net.Conn
}

func (r *streamRaw) send(env *rampartv1.Envelope, _ bool) {
	b, err := appendFrame(nil, env)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendBytes(b, false)
}

func (r *streamRaw) sendBytes(b []byte, _ bool) {
	if _, err := r.nc.Write(b); err != nil {
		r.t.Errorf("write: %v", err)
	}
}

func (r *streamRaw) recv() (*rampartv1.Envelope, bool, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := readFrame(r.nc, DefaultMaxFrame)
	if err != nil {
		return nil, false, err
	}
	env, err := decodeBinary(b)
	if err != nil {
		r.t.Fatalf("server sent a bad frame: %v", err)
	}
	return env, false, nil
}

func (r *streamRaw) closeWrite() {
	type closeWriter interface{ CloseWrite() error }
	if err := r.nc.(closeWriter).CloseWrite(); err != nil {
		r.t.Fatal(err)
	}
}

type wsRaw struct {
	t testing.TB
	c *websocket.Conn
}

func (r *wsRaw) send(env *rampartv1.Envelope, text bool) {
	b, err := encodeFrame(frame{env: env, text: text})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendBytes(b, text)
}

func (r *wsRaw) sendBytes(b []byte, text bool) {
	typ := websocket.MessageBinary
	if text {
		typ = websocket.MessageText
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.c.Write(ctx, typ, b); err != nil {
		r.t.Errorf("write: %v", err)
	}
}

func (r *wsRaw) recv() (*rampartv1.Envelope, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := r.c.Read(ctx)
	if err != nil {
		return nil, false, err
	}
	text := typ == websocket.MessageText
	var env *rampartv1.Envelope
	if text {
		env, err = decodeText(b)
	} else {
		env, err = decodeBinary(b)
	}
	if err != nil {
		r.t.Fatalf("server sent a bad message: %v", err)
	}
	return env, text, nil
}

func (r *wsRaw) closeWrite() {}

// mustRecv returns the next envelope, failing the test if the server closed.
func mustRecv(t testing.TB, r raw) *rampartv1.Envelope {
	t.Helper()
	env, _, err := r.recv()
	if err != nil {
		t.Fatalf("connection ended: %v", err)
	}
	return env
}

// recvUntilClosed collects envelopes until the server closes, and returns
// them with the error that ended the read.
func recvUntilClosed(t testing.TB, r raw) ([]*rampartv1.Envelope, error) {
	t.Helper()
	var got []*rampartv1.Envelope
	for range 10000 {
		env, _, err := r.recv()
		if err != nil {
			return got, err
		}
		got = append(got, env)
	}
	t.Fatal("the server never closed")
	return nil, nil
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

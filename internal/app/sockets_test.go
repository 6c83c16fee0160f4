package app_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/transport/envelope"
)

// Hostile clients of the envelope listeners of a real node, behind which
// the real RPC handlers answer.

// startSockets starts a node with the TCP and unix envelope listeners on.
func startSockets(t *testing.T, configure func(*config.Config)) (*apptest.Harness, string) {
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "r.sock")
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		c.Listen.TCP, c.Listen.Unix = "127.0.0.1:0", sock
		if configure != nil {
			configure(c)
		}
	}})
	return h, sock
}

// served signs in over url and reads back a document it wrote: the
// transport answers a well-behaved client.
func served(t *testing.T, h *apptest.Harness, url, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := envelope.Dial(ctx, url, h.TLSConfig())
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.Close()
	docs := rampartv1connect.NewDocumentServiceClient(c, "http://envelope")
	req := connect.NewRequest(&rampartv1.InsertRequest{Collection: "notes", Document: `{"n":1}`})
	req.Header().Set("Authorization", "Bearer "+token)
	if _, err := docs.Insert(ctx, req); err != nil {
		t.Fatalf("a normal client over %s: %v", url, err)
	}
}

// frameConn is a raw envelope connection.
type frameConn struct {
	net.Conn
}

func (f frameConn) writeRaw(b []byte) error {
	f.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := f.Write(b)
	return err
}

func (f frameConn) send(env *rampartv1.Envelope) error {
	b, err := proto.Marshal(env)
	if err != nil {
		return err
	}
	return f.writeRaw(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
}

// recv reads one envelope, or the error that ended the stream.
func (f frameConn) recv() (*rampartv1.Envelope, error) {
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	var n [4]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	env := new(rampartv1.Envelope)
	return env, proto.Unmarshal(b, env)
}

// closedAfterError reads until the server hangs up, and returns the codes
// of the error replies it sent first.
func (f frameConn) closedAfterError(t *testing.T) []string {
	t.Helper()
	var codes []string
	for {
		env, err := f.recv()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept the connection open after %v", codes)
			}
			return codes
		}
		codes = append(codes, env.GetError().GetCode())
	}
}

func dialFrames(t *testing.T, h *apptest.Harness, network, addr string) frameConn {
	t.Helper()
	var c net.Conn
	var err error
	if network == "tcp" {
		c, err = tls.Dial("tcp", addr, h.TLSConfig())
	} else {
		c, err = net.Dial("unix", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return frameConn{c}
}

// TestSocketHostileFrames sends broken frames to both socket listeners: the
// connection gets an error reply or is closed, nothing is written, and a
// well-behaved client is served throughout.
func TestSocketHostileFrames(t *testing.T) {
	h, sock := startSockets(t, func(c *config.Config) { c.Limits.MaxFrame = 1 << 20 })
	h.CreateUser("ann", "ann-password-12", false)
	token := h.Login("ann", "ann-password-12").Token
	get := "/rampart.v1.DocumentService/Get"
	for _, tr := range []struct{ network, addr, url string }{
		{"tcp", h.Node.TCPAddr().String(), "tcp+tls://" + h.Node.TCPAddr().String()},
		{"unix", sock, "unix://" + sock},
	} {
		t.Run(tr.network, func(t *testing.T) {
			before := lastSeq(t, h)
			closing := map[string][]byte{
				"oversized length prefix": binary.BigEndian.AppendUint32(nil, 1<<30),
				"garbage envelope":        append(binary.BigEndian.AppendUint32(nil, 5), 0xff, 0xff, 0xff, 0xff, 0xff),
			}
			for name, b := range closing {
				t.Run(name, func(t *testing.T) {
					f := dialFrames(t, h, tr.network, tr.addr)
					if err := f.writeRaw(b); err != nil {
						t.Fatal(err)
					}
					f.closedAfterError(t)
				})
			}
			t.Run("truncated frame", func(t *testing.T) {
				f := dialFrames(t, h, tr.network, tr.addr)
				if err := f.writeRaw(binary.BigEndian.AppendUint32(nil, 100)[:4]); err != nil {
					t.Fatal(err)
				}
				f.writeRaw([]byte("only part"))
				f.Conn.(interface{ CloseWrite() error }).CloseWrite()
				f.closedAfterError(t)
			})
			// These are answered with a typed error; the connection stays.
			answered := []struct {
				name string
				env  *rampartv1.Envelope
				code string
			}{
				{"garbage protobuf payload", &rampartv1.Envelope{Id: "1", Method: get, Token: token, Payload: []byte{0xff, 0x01, 0x02}}, "invalid_argument"},
				{"unknown method", &rampartv1.Envelope{Id: "2", Method: "/rampart.v1.DocumentService/Drop", Token: token}, "not_found"},
				{"not a procedure", &rampartv1.Envelope{Id: "3", Method: "/../../etc/passwd", Token: token}, "not_found"},
				{"forged token", &rampartv1.Envelope{Id: "4", Method: get, Token: token + "x",
					Payload: mustMarshal(t, &rampartv1.GetRequest{Collection: "notes", Id: "x"})}, "unauthenticated"},
				{"no token", &rampartv1.Envelope{Id: "5", Method: "/rampart.v1.DocumentService/Insert",
					Payload: mustMarshal(t, &rampartv1.InsertRequest{Collection: "notes", Document: `{"a":1}`})}, "unauthenticated"},
				{"invalid UTF-8 collection", &rampartv1.Envelope{Id: "6", Method: get, Token: token,
					Payload: mustMarshal(t, &rampartv1.GetRequest{Collection: "ok", Id: "x"}, func(b []byte) []byte {
						return []byte(strings.Replace(string(b), "ok", "\xff\xfe", 1))
					})}, "invalid_argument"},
			}
			f := dialFrames(t, h, tr.network, tr.addr)
			for _, a := range answered {
				if err := f.send(a.env); err != nil {
					t.Fatal(err)
				}
				env, err := f.recv()
				if err != nil {
					t.Fatalf("%s: %v", a.name, err)
				}
				if env.GetId() != a.env.GetId() || env.GetError().GetCode() != a.code || !env.GetEnd() {
					t.Errorf("%s: answered %v, want %s", a.name, env, a.code)
				}
			}
			if after := lastSeq(t, h); after != before {
				t.Errorf("the change log moved from %d to %d", before, after)
			}
			served(t, h, tr.url, token)
		})
	}
}

// mustMarshal encodes m, then lets edit corrupt the bytes.
func mustMarshal(t *testing.T, m proto.Message, edit ...func([]byte) []byte) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edit {
		b = e(b)
	}
	return b
}

func lastSeq(t *testing.T, h *apptest.Harness) int64 {
	t.Helper()
	n, err := h.Node.Store().LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSocketIdleFlood: 10,000 connections to the TCP envelope listener from
// one address that never start TLS. The node keeps
// http.max_conns_per_address of them, closes the rest at accept, drops the
// held ones when the handshake times out, keeps its memory bounded, and
// serves the unix socket and the WebSocket meanwhile.
func TestSocketIdleFlood(t *testing.T) {
	const flood = 10000
	h, sock := startSockets(t, nil)
	h.CreateUser("ann", "ann-password-12", false)
	token := h.Login("ann", "ann-password-12").Token
	limit := h.Cfg.HTTP.MaxConnsPerAddress
	served(t, h, "unix://"+sock, token) // warm up
	heap0, stack0 := memInUse()
	start := time.Now()

	conns := dialMany(t, h.Node.TCPAddr().String(), flood)
	held := classify(t, conns, flood-limit)
	heap1, stack1 := memInUse()
	t.Logf("%d idle connections to the TCP envelope listener: %d held, %d closed at accept, in %v; heap %+.1f MiB, stacks %+.1f MiB (client and server sides together)",
		flood, len(held), flood-len(held), time.Since(start).Round(time.Millisecond),
		float64(int64(heap1)-int64(heap0))/(1<<20), float64(int64(stack1)-int64(stack0))/(1<<20))
	if growth := int64(heap1+stack1) - int64(heap0+stack0); growth > 64<<20 {
		t.Fatalf("memory grew by %.1f MiB with the flood held", float64(growth)/(1<<20))
	}
	served(t, h, "unix://"+sock, token)
	served(t, h, "wss://"+strings.TrimPrefix(h.PublicURL, "https://"), token)
	// The held connections never handshake; the handshake timeout ends them.
	classify(t, held, len(held))
	served(t, h, "tcp+tls://"+h.Node.TCPAddr().String(), token)
}

// TestWebSocketTokenOverride: two users multiplexed on one WebSocket
// connection, each message carrying its own token, each see only their own
// documents; a message without a token falls back to the connection's.
func TestWebSocketTokenOverride(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	h.CreateUser("ann", "ann-password-12", false)
	h.CreateUser("bob", "bob-password-12", false)
	tokens := map[string]string{"ann": h.Login("ann", "ann-password-12").Token, "bob": h.Login("bob", "bob-password-12").Token}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := envelope.Dial(ctx, "wss://"+strings.TrimPrefix(h.PublicURL, "https://"), h.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func(method, token string, req, res proto.Message) error {
		b, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Call(ctx, method, token, 0, b)
		if err == nil {
			err = proto.Unmarshal(out, res)
		}
		return err
	}
	const insert, query = "/rampart.v1.DocumentService/Insert", "/rampart.v1.DocumentService/Query"
	// Interleaved on the one connection, concurrently.
	errc := make(chan error, 20)
	for i := range 10 {
		for _, who := range []string{"ann", "bob"} {
			go func() {
				doc := `{"owner":"` + who + `","n":` + strconv.Itoa(i) + `}`
				errc <- call(insert, tokens[who], &rampartv1.InsertRequest{Collection: "notes", Document: doc}, new(rampartv1.Document))
			}()
		}
	}
	for range 20 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for who, token := range tokens {
		var res rampartv1.QueryResponse
		if err := call(query, token, &rampartv1.QueryRequest{Collection: "notes"}, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Documents) != 10 {
			t.Errorf("%s sees %d documents, want their own 10", who, len(res.Documents))
		}
		for _, d := range res.Documents {
			if !strings.Contains(d.Json, `"owner":"`+who+`"`) {
				t.Errorf("%s sees %s", who, d.Json)
			}
		}
	}
	// The connection's own credential serves messages that carry none.
	if err := c.Authenticate(ctx, tokens["bob"]); err != nil {
		t.Fatal(err)
	}
	var res rampartv1.QueryResponse
	if err := call(query, "", &rampartv1.QueryRequest{Collection: "notes", Filter: `{"owner":"ann"}`}, &res); err != nil || len(res.Documents) != 0 {
		t.Errorf("bob's connection credential reads ann's documents: %v, %d", err, len(res.Documents))
	}
	if err := call(query, tokens["ann"], &rampartv1.QueryRequest{Collection: "notes", Filter: `{"owner":"ann"}`}, &res); err != nil || len(res.Documents) != 10 {
		t.Errorf("ann's message token over bob's connection: %v, %d", err, len(res.Documents))
	}
}

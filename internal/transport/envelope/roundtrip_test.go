package envelope

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

const (
	getMethod   = rampartv1connect.DocumentServiceGetProcedure
	watchMethod = rampartv1connect.DocumentServiceWatchProcedure
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientRoundTrip(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			docs := rampartv1connect.NewDocumentServiceClient(fx.dial(t), "http://envelope")
			ctx := testContext(t)

			req := connect.NewRequest(&rampartv1.GetRequest{Collection: "c", Id: "d1"})
			req.Header().Set("Authorization", "Bearer tok-1")
			res, err := docs.Get(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := echo(t, res.Msg.Json); got.Auth != "Bearer tok-1" || got.ID != "d1" {
				t.Errorf("Get reached the handler as %+v", got)
			}

			wreq := connect.NewRequest(&rampartv1.WatchRequest{Collection: "c"})
			wreq.Header().Set("Authorization", "Bearer tok-2")
			seqs, err := watchAll(ctx, docs, wreq)
			if err != nil || !slices.Equal(seqs, []int64{1, 2, 3}) {
				t.Errorf("Watch = %v, %v; want 1 2 3 and a clean end", seqs, err)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			docs := rampartv1connect.NewDocumentServiceClient(fx.dial(t), "http://envelope")
			ctx := testContext(t)

			_, err := docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: "missing"}))
			wantError(t, err, connect.CodeNotFound, "not_found")
			if e, _ := ErrorDetail(err); e.GetId() != "corr-1" || e.GetMessage() != "document not found" {
				t.Errorf("the handler's rampart.v1.Error was not passed on: %v", e)
			}

			_, err = docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: "plain"}))
			wantError(t, err, connect.CodePermissionDenied, "permission_denied")

			seqs, err := watchAll(ctx, docs, connect.NewRequest(&rampartv1.WatchRequest{Collection: "fail"}))
			if len(seqs) != 3 {
				t.Errorf("got %v before the error, want three events", seqs)
			}
			wantError(t, err, connect.CodePermissionDenied, "permission_denied")

			_, err = docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: "panic"}))
			wantError(t, err, connect.CodeInternal, "internal")
			if e, _ := ErrorDetail(err); e.GetId() == "" {
				t.Error("a handler panic must answer with a correlation id")
			}
		})
	}
}

func TestCall(t *testing.T) {
	fx := newFixture(t, "unix", Options{})
	c := fx.dial(t)
	ctx := testContext(t)
	out, err := c.Call(ctx, getMethod, "tok", 0, marshal(t, &rampartv1.GetRequest{Collection: "c", Id: "x"}))
	if err != nil {
		t.Fatal(err)
	}
	var doc rampartv1.Document
	if err := proto.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if got := echo(t, doc.Json); got.Auth != "Bearer tok" || got.ID != "x" {
		t.Errorf("Call reached the handler as %+v", got)
	}

	_, err = c.Call(ctx, "/rampart.v1.Nothing/Here", "", 0, nil)
	wantError(t, err, connect.CodeNotFound, "not_found")

	_, err = c.Call(ctx, watchMethod, "", 0, nil)
	wantError(t, err, connect.CodeInvalidArgument, "invalid_argument")
}

func TestPeerAddress(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			docs := rampartv1connect.NewDocumentServiceClient(fx.dial(t), "http://envelope")
			res, err := docs.Get(testContext(t), connect.NewRequest(&rampartv1.GetRequest{Collection: "c"}))
			if err != nil {
				t.Fatal(err)
			}
			peer := echo(t, res.Msg.Json).Peer
			if tr == "unix" {
				if peer != "unix:"+fx.path {
					t.Errorf("unix peer = %q, want unix: and the socket path", peer)
				}
			} else if !strings.HasPrefix(peer, "127.0.0.1:") {
				t.Errorf("peer = %q, want the client's address", peer)
			}
		})
	}
}

func TestRawRoundTrip(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			r := fx.raw(t)
			r.send(&rampartv1.Envelope{Id: "g", Method: getMethod, Token: "raw",
				Payload: marshal(t, &rampartv1.GetRequest{Collection: "c", Id: "x"})}, false)
			env, text, err := r.recv()
			if err != nil {
				t.Fatal(err)
			}
			var doc rampartv1.Document
			if env.Id != "g" || !env.End || env.Error != nil || text || proto.Unmarshal(env.Payload, &doc) != nil {
				t.Fatalf("unary reply = %v (text %v)", env, text)
			}
			if got := echo(t, doc.Json); got.Auth != "Bearer raw" {
				t.Errorf("token reached the handler as %q", got.Auth)
			}

			r.send(&rampartv1.Envelope{Id: "w", Method: watchMethod,
				Payload: marshal(t, &rampartv1.WatchRequest{Collection: "c"})}, false)
			for i := range 3 {
				env := mustRecv(t, r)
				var ev rampartv1.WatchEvent
				if env.Id != "w" || env.End || proto.Unmarshal(env.Payload, &ev) != nil || ev.Seq != int64(i+1) {
					t.Fatalf("stream message %d = %v", i, env)
				}
			}
			if env := mustRecv(t, r); env.Id != "w" || !env.End || env.Error != nil || len(env.Payload) != 0 {
				t.Fatalf("stream end = %v", env)
			}
		})
	}
}

// TestTextFrames drives the JSON form a browser uses.
func TestTextFrames(t *testing.T) {
	fx := newFixture(t, "ws", Options{})
	r := fx.raw(t)

	r.sendBytes([]byte(`{"id":"t1","method":"`+getMethod+`","token":"tt","payload":{"collection":"c","id":"x"}}`), true)
	env, text, err := r.recv()
	if err != nil || !text || env.Id != "t1" || !env.End || env.Error != nil {
		t.Fatalf("reply = %v, text %v, %v", env, text, err)
	}
	var doc struct{ JSON string }
	if err := json.Unmarshal(env.Payload, &doc); err != nil {
		t.Fatalf("payload %s is not the JSON of a Document: %v", env.Payload, err)
	}
	if got := echo(t, doc.JSON); got.Auth != "Bearer tt" {
		t.Errorf("token reached the handler as %q", got.Auth)
	}

	r.sendBytes([]byte(`{"id":"t2","method":"`+watchMethod+`","payload":{"collection":"c","since":"2"}}`), true)
	for i := range 2 {
		env, text, _ := r.recv()
		var ev struct{ Seq string }
		if !text || env.Id != "t2" || env.End || json.Unmarshal(env.Payload, &ev) != nil || ev.Seq != []string{"1", "2"}[i] {
			t.Fatalf("stream message %d = %v (text %v)", i, env, text)
		}
	}
	if env, text, _ := r.recv(); !text || !env.End || env.Error != nil {
		t.Fatalf("stream end = %v", env)
	}

	r.sendBytes([]byte(`{"id":"t3","method":"`+getMethod+`","payload":{"collection":"missing"}}`), true)
	if env, text, _ := r.recv(); !text || env.Id != "t3" || env.Error.GetCode() != "not_found" || env.Error.GetId() != "corr-1" {
		t.Fatalf("error reply = %v", env)
	}

	// A payload the handler cannot decode is that request's error only.
	r.sendBytes([]byte(`{"id":"t4","method":"`+getMethod+`","payload":{"collection":5}}`), true)
	if env, _, _ := r.recv(); env.Id != "t4" || env.Error.GetCode() != "invalid_argument" {
		t.Fatalf("bad payload reply = %v", env)
	}
	r.sendBytes([]byte(`{"id":"t5","method":"`+getMethod+`"}`), true)
	if env, _, _ := r.recv(); env.Id != "t5" || env.Error != nil {
		t.Fatalf("a request without payload is the empty message; got %v", env)
	}
}

type echoed struct {
	Auth string `json:"auth"`
	ID   string `json:"id"`
	Peer string `json:"peer"`
}

func echo(t testing.TB, doc string) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		t.Fatalf("echo %q: %v", doc, err)
	}
	return e
}

func watchAll(ctx context.Context, docs rampartv1connect.DocumentServiceClient, req *connect.Request[rampartv1.WatchRequest]) ([]int64, error) {
	stream, err := docs.Watch(ctx, req)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	var seqs []int64
	for stream.Receive() {
		seqs = append(seqs, stream.Msg().Seq)
	}
	return seqs, stream.Err()
}

func wantError(t testing.TB, err error, code connect.Code, rampartCode string) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Errorf("error %v has code %v, want %v", err, connect.CodeOf(err), code)
	}
	if e, ok := ErrorDetail(err); !ok || e.Code != rampartCode {
		t.Errorf("error %v carries %v, want a rampart.v1.Error with code %s", err, e, rampartCode)
	}
}

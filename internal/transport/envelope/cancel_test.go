package envelope

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

func endless(t testing.TB, id string) *rampartv1.Envelope {
	return &rampartv1.Envelope{Id: id, Method: watchMethod,
		Payload: marshal(t, &rampartv1.WatchRequest{Collection: "endless"})}
}

// recvEnds reads replies until each id has its end, and returns the ends.
func recvEnds(t testing.TB, r raw, ids ...string) map[string]*rampartv1.Envelope {
	t.Helper()
	ends := map[string]*rampartv1.Envelope{}
	for len(ends) < len(ids) {
		if env := mustRecv(t, r); env.End {
			ends[env.Id] = env
		}
	}
	return ends
}

func TestCancelStream(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			r := fx.raw(t)
			r.send(endless(t, "w"), false)
			for range 3 {
				mustRecv(t, r)
			}
			r.send(&rampartv1.Envelope{Id: "c", Method: MethodCancel, Payload: []byte("w")}, false)
			ends := recvEnds(t, r, "w", "c")
			if ends["w"].Error.GetCode() != CodeCanceled {
				t.Errorf("cancelled stream ended with %v", ends["w"])
			}
			if ends["c"].Error != nil {
				t.Errorf("Cancel answered %v", ends["c"])
			}
			<-fx.docs.ended // the handler's context ended
		})
	}
}

func TestCancelTextFrame(t *testing.T) {
	fx := newFixture(t, "ws", Options{})
	r := fx.raw(t)
	r.sendBytes([]byte(`{"id":"w","method":"`+watchMethod+`","payload":{"collection":"endless"}}`), true)
	for range 3 {
		mustRecv(t, r)
	}
	r.sendBytes([]byte(`{"id":"c","method":"`+MethodCancel+`","payload":"w"}`), true)
	if ends := recvEnds(t, r, "w", "c"); ends["w"].Error.GetCode() != CodeCanceled || ends["c"].Error != nil {
		t.Errorf("ends = %v", ends)
	}
	<-fx.docs.ended

	r.sendBytes([]byte(`{"id":"c2","method":"`+MethodCancel+`","payload":{"id":"w"}}`), true)
	if env := mustRecv(t, r); env.Id != "c2" || env.Error.GetCode() != "invalid_argument" {
		t.Errorf("a Cancel whose payload is not a JSON string answered %v", env)
	}
}

// TestCancelQueued cancels a request still waiting for a slot: it ends at
// once and never runs.
func TestCancelQueued(t *testing.T) {
	fx := newFixture(t, "unix", Options{MaxInFlight: 1})
	r := fx.raw(t)
	r.send(gated(t, "hold", 0), false)
	<-fx.docs.started
	r.send(gated(t, "q", 0), false)
	r.send(&rampartv1.Envelope{Id: "c", Method: MethodCancel, Payload: []byte("q")}, false)
	ends := recvEnds(t, r, "q", "c")
	if ends["q"].Error.GetCode() != CodeCanceled || ends["c"].Error != nil {
		t.Fatalf("ends = %v", ends)
	}
	fx.docs.release()
	if env := mustRecv(t, r); env.Id != "hold" || env.Error != nil {
		t.Fatalf("reply %v", env)
	}
	syncFrames(t, r)
	if len(fx.docs.started) != 0 {
		t.Errorf("the cancelled request ran: %s", <-fx.docs.started)
	}
}

// TestCancelUnknownID answers a Cancel for nothing in flight: the request
// may have just finished.
func TestCancelUnknownID(t *testing.T) {
	fx := newFixture(t, "unix", Options{})
	r := fx.raw(t)
	r.send(&rampartv1.Envelope{Id: "c", Method: MethodCancel, Payload: []byte("nothing")}, false)
	if env := mustRecv(t, r); env.Id != "c" || env.Error != nil || !env.End {
		t.Errorf("reply %v", env)
	}
}

func TestClientCancel(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			docs := rampartv1connect.NewDocumentServiceClient(fx.dial(t), "http://envelope")

			ctx, cancel := context.WithCancel(testContext(t))
			stream, err := docs.Watch(ctx, connect.NewRequest(&rampartv1.WatchRequest{Collection: "endless"}))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if !stream.Receive() {
					t.Fatalf("stream ended early: %v", stream.Err())
				}
			}
			cancel()
			if stream.Receive() || connect.CodeOf(stream.Err()) != connect.CodeCanceled {
				t.Errorf("after cancel: %v", stream.Err())
			}
			stream.Close()
			<-fx.docs.ended

			ctx, cancel = context.WithCancel(testContext(t))
			go func() {
				<-fx.docs.started
				cancel()
			}()
			_, err = docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: "gate", Id: "u"}))
			if connect.CodeOf(err) != connect.CodeCanceled {
				t.Errorf("cancelled unary call: %v", err)
			}
		})
	}
}

// TestStreamBodyClosedEarly stops reading a stream: the server must hear.
func TestStreamBodyClosedEarly(t *testing.T) {
	fx := newFixture(t, "tcp", Options{})
	docs := rampartv1connect.NewDocumentServiceClient(fx.dial(t), "http://envelope")
	stream, err := docs.Watch(testContext(t), connect.NewRequest(&rampartv1.WatchRequest{Collection: "endless"}))
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() {
		t.Fatal(stream.Err())
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	<-fx.docs.ended
}

// TestConnectionCloseCancels ends a connection with requests in flight:
// every one of them must be cancelled.
func TestConnectionCloseCancels(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			c := fx.dial(t)
			docs := rampartv1connect.NewDocumentServiceClient(c, "http://envelope")
			ctx := testContext(t)
			stream, err := docs.Watch(ctx, connect.NewRequest(&rampartv1.WatchRequest{Collection: "endless"}))
			if err != nil {
				t.Fatal(err)
			}
			if !stream.Receive() {
				t.Fatal(stream.Err())
			}
			errc := make(chan error, 1)
			go func() {
				_, err := docs.Get(ctx, connect.NewRequest(&rampartv1.GetRequest{Collection: "gate", Id: "g"}))
				errc <- err
			}()
			<-fx.docs.started
			c.Close()
			for stream.Receive() {
			}
			if code := connect.CodeOf(stream.Err()); code != connect.CodeUnavailable {
				t.Errorf("stream on a closed connection: %v", stream.Err())
			}
			if err := <-errc; connect.CodeOf(err) != connect.CodeUnavailable {
				t.Errorf("call on a closed connection: %v", err)
			}
			<-fx.docs.ended
			if _, err := c.Call(ctx, getMethod, "", 0, nil); connect.CodeOf(err) != connect.CodeUnavailable {
				t.Errorf("call after Close: %v", err)
			}
		})
	}
}

package envelope

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// eventually waits for cond, which another goroutine makes true.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 10000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func TestShutdownWaitsForRequests(t *testing.T) {
	fx := newFixture(t, "unix", Options{})
	r := fx.raw(t)
	r.send(gated(t, "hold", 0), false)
	<-fx.docs.started
	c := onlyConn(t, fx.srv)

	done := make(chan error, 1)
	go func() { done <- fx.srv.Shutdown(testContext(t)) }()
	eventually(t, "the connection drains", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.draining
	})

	r.send(&rampartv1.Envelope{Id: "late", Method: getMethod}, false)
	if env := mustRecv(t, r); env.Id != "late" || env.Error.GetCode() != "unavailable" {
		t.Errorf("a request during shutdown answered %v", env)
	}
	if nc, err := net.Dial("unix", fx.path); err == nil {
		nc.Close()
		t.Error("the listener still accepts during shutdown")
	}
	fx.docs.release()
	got, err := recvUntilClosed(t, r)
	if len(got) != 1 || got[0].Id != "hold" || got[0].Error != nil {
		t.Errorf("in-flight request answered %v, then %v", got, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			r := fx.raw(t)
			// A unary call held until its context ends: streams end at once
			// anyway.
			r.send(gated(t, "b", 0), false)
			<-fx.docs.started
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := fx.srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Shutdown past its deadline = %v", err)
			}
			if _, err := recvUntilClosed(t, r); isTimeout(err) {
				t.Error("the connection stayed open")
			}
		})
	}
}

// TestShutdownEndsStreams: a watch never finishes by itself, so shutdown
// ends it with an error reply instead of waiting out its deadline.
func TestShutdownEndsStreams(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			fx := newFixture(t, tr, Options{})
			r := fx.raw(t)
			r.send(endless(t, "w"), false)
			for range 3 {
				mustRecv(t, r)
			}
			if err := fx.srv.Shutdown(testContext(t)); err != nil {
				t.Errorf("Shutdown = %v", err)
			}
			got, _ := recvUntilClosed(t, r)
			var end *rampartv1.Envelope
			for _, env := range got {
				if env.Id == "w" && env.End {
					end = env
				}
			}
			if end == nil || end.Error == nil {
				t.Errorf("the stream ended with %v (after %d frames), want an end reply with an error", end, len(got))
			}
		})
	}
}

func TestServeAfterShutdown(t *testing.T) {
	srv := New(testHandler(newFakeDocs()), Options{})
	ln, err := ListenUnix(shortSocketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	eventually(t, "Serve starts", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.listeners) == 1
	})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	if err := srv.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v", err)
	}
	rec := httptest.NewRecorder()
	srv.WebSocket().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, WebSocketPath, nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("WebSocket after Shutdown = %d", rec.Code)
	}
}

// TestIdleTimeout runs on a fake clock: an idle connection closes after
// IdleTimeout, while traffic or a request in flight keeps it open.
func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		docs := newFakeDocs()
		srv := New(testHandler(docs), Options{IdleTimeout: time.Minute})
		client, server := net.Pipe()
		defer client.Close()
		srv.begin()
		go srv.serveStream(server, "pipe")
		r := &streamRaw{t: t, nc: client}

		time.Sleep(50 * time.Second)
		r.send(&rampartv1.Envelope{Id: "1", Method: getMethod}, false)
		mustRecv(t, r)
		time.Sleep(50 * time.Second) // 100 s in, 50 s since the last frame
		r.send(endless(t, "w"), false)
		for range 3 {
			mustRecv(t, r)
		}
		time.Sleep(10 * time.Minute) // silent, but a stream is open
		r.send(&rampartv1.Envelope{Id: "c", Method: MethodCancel, Payload: []byte("w")}, false)
		recvEnds(t, r, "w", "c")
		<-docs.ended

		time.Sleep(2 * time.Minute)
		if got, err := recvUntilClosed(t, r); len(got) != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("idle connection: %v, %v", got, err)
		}
		synctest.Wait()
	})
}

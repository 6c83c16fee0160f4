package envelope

import (
	"fmt"
	"slices"
	"testing"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// gated is a request the fake holds until its gate opens.
func gated(t testing.TB, id string, priority int32) *rampartv1.Envelope {
	return &rampartv1.Envelope{Id: id, Method: getMethod, Priority: priority,
		Payload: marshal(t, &rampartv1.GetRequest{Collection: "gate", Id: id})}
}

// sync sends an Authenticate and waits for its answer: the server reads
// frames in order, so every frame before it has been admitted.
func syncFrames(t testing.TB, r raw) {
	t.Helper()
	r.send(&rampartv1.Envelope{Id: "sync", Method: MethodAuthenticate}, false)
	if env := mustRecv(t, r); env.Id != "sync" {
		t.Fatalf("expected the sync answer first, got %v", env)
	}
}

// onlyConn returns the server's single connection.
func onlyConn(t testing.TB, s *Server) *conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Fatalf("%d connections, want 1", len(s.conns))
	}
	for c := range s.conns {
		return c
	}
	return nil
}

func TestInFlightLimit(t *testing.T) {
	fx := newFixture(t, "unix", Options{MaxInFlight: 3, MaxQueued: 100})
	r := fx.raw(t)
	for i := range 10 {
		r.send(gated(t, fmt.Sprint(i), 0), false)
	}
	syncFrames(t, r)
	for range 3 {
		<-fx.docs.started
	}
	c := onlyConn(t, fx.srv)
	c.mu.Lock()
	running, queued := c.running, c.queue.Len()
	c.mu.Unlock()
	if running != 3 || queued != 7 {
		t.Fatalf("%d running and %d queued, want 3 and 7", running, queued)
	}
	fx.docs.release()
	seen := map[string]bool{}
	for range 10 {
		env := mustRecv(t, r)
		if env.Error != nil || seen[env.Id] {
			t.Fatalf("reply %v (seen before: %v)", env, seen[env.Id])
		}
		seen[env.Id] = true
	}
}

// TestPriorityOrder queues requests behind a busy slot: they must start
// highest priority first, in arrival order within a priority.
func TestPriorityOrder(t *testing.T) {
	fx := newFixture(t, "unix", Options{MaxInFlight: 1, MaxQueued: 10})
	r := fx.raw(t)
	r.send(gated(t, "hold", 0), false)
	if id := <-fx.docs.started; id != "hold" {
		t.Fatalf("started %s", id)
	}
	queued := []struct {
		id string
		p  int32
	}{{"p1", 1}, {"p5a", 5}, {"p0", 0}, {"n2", -2}, {"p5b", 5}, {"p3", 3}}
	for _, q := range queued {
		r.send(gated(t, q.id, q.p), false)
	}
	syncFrames(t, r)
	fx.docs.release()
	var order []string
	for range queued {
		order = append(order, <-fx.docs.started)
	}
	if want := []string{"p5a", "p5b", "p3", "p1", "p0", "n2"}; !slices.Equal(order, want) {
		t.Errorf("started %v, want %v", order, want)
	}
	for range len(queued) + 1 {
		if env := mustRecv(t, r); env.Error != nil {
			t.Errorf("reply %v", env)
		}
	}
}

func TestQueueFull(t *testing.T) {
	fx := newFixture(t, "unix", Options{MaxInFlight: 1, MaxQueued: 2})
	r := fx.raw(t)
	for _, id := range []string{"hold", "q1", "q2", "over"} {
		r.send(gated(t, id, 0), false)
	}
	env := mustRecv(t, r)
	if env.Id != "over" || env.Error.GetCode() != "resource_exhausted" || !env.End {
		t.Fatalf("first reply = %v, want resource_exhausted for the request over the queue", env)
	}
	fx.docs.release()
	for range 3 {
		if env := mustRecv(t, r); env.Error != nil {
			t.Errorf("reply %v", env)
		}
	}
}

// TestPipelined sends 1000 requests without waiting: each must be
// answered exactly once, and with room in the queue, answered well.
func TestPipelined(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		exhausted bool // whether resource_exhausted answers are allowed
	}{
		{"roomy queue", Options{MaxQueued: 1000}, false},
		{"default queue", Options{}, true},
	} {
		for _, tr := range []string{"unix", "ws"} {
			t.Run(tc.name+"/"+tr, func(t *testing.T) {
				fx := newFixture(t, tr, tc.opts)
				r := fx.raw(t)
				const n = 1000
				go func() {
					for i := range n {
						r.send(&rampartv1.Envelope{Id: fmt.Sprint(i), Method: getMethod,
							Payload: marshal(t, &rampartv1.GetRequest{Collection: "c", Id: fmt.Sprint(i)})}, false)
					}
				}()
				seen := make(map[string]bool, n)
				for range n {
					env := mustRecv(t, r)
					if seen[env.Id] || !env.End {
						t.Fatalf("reply %v is a second answer or not final", env)
					}
					seen[env.Id] = true
					if env.Error != nil && !(tc.exhausted && env.Error.Code == "resource_exhausted") {
						t.Fatalf("reply %v", env)
					}
				}
			})
		}
	}
}

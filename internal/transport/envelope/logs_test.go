package envelope

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// lockedBuffer is a log sink the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsHoldNoTokens drives credentials through every path that logs,
// at debug level, and looks for them in the log.
func TestLogsHoldNoTokens(t *testing.T) {
	const secret = "tok-4f9a1c-do-not-log"
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fx := newFixture(t, "ws", Options{Log: log, MaxFrame: 4096})

	r := fx.raw(t)
	r.send(&rampartv1.Envelope{Id: "a", Method: MethodAuthenticate, Token: secret}, false)
	r.send(&rampartv1.Envelope{Id: "g", Method: getMethod, Token: secret}, false)
	r.send(&rampartv1.Envelope{Id: "p", Method: getMethod, Token: secret,
		Payload: marshal(t, &rampartv1.GetRequest{Collection: "panic"})}, false)
	r.send(&rampartv1.Envelope{Id: "u", Method: "/x.Y/" + secret, Token: secret}, false)
	for range 4 {
		mustRecv(t, r)
	}
	r.sendBytes([]byte(`{"id":"1","token":"`+secret+`","bogus":1}`), true)
	recvUntilClosed(t, r)

	r = fx.raw(t)
	r.sendBytes([]byte(`{"id":"1","token":"`+secret+strings.Repeat("x", 5000)+`"}`), true)
	recvUntilClosed(t, r)

	if err := fx.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	if !strings.Contains(got, "panicked") || !strings.Contains(got, "bad frame") {
		t.Fatalf("the paths that log did not run; log:\n%s", got)
	}
	if strings.Contains(got, secret) {
		t.Errorf("a token reached the log:\n%s", got)
	}
}

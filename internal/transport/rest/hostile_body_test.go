package rest_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart.dev/rampart/internal/errs"
)

const hugeBody = 100 << 20

// endless hands out n bytes of a JSON-looking body without holding them,
// counting what the client actually took.
type endless struct {
	left   int64
	sent   atomic.Int64
	once   sync.Once
	closed chan struct{}
}

func newEndless(n int64) *endless { return &endless{left: n, closed: make(chan struct{})} }

func (e *endless) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > e.left {
		n = e.left
	}
	for i := range p[:n] {
		p[i] = ' '
	}
	if e.sent.Load() == 0 && n > 0 {
		p[0] = '['
	}
	e.left -= n
	e.sent.Add(n)
	return int(n), nil
}

func (e *endless) Close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}

// bodySize sends 100 MB bodies, with and without Content-Length, over
// HTTP/1.1 (chunked when the length is unknown) and HTTP/2. The answer must
// be 413 too_large, arrive quickly, and come after far less than the whole
// body was sent.
func (f *fixture) bodySize(t *testing.T) {
	h1 := f.h.TLSConfig().Clone()
	h1.NextProtos = []string{"http/1.1"}
	clients := []struct {
		name string
		c    *http.Client
	}{
		{"HTTP/1.1", &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: h1, TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}},
		{"HTTP/2", f.hc},
	}
	targets := []struct{ name, as, path string }{
		{"insert", "user", docsPath},
		{"login", "", "/api/v1/auth/login"},
	}
	max := int64(f.h.Cfg.Limits.MaxBody)
	for _, cl := range clients {
		for _, tg := range targets {
			for _, known := range []bool{true, false} {
				name := cl.name + "/" + tg.name + "/unknown length"
				if known {
					name = cl.name + "/" + tg.name + "/with Content-Length"
				}
				t.Run(name, func(t *testing.T) {
					before := f.state(t)
					body := newEndless(hugeBody)
					req, err := http.NewRequest("POST", f.h.PublicURL+tg.path, body)
					if err != nil {
						t.Fatal(err)
					}
					req.ContentLength = -1
					if known {
						req.ContentLength = hugeBody
					}
					req.Header.Set("Content-Type", "application/json")
					if tg.as == "user" {
						req.Header.Set("Authorization", "Bearer "+f.user)
					}
					start := time.Now()
					resp, err := cl.c.Do(req)
					if err != nil {
						t.Fatalf("after %d bytes: %v", body.sent.Load(), err)
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					took := time.Since(start)
					if name := cl.name; name == "HTTP/1.1" && resp.ProtoMajor != 1 || name == "HTTP/2" && resp.ProtoMajor != 2 {
						t.Fatalf("spoke %s", resp.Proto)
					}
					r := result{status: resp.StatusCode, header: resp.Header, body: raw}
					var env struct{ Error json.RawMessage }
					json.Unmarshal(raw, &env)
					json.Unmarshal(env.Error, &r.err)
					checkAnswer(t, scenario{status: 413, code: errs.TooLarge}, r)
					// The transport closes the body once it stops sending.
					select {
					case <-body.closed:
					case <-time.After(10 * time.Second):
						t.Fatalf("client still sending after %d bytes", body.sent.Load())
					}
					sent := body.sent.Load()
					// Without a length the server must read up to the limit
					// to know; the rest in flight sits in socket buffers.
					limit := int64(hugeBody / 2)
					if known {
						limit = max // refused on the header alone
					}
					if sent > limit {
						t.Errorf("server took %d bytes of %d before refusing (limit %d)", sent, hugeBody, limit)
					}
					if took > 10*time.Second {
						t.Errorf("refusal took %v", took)
					}
					t.Logf("413 after %d bytes in %v", sent, took.Round(time.Millisecond))
					before.diff(t, f.state(t))
				})
			}
		}
	}
}

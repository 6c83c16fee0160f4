package envelope

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestWebSocketOrigin checks the browser origin policy: the server's own
// origin and configured patterns pass, any other is refused, and clients
// that send no Origin are not browsers and pass.
func TestWebSocketOrigin(t *testing.T) {
	srv := New(testHandler(newFakeDocs()), Options{OriginPatterns: []string{"app.example"}})
	ts := httptest.NewUnstartedServer(srv.WebSocket())
	ts.StartTLS()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	host := ts.Listener.Addr().String()

	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"https://" + host, true},
		{"https://app.example", true},
		{"https://evil.example", false},
		{"https://app.example.evil.example", false},
		{"null", false},
	} {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		c, resp, err := websocket.Dial(testContext(t), "wss://"+host, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: h})
		if tc.ok != (err == nil) {
			t.Errorf("origin %q: err %v, want allowed=%v", tc.origin, err, tc.ok)
		}
		if err == nil {
			c.Close(websocket.StatusNormalClosure, "")
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q refused with %v, want 403", tc.origin, resp)
		}
	}
}

func TestWebSocketOnlyGET(t *testing.T) {
	srv := New(testHandler(newFakeDocs()), Options{})
	rec := httptest.NewRecorder()
	srv.WebSocket().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, WebSocketPath, strings.NewReader("x")))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", rec.Code)
	}
}

func TestDialRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://example.com", "unix://host/path", "unix://", "tcp://127.0.0.1:1", "::"} {
		if c, err := Dial(testContext(t), u, nil); err == nil {
			c.Close()
			t.Errorf("Dial(%q) succeeded", u)
		}
	}
}

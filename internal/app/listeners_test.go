package app_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// TestClientCertificates: each listener asks for certificates from its own
// CA, and refuses a client with none or with one from another CA.
func TestClientCertificates(t *testing.T) {
	pubCA, admCA := newTestCA(t, "public-clients"), newTestCA(t, "admin-clients")
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		c.TLS.ClientCAFile, c.TLS.AdminClientCAFile = pubCA.file, admCA.file
	}})
	pubCert, admCert := pubCA.client(t, "app"), admCA.client(t, "operator")
	for _, tc := range []struct {
		name, url string
		cert      *tls.Certificate
		served    bool
	}{
		{"public, no certificate", h.PublicURL, nil, false},
		{"public, admin CA", h.PublicURL, &admCert, false},
		{"public, public CA", h.PublicURL, &pubCert, true},
		{"admin, no certificate", h.AdminURL, nil, false},
		{"admin, public CA", h.AdminURL, &pubCert, false},
		{"admin, admin CA", h.AdminURL, &admCert, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc_ := h.TLSConfig()
			if tc.cert != nil {
				tc_.Certificates = []tls.Certificate{*tc.cert}
			}
			hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc_, DisableKeepAlives: true}}
			res, err := hc.Get(tc.url + "/healthz")
			if tc.served {
				if err != nil || res.StatusCode != http.StatusOK {
					t.Fatalf("want 200, got %v %v", res, err)
				}
				res.Body.Close()
				return
			}
			if err == nil {
				res.Body.Close()
				t.Fatalf("served (%d) without an acceptable certificate", res.StatusCode)
			}
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "remote error" || !strings.Contains(err.Error(), "tls:") {
				t.Fatalf("want the server's TLS alert, got %v", err)
			}
		})
	}
}

// TestOnlyAdminListenerAsksForCertificates: a CA for the admin listener
// leaves the public one open to clients without certificates.
func TestOnlyAdminListenerAsksForCertificates(t *testing.T) {
	admCA := newTestCA(t, "admin-clients")
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) { c.TLS.AdminClientCAFile = admCA.file }})
	if res := h.Anonymous().Public("GET", "/healthz", nil); res.Status != http.StatusOK {
		t.Fatalf("public listener: %d", res.Status)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: h.TLSConfig()}}
	if res, err := hc.Get(h.AdminURL + "/healthz"); err == nil {
		res.Body.Close()
		t.Fatalf("admin listener served %d without a certificate", res.StatusCode)
	}
}

// TestSecurityHeadersEverywhere: REST and RPC answers on both listeners
// carry the security headers; credentials make any answer uncacheable.
func TestSecurityHeadersEverywhere(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	h.CreateUser("alice", "alice-password-1", false)
	alice := h.Login("alice", "alice-password-1")
	anon := h.Anonymous()
	for _, tc := range []struct {
		name   string
		c      *apptest.Client
		url    string
		method string
	}{
		{"public REST", anon, h.PublicURL + "/healthz", "GET"},
		{"admin REST", anon, h.AdminURL + "/healthz", "GET"},
		{"public unknown path", anon, h.PublicURL + "/nowhere", "GET"},
		{"public RPC", anon, h.PublicURL + "/rampart.v1.DocumentService/Get", "POST"},
		{"admin RPC", anon, h.AdminURL + "/rampart.v1.AdminService/ListUsers", "POST"},
		{"discovery with a credential", alice, h.PublicURL + "/.well-known/jwks.json", "GET"},
		{"RPC with a credential", alice, h.PublicURL + "/rampart.v1.AuthService/Me", "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.c.Do(tc.method, tc.url, nil, nil)
			for k, want := range map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if tc.c.Token != "" && res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("answer to a request with a credential has Cache-Control %q", res.Header.Get("Cache-Control"))
			}
		})
	}
}

// TestCORSOnPublicOnly: browsers on an allowed origin may call the public
// listener; the admin listener answers no cross-origin request.
func TestCORSOnPublicOnly(t *testing.T) {
	const origin = "https://app.example"
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) { c.HTTP.CORSOrigins = []string{origin} }})
	preflight := map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
	anon := h.Anonymous()
	res := anon.Do("OPTIONS", h.PublicURL+"/rampart.v1.DocumentService/Query", nil, preflight)
	if res.Status != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("public preflight: %d, allow-origin %q", res.Status, res.Header.Get("Access-Control-Allow-Origin"))
	}
	res = anon.Do("GET", h.PublicURL+"/healthz", nil, map[string]string{"Origin": origin})
	if res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("public GET from an allowed origin: allow-origin %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	res = anon.Do("OPTIONS", h.AdminURL+"/api/v1/users", nil, preflight)
	if res.Header.Get("Access-Control-Allow-Origin") != "" || res.Status == http.StatusNoContent {
		t.Fatalf("admin preflight: %d, allow-origin %q; want no CORS", res.Status, res.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestOpenAPIOnBothListeners: the document needs no credential.
func TestOpenAPIOnBothListeners(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	for _, base := range []string{h.PublicURL, h.AdminURL} {
		res := h.Anonymous().Do("GET", base+"/api/v1/openapi.json", nil, nil)
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", base, res.Status, res.Body)
		}
		res.JSON(&doc)
		if doc.OpenAPI != "3.1.0" || doc.Paths["/api/v1/users/{id}"] == nil || doc.Paths["/api/v1/me"] == nil {
			t.Fatalf("%s: document %.200s", base, res.Body)
		}
	}
}

// TestPlaintextSpeaksHTTP2: with insecure_http the listeners take HTTP/2
// with prior knowledge (h2c), as gRPC clients send it, and HTTP/1.1.
func TestPlaintextSpeaksHTTP2(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) { c.Listen.InsecureHTTP = true }})
	pub, _ := h.Node.Addrs()
	for _, proto := range []int{1, 2} {
		p := new(http.Protocols)
		p.SetHTTP1(proto == 1)
		p.SetUnencryptedHTTP2(proto == 2)
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Protocols: p}}
		res, err := hc.Get("http://" + pub + "/healthz")
		if err != nil {
			t.Fatalf("HTTP/%d: %v", proto, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.ProtoMajor != proto {
			t.Fatalf("HTTP/%d: status %d over %s", proto, res.StatusCode, res.Proto)
		}
		if res.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS sent over plaintext")
		}
	}
}

// shortTimeout is the read and write timeout of the nodes startShortTimeouts
// runs: a stream must outlive several.
const shortTimeout = 300 * time.Millisecond

func startShortTimeouts(t *testing.T) *apptest.Harness {
	return apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		c.HTTP.WriteTimeout, c.HTTP.ReadTimeout = config.Duration(shortTimeout), config.Duration(shortTimeout)
	}})
}

// protoTransport reaches h over HTTP/proto, 1 or 2.
func protoTransport(h *apptest.Harness, proto int) *http.Transport {
	tr := &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: proto == 2}
	if proto == 1 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	return tr
}

// TestWatchOutlivesTimeouts: an event stream stays open past the
// listener's read and write timeouts, over HTTP/1.1 and HTTP/2, and still
// delivers.
func TestWatchOutlivesTimeouts(t *testing.T) {
	h := startShortTimeouts(t)
	h.CreateUser("alice", "alice-password-1", false)
	alice := h.Login("alice", "alice-password-1")
	for _, proto := range []int{1, 2} {
		tr := protoTransport(h, proto)
		req, _ := http.NewRequest("GET", h.PublicURL+"/api/v1/collections/w/watch", nil)
		req.Header.Set("Authorization", "Bearer "+alice.Token)
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || res.ProtoMajor != proto {
			t.Fatalf("watch: %d over %s, want 200 over HTTP/%d", res.StatusCode, res.Proto, proto)
		}
		lines := make(chan string, 16)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		time.Sleep(5 * shortTimeout)
		id := map[int]string{1: "h1", 2: "h2"}[proto]
		if r := alice.Public("POST", "/api/v1/collections/w/documents", map[string]any{"_id": id}); r.Status != http.StatusCreated {
			t.Fatalf("insert: %d %s", r.Status, r.Body)
		}
		waitForLine(t, lines, `"id":"`+id+`"`, proto)
		res.Body.Close()
		tr.CloseIdleConnections()
	}
}

func waitForLine(t *testing.T, lines <-chan string, want string, proto int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("HTTP/%d: the stream ended before %s arrived", proto, want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("HTTP/%d: no event with %s", proto, want)
		}
	}
}

// TestRPCWatchOutlivesTimeouts: the RPC watch, over gRPC on HTTP/2 and the
// Connect protocol on HTTP/1.1, outlives the listener's read and write
// timeouts as the REST one does.
func TestRPCWatchOutlivesTimeouts(t *testing.T) {
	h := startShortTimeouts(t)
	h.CreateUser("alice", "alice-password-1", false)
	alice := h.Login("alice", "alice-password-1")
	for _, proto := range []int{1, 2} {
		tr := protoTransport(h, proto)
		var opts []connect.ClientOption
		if proto == 2 {
			opts = append(opts, connect.WithGRPC())
		}
		docs := rampartv1connect.NewDocumentServiceClient(&http.Client{Transport: tr}, h.PublicURL, opts...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		req := connect.NewRequest(&rampartv1.WatchRequest{Collection: "rw"})
		req.Header().Set("Authorization", "Bearer "+alice.Token)
		// The answer's headers come with the first event, so the insert
		// that makes it runs meanwhile, well past both timeouts.
		id := map[int]string{1: "h1", 2: "h2"}[proto]
		inserted := make(chan int, 1)
		go func() {
			time.Sleep(5 * shortTimeout)
			inserted <- alice.Public("POST", "/api/v1/collections/rw/documents", map[string]any{"_id": id}).Status
		}()
		stream, err := docs.Watch(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if status := <-inserted; status != http.StatusCreated {
			t.Fatalf("insert: %d", status)
		}
		for stream.Receive() && stream.Msg().GetId() != id {
		}
		if stream.Msg().GetId() != id {
			t.Fatalf("HTTP/%d: the stream ended before %s arrived: %v", proto, id, stream.Err())
		}
		stream.Close()
		cancel()
		tr.CloseIdleConnections()
	}
}

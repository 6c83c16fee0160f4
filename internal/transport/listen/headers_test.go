package listen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func serve(h http.Handler, tls bool, header map[string]string) *http.Response {
	req := httptest.NewRequest("GET", "/", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Headers(h, tls).ServeHTTP(rec, req)
	return rec.Result()
}

func TestHeadersEveryResponse(t *testing.T) {
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	})
	for _, tls := range []bool{true, false} {
		res := serve(plain, tls, nil)
		for k, v := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": strictCSP,
		} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("tls=%v: %s = %q, want %q", tls, k, got, v)
			}
		}
		if got, want := res.Header.Get("Strict-Transport-Security") != "", tls; got != want {
			t.Errorf("tls=%v: HSTS present = %v", tls, got)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "" {
			t.Errorf("tls=%v: anonymous answer got Cache-Control %q from the wrapper", tls, cc)
		}
	}
}

// TestHeadersNoStoreWithCredential: no handler can make an answer to a
// request with a credential cacheable.
func TestHeadersNoStoreWithCredential(t *testing.T) {
	cacheable := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write([]byte("x"))
	})
	for _, h := range []map[string]string{
		{"Authorization": "Bearer t"},
		{"X-API-Key": "rk_a_b"},
		{"Cookie": "s=1"},
	} {
		if got := serve(cacheable, true, h).Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%v: Cache-Control %q, want no-store", h, got)
		}
	}
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := serve(silent, true, map[string]string{"Authorization": "Bearer t"}).Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("an answer with no body: Cache-Control %q, want no-store", got)
	}
	if got := serve(cacheable, true, nil).Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("anonymous: Cache-Control %q, want the handler's", got)
	}
}

// TestHeadersHTMLStaysUnframed: an HTML answer keeps a policy that forbids
// framing, whatever the handler set; a stricter one it set is kept.
func TestHeadersHTMLStaysUnframed(t *testing.T) {
	page := func(ct, csp string, explicit bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.Header().Set("Content-Security-Policy", csp)
			if explicit {
				w.WriteHeader(http.StatusOK)
			}
			io.WriteString(w, "<!doctype html><p>hi")
		})
	}
	own := "default-src 'self'; frame-ancestors 'none'"
	for _, tc := range []struct {
		ct, csp, want string
		explicit      bool
	}{
		{"text/html; charset=utf-8", "default-src *", strictCSP, false},
		{"text/html", "", strictCSP, true},
		{"", "script-src *", strictCSP, true}, // sniffed later, may be HTML
		{"text/html", own, own, false},
		{"application/json", "default-src *", "default-src *", false},
		{" TEXT/HTML ;charset", "default-src *", strictCSP, false}, // malformed parameters: still a page
		{"Application/XHTML+XML", "default-src *", strictCSP, false},
		{"text/htmlx", "default-src *", "default-src *", false},
	} {
		if got := serve(page(tc.ct, tc.csp, tc.explicit), false, nil).Header.Get("Content-Security-Policy"); got != tc.want {
			t.Errorf("type %q, handler policy %q: got %q, want %q", tc.ct, tc.csp, got, tc.want)
		}
	}
}

// TestHeadersKeepStreaming: the wrapped writer still flushes and reaches
// the connection's deadlines through http.ResponseController.
func TestHeadersKeepStreaming(t *testing.T) {
	errc := make(chan error, 2)
	srv := httptest.NewServer(Headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errc <- http.NewResponseController(w).SetWriteDeadline(time.Time{})
		_, ok := w.(http.Flusher)
		if !ok {
			errc <- http.ErrNotSupported
			return
		}
		io.WriteString(w, "one\n")
		errc <- http.NewResponseController(w).Flush()
	}), false))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatalf("through Headers: %v", err)
		}
	}
}

func TestStreamingLiftsDeadlinesAndStops(t *testing.T) {
	stop, end := context.WithCancel(context.Background())
	ended := make(chan string, 2)
	h := Streaming(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			ended <- r.URL.Path
		case <-time.After(500 * time.Millisecond):
			// Outlived the server's write timeout of 100 ms.
			io.WriteString(w, "late")
			ended <- r.URL.Path + " outlived"
		}
	}), func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/stream") }, stop)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/stream/a")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if got := <-ended; got != "/stream/a outlived" || string(body) != "late" {
		t.Fatalf("stream: %q, body %q; want it to outlive the write timeout", got, body)
	}

	res, err = srv.Client().Get(srv.URL + "/stream/b")
	if err != nil {
		t.Fatal(err)
	}
	end()
	if got := <-ended; got != "/stream/b" {
		t.Fatalf("after stop the stream ended as %q", got)
	}
	res.Body.Close()
}

// TestHeadersSharedValues: the security header values are shared by every
// response, so a handler that adds to one must not change the next
// response's.
func TestHeadersSharedValues(t *testing.T) {
	h := Headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
		w.Header().Add("Cache-Control", "private")
	}), true)
	for range 2 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer x")
		h.ServeHTTP(rec, req)
		if got := rec.Header().Values("X-Frame-Options"); len(got) != 2 || got[0] != "DENY" {
			t.Fatalf("X-Frame-Options %v, want DENY then the handler's", got)
		}
	}
	if denyValue[0] != "DENY" || len(denyValue) != 1 || len(noStoreValue) != 1 {
		t.Fatalf("shared values changed: %v %v", denyValue, noStoreValue)
	}
}

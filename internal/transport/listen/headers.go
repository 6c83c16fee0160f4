package listen

import (
	"bufio"
	"net"
	"net/http"
	"strings"
)

// Security headers. The policy forbids everything: API answers are data, not
// pages, and must never run script, load anything or be framed.
const (
	hsts      = "max-age=63072000; includeSubDomains"
	strictCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// The headers' values, shared by every response rather than allocated for
// each: Header.Set and Add replace or grow a value (the capacity is the
// length, so growing copies), and nothing writes into one in place.
var (
	nosniffValue    = fixed("nosniff")
	noReferrerValue = fixed("no-referrer")
	denyValue       = fixed("DENY")
	strictCSPValue  = fixed(strictCSP)
	hstsValue       = fixed(hsts)
	noStoreValue    = fixed("no-store")
)

func fixed(v string) []string { return []string{v}[:1:1] }

// Headers wraps next so every response carries the security headers:
// nosniff, no referrer, no framing, a deny-all Content-Security-Policy,
// HSTS when tls is set, and Cache-Control: no-store on every answer to a
// request that carries a credential. A handler may set a policy of its
// own, but an HTML answer always keeps frame-ancestors 'none', and the
// no-store rule cannot be overridden.
func Headers(next http.Handler, tls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = nosniffValue
		h["Referrer-Policy"] = noReferrerValue
		h["X-Frame-Options"] = denyValue
		h["Content-Security-Policy"] = strictCSPValue
		if tls {
			h["Strict-Transport-Security"] = hstsValue
		}
		private := hasCredential(r)
		if private {
			// Set now too, for answers that never write a header or body.
			h["Cache-Control"] = noStoreValue
		}
		next.ServeHTTP(&guard{ResponseWriter: w, private: private}, r)
	})
}

// hasCredential reports whether r carries anything that names a caller, so
// no cache may keep the answer.
func hasCredential(r *http.Request) bool {
	h := r.Header
	return h.Get("Authorization") != "" || h.Get("X-API-Key") != "" || h.Get("Cookie") != ""
}

// guard applies the rules that depend on what the handler chose, just
// before the header is sent. It keeps Flush, Hijack and the
// ResponseController methods of the writer it wraps.
type guard struct {
	http.ResponseWriter
	private bool
	sent    bool
}

var (
	_ http.Flusher  = (*guard)(nil)
	_ http.Hijacker = (*guard)(nil)
)

func (g *guard) check() {
	if g.sent {
		return
	}
	g.sent = true
	h := g.Header()
	if g.private {
		h["Cache-Control"] = noStoreValue
	}
	// No type yet means net/http will sniff one, which may be HTML.
	if ct := h.Get("Content-Type"); (ct == "" || isHTML(ct)) && !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		h["Content-Security-Policy"] = strictCSPValue
	}
}

// isHTML reports whether a browser would take ct for a page. It reads only
// the media type, so a type with malformed parameters still counts, and
// costs no allocation on every answer as mime.ParseMediaType would.
func isHTML(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "text/html") || strings.EqualFold(mt, "application/xhtml+xml")
}

func (g *guard) WriteHeader(code int) {
	if code >= 200 {
		g.check()
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *guard) Write(p []byte) (int, error) {
	g.check()
	return g.ResponseWriter.Write(p)
}

func (g *guard) Flush() {
	g.check()
	_ = http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *guard) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	g.check()
	return http.NewResponseController(g.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the writer's deadlines.
func (g *guard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

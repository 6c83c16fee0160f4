package rest

import (
	"net/http"
	"net/url"
	"strings"
)

// What a cross-origin caller may send and read: the REST headers and those
// of the Connect, gRPC and gRPC-Web protocols.
const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, X-API-Key, Content-Type, If-Match, Last-Event-ID, " +
		"Connect-Protocol-Version, Connect-Timeout-Ms, Grpc-Timeout, X-Grpc-Web, X-User-Agent"
	corsExposed = "Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin, ETag, Retry-After, " +
		"X-Request-Id, WWW-Authenticate"
	// corsMaxAge is how long a browser may reuse a preflight answer, in
	// seconds; browsers cap it at two hours anyway.
	corsMaxAge = "7200"
)

// CORS lets browsers on the allowed origins call next. A preflight from an
// allowed origin is answered here; any other request goes on to next, with
// the CORS headers only when its origin is allowed. Credentials travel in
// headers, never cookies, so Access-Control-Allow-Credentials is never sent.
// With no origins every cross-origin call stays refused by the browser.
func CORS(next http.Handler, origins []string) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if n := normalOrigin(o); n != "" {
			allowed[n] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The answer depends on Origin even when it carries no CORS header,
		// so no cache may hand it to another origin.
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !allowed[normalOrigin(origin)] {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}

// normalOrigin is an origin as browsers send it: scheme and host in lower
// case, without the scheme's default port. Anything unparsable maps to ""
// (never allowed).
func normalOrigin(o string) string {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	return scheme + "://" + host
}

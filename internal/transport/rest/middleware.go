package rest

import (
	"context"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"rampart.dev/rampart/internal/errs"
)

// wrap adds what every REST response needs: a request id and a recovered
// panic turned into a logged internal error. The security headers are the
// listener's (listen.Headers), since RPC answers need them too.
func (a *API) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := errs.NewID()
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, id))
		w.Header().Set("X-Request-Id", id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.writeError(w, r, errs.Panic(p))
			}
		}()
		if !canonical(r) {
			// The mux would answer with an HTML redirect to the cleaned
			// path; a path that needs cleaning names no endpoint.
			a.writeError(w, r, notFound(w, r))
			return
		}
		if !plainText(r.URL.Path) {
			// Path values go to the store as they are; PostgreSQL fails
			// on invalid UTF-8 and NUL instead of finding nothing.
			a.writeError(w, r, errs.E(errs.InvalidArgument, "the request path must be valid UTF-8 without control characters"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonical reports whether the mux would serve the path as it is, as
// opposed to redirecting: no "." or ".." segments and no empty ones.
func canonical(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return true // the mux leaves CONNECT paths alone
	}
	p := r.URL.EscapedPath()
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// plainText reports whether s is valid UTF-8 free of control characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotFound, "no such endpoint: %s %.128s", r.Method, r.URL.Path)
}

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := a.opt.Ready(r.Context()); err != nil {
		return errs.Wrap(err, errs.Unavailable, "not ready")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

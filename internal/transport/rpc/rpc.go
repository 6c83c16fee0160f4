package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/identity"
)

// Options configure the RPC surface.
type Options struct {
	MaxBody int64 // bytes of one message
	Ready   func(context.Context) error
	Audit   *audit.Log
	Log     *slog.Logger
}

// Server holds the RPC handlers of both listeners.
type Server struct {
	docs *docs.Service
	id   *identity.Service
	opt  Options
}

// New builds the RPC surface.
func New(d *docs.Service, id *identity.Service, opt Options) *Server {
	return &Server{docs: d, id: id, opt: opt}
}

// Public serves the public listener's services.
func (s *Server) Public() http.Handler { return http.NotFoundHandler() }

// Admin serves the admin listener's services.
func (s *Server) Admin() http.Handler { return http.NotFoundHandler() }

// Handles reports whether a request path belongs to the RPC protocols, which
// name procedures as /package.Service/Method.
func Handles(path string) bool {
	for _, p := range []string{"/rampart.v1.", "/grpc.health.v1.", "/grpc.reflection."} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Route sends RPC requests to rpc and everything else to rest.
func Route(rest, rpc http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Handles(r.URL.Path) {
			rpc.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}

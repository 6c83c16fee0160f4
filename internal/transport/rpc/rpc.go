package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/transport/guard"
)

// Options configure the RPC surface.
type Options struct {
	MaxBody  int64 // bytes of one request message
	MaxDepth int   // nesting of request messages and of JSON other than documents
	// MaxSend bounds one response message; a larger answer (a huge query
	// page) fails with resource_exhausted rather than exhausting a client.
	MaxSend int64
	// Ready reports whether the node can serve; health checks answer with it.
	Ready func(context.Context) error
	// Limits is the per-address bucket table of anonymous procedures. Hand
	// REST the same one so an address has one budget across both; nil
	// means no limit.
	Limits *guard.Limiter
	// Audit serves AdminService.ListAudit; nil answers unavailable.
	Audit *audit.Log
	Log   *slog.Logger
}

// Server holds the RPC handlers of both listeners.
type Server struct {
	docs *docs.Service
	id   *identity.Service
	opt  Options
	log  *slog.Logger
	// errors writes refusals made before a procedure runs in the
	// protocol the client speaks.
	errors *connect.ErrorWriter
}

// New builds the RPC surface.
func New(d *docs.Service, id *identity.Service, opt Options) *Server {
	if opt.MaxBody <= 0 {
		opt.MaxBody = 16 << 20
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 32
	}
	if opt.MaxSend <= 0 {
		opt.MaxSend = max(64<<20, 4*opt.MaxBody)
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Ready == nil {
		opt.Ready = func(context.Context) error { return nil }
	}
	return &Server{docs: d, id: id, opt: opt, log: opt.Log, errors: connect.NewErrorWriter()}
}

// Public serves the public listener's services: AuthService,
// DocumentService and APIKeyService, with health and reflection.
func (s *Server) Public() *Surface {
	return s.serve(s.authRoutes(), s.documentRoutes(), s.apiKeyRoutes(false))
}

// Admin serves the admin listener's services: AdminService and the API key
// procedures REST serves there (creating and listing any user's keys),
// with health and reflection. Every procedure but health and reflection
// needs an admin.
func (s *Server) Admin() *Surface {
	return s.serve(s.adminRoutes(), s.apiKeyRoutes(true))
}

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

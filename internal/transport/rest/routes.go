package rest

import (
	"net/http"
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// router registers endpoints on a mux and remembers their patterns, so the
// OpenAPI document can be checked against what is really served.
type router struct {
	mux      *http.ServeMux
	patterns []string
}

func newRouter() *router { return &router{mux: http.NewServeMux()} }

// handle registers one endpoint; pattern is "METHOD /path".
func (rt *router) handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	rt.patterns = append(rt.patterns, pattern)
}

// Public returns the handler of the public listener.
func (a *API) Public() http.Handler { return a.wrap(a.publicRoutes().mux) }

// Admin returns the handler of the admin listener; every endpoint on it
// needs an admin.
func (a *API) Admin() http.Handler { return a.wrap(a.adminRoutes().mux) }

func (a *API) publicRoutes() *router {
	rt := newRouter()
	a.common(rt)
	rt.handle("POST /api/v1/auth/login", a.open(a.login))
	rt.handle("POST /api/v1/auth/mfa", a.open(a.mfaLogin))
	rt.handle("POST /api/v1/auth/refresh", a.open(a.refresh))
	rt.handle("POST /api/v1/auth/register", a.open(a.register))
	rt.handle("POST /api/v1/auth/recover", a.open(a.recoverLogin))
	rt.handle("POST /api/v1/auth/logout", a.authed(enrolling, a.logout))
	rt.handle("GET /api/v1/auth/sessions", a.authed(enrolling, a.sessions))
	rt.handle("DELETE /api/v1/auth/sessions/{id}", a.authed(enrolling, a.revokeSession))
	rt.handle("GET /api/v1/me", a.authed(enrolling, a.me))
	rt.handle("PATCH /api/v1/me", a.authed(user, a.updateProfile))
	rt.handle("POST /api/v1/me/password", a.authed(user, a.changePassword))
	rt.handle("POST /api/v1/me/mfa/totp", a.authed(enrolling, a.enrolTOTP))
	rt.handle("POST /api/v1/me/mfa/totp/confirm", a.authed(enrolling, a.confirmTOTP))
	rt.handle("DELETE /api/v1/me/mfa/totp", a.authed(user, a.disableTOTP))
	rt.handle("POST /api/v1/me/mfa/recovery-codes", a.authed(user, a.regenerateRecoveryCodes))
	rt.handle("POST /api/v1/apikeys", a.authed(user, a.createAPIKey))
	rt.handle("GET /api/v1/apikeys", a.authed(user, a.listAPIKeys))
	rt.handle("DELETE /api/v1/apikeys/{id}", a.authed(user, a.revokeAPIKey))
	rt.handle("POST /api/v1/apikeys/{id}/rotate", a.authed(user, a.rotateAPIKey))
	rt.handle("GET /.well-known/jwks.json", a.open(a.jwks))
	rt.handle("GET /.well-known/openid-configuration", a.open(a.discovery))
	// The WebSocket transport authenticates each message (or the
	// connection) itself; opening one is anonymous and rate limited.
	rt.handle("GET /api/v1/ws", a.open(a.websocket))

	docs := "/api/v1/collections/{c}/documents"
	rt.handle("POST "+docs, a.authed(user, a.insert))
	rt.handle("GET "+docs+"/{id}", a.authed(user, a.get))
	rt.handle("PUT "+docs+"/{id}", a.authed(user, a.replace))
	rt.handle("PATCH "+docs+"/{id}", a.authed(user, a.patch))
	rt.handle("DELETE "+docs+"/{id}", a.authed(user, a.delete))
	rt.handle("GET "+docs+"/{id}/versions/{n}", a.authed(user, a.version))
	rt.handle("POST /api/v1/collections/{c}/query", a.authed(user, a.query))
	rt.handle("POST /api/v1/collections/{c}/count", a.authed(user, a.count))
	rt.handle("POST /api/v1/collections/{c}/distinct", a.authed(user, a.distinct))
	rt.handle("POST /api/v1/collections/{c}/aggregate", a.authed(user, a.aggregate))
	rt.handle("GET "+watchPath, a.authed(user, a.watch))
	return rt
}

func (a *API) adminRoutes() *router {
	rt := newRouter()
	a.common(rt)
	rt.handle("GET /api/v1/audit", a.authed(adminsOnly, a.listAudit))
	rt.handle("POST /api/v1/users", a.authed(adminsOnly, a.createUser))
	rt.handle("GET /api/v1/users", a.authed(adminsOnly, a.listUsers))
	rt.handle("GET /api/v1/users/{id}", a.authed(adminsOnly, a.getUser))
	rt.handle("PATCH /api/v1/users/{id}", a.authed(adminsOnly, a.updateUser))
	rt.handle("DELETE /api/v1/users/{id}", a.authed(adminsOnly, a.deleteUser))
	rt.handle("POST /api/v1/users/{id}/unlock", a.authed(adminsOnly, a.unlockUser))
	rt.handle("DELETE /api/v1/users/{id}/mfa", a.authed(adminsOnly, a.resetMFA))
	rt.handle("POST /api/v1/users/{id}/apikeys", a.authed(adminsOnly, a.createUserAPIKey))
	rt.handle("GET /api/v1/users/{id}/apikeys", a.authed(adminsOnly, a.listUserAPIKeys))
	rt.handle("POST /api/v1/roles", a.authed(adminsOnly, a.createRole))
	rt.handle("GET /api/v1/roles", a.authed(adminsOnly, a.listRoles))
	rt.handle("GET /api/v1/roles/{id}", a.authed(adminsOnly, a.getRole))
	rt.handle("DELETE /api/v1/roles/{id}", a.authed(adminsOnly, a.deleteRole))
	rt.handle("PUT /api/v1/roles/{id}/members", a.authed(adminsOnly, a.setMembers))
	rt.handle("PUT /api/v1/collections/{c}", a.authed(adminsOnly, a.putCollection))
	rt.handle("GET /api/v1/collections/{c}", a.authed(adminsOnly, a.getCollection))
	rt.handle("POST /api/v1/collections/{c}/indexes", a.authed(adminsOnly, a.createIndex))
	rt.handle("GET /api/v1/collections/{c}/indexes", a.authed(adminsOnly, a.listIndexes))
	rt.handle("DELETE /api/v1/collections/{c}/indexes/{name}", a.authed(adminsOnly, a.dropIndex))
	return rt
}

// common are the endpoints both listeners serve.
func (a *API) common(rt *router) {
	rt.handle("GET /healthz", a.open(a.healthz))
	rt.handle("GET /readyz", a.open(a.readyz))
	rt.handle("GET /api/v1/openapi.json", a.open(a.openapi))
	// Everything else is a typed 404, not the mux's plain-text one. It is
	// no endpoint, so it stays out of the recorded patterns.
	rt.mux.Handle("/", a.open(notFound))
}

// watchPath is the REST event stream.
const watchPath = "/api/v1/collections/{c}/watch"

// Streams reports whether r opens a REST stream, which runs until its
// client or credential ends it rather than within the listener's timeouts.
func Streams(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/collections/")
	if !ok {
		return false
	}
	coll, ok := strings.CutSuffix(rest, "/watch")
	return ok && coll != "" && !strings.Contains(coll, "/")
}

// websocket hands the request to the WebSocket transport.
func (a *API) websocket(w http.ResponseWriter, r *http.Request) error {
	if a.opt.WebSocket == nil {
		return errs.E(errs.Unavailable, "this node does not serve WebSocket")
	}
	a.opt.WebSocket.ServeHTTP(w, r)
	return nil
}

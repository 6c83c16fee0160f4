package rest

import (
	"net/http"
)

// Public returns the handler of the public listener.
func (a *API) Public() http.Handler {
	mux := http.NewServeMux()
	a.common(mux)
	mux.Handle("POST /api/v1/auth/login", a.anon(a.login))
	mux.Handle("GET /api/v1/me", a.authed(false, a.me))
	mux.Handle("GET /.well-known/jwks.json", a.anon(a.jwks))
	mux.Handle("GET /.well-known/openid-configuration", a.anon(a.discovery))

	docs := "/api/v1/collections/{c}/documents"
	mux.Handle("POST "+docs, a.authed(false, a.insert))
	mux.Handle("GET "+docs+"/{id}", a.authed(false, a.get))
	mux.Handle("PUT "+docs+"/{id}", a.authed(false, a.replace))
	mux.Handle("PATCH "+docs+"/{id}", a.authed(false, a.patch))
	mux.Handle("DELETE "+docs+"/{id}", a.authed(false, a.delete))
	mux.Handle("GET "+docs+"/{id}/versions/{n}", a.authed(false, a.version))
	mux.Handle("POST /api/v1/collections/{c}/query", a.authed(false, a.query))
	mux.Handle("POST /api/v1/collections/{c}/count", a.authed(false, a.count))
	mux.Handle("POST /api/v1/collections/{c}/distinct", a.authed(false, a.distinct))
	mux.Handle("POST /api/v1/collections/{c}/aggregate", a.authed(false, a.aggregate))
	mux.Handle("GET /api/v1/collections/{c}/watch", a.authed(false, a.watch))
	return a.wrap(mux)
}

// Admin returns the handler of the admin listener; every endpoint on it
// needs an admin.
func (a *API) Admin() http.Handler {
	mux := http.NewServeMux()
	a.common(mux)
	mux.Handle("POST /api/v1/users", a.authed(true, a.createUser))
	mux.Handle("GET /api/v1/users", a.authed(true, a.listUsers))
	mux.Handle("GET /api/v1/users/{id}", a.authed(true, a.getUser))
	mux.Handle("PATCH /api/v1/users/{id}", a.authed(true, a.updateUser))
	mux.Handle("DELETE /api/v1/users/{id}", a.authed(true, a.deleteUser))
	mux.Handle("POST /api/v1/roles", a.authed(true, a.createRole))
	mux.Handle("GET /api/v1/roles", a.authed(true, a.listRoles))
	mux.Handle("GET /api/v1/roles/{id}", a.authed(true, a.getRole))
	mux.Handle("DELETE /api/v1/roles/{id}", a.authed(true, a.deleteRole))
	mux.Handle("PUT /api/v1/roles/{id}/members", a.authed(true, a.setMembers))
	mux.Handle("PUT /api/v1/collections/{c}", a.authed(true, a.putCollection))
	mux.Handle("GET /api/v1/collections/{c}", a.authed(true, a.getCollection))
	mux.Handle("POST /api/v1/collections/{c}/indexes", a.authed(true, a.createIndex))
	mux.Handle("GET /api/v1/collections/{c}/indexes", a.authed(true, a.listIndexes))
	mux.Handle("DELETE /api/v1/collections/{c}/indexes/{name}", a.authed(true, a.dropIndex))
	return a.wrap(mux)
}

func (a *API) common(mux *http.ServeMux) {
	mux.Handle("GET /healthz", a.anon(a.healthz))
	mux.Handle("GET /readyz", a.anon(a.readyz))
	// Everything else is a typed 404, not the mux's plain-text one.
	mux.Handle("/", a.anon(notFound))
}

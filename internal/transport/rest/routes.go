package rest

import (
	"net/http"
)

// Public returns the handler of the public listener.
func (a *API) Public() http.Handler {
	mux := http.NewServeMux()
	a.common(mux)
	mux.Handle("POST /api/v1/auth/login", a.open(a.login))
	mux.Handle("POST /api/v1/auth/mfa", a.open(a.mfaLogin))
	mux.Handle("POST /api/v1/auth/refresh", a.open(a.refresh))
	mux.Handle("POST /api/v1/auth/register", a.open(a.register))
	mux.Handle("POST /api/v1/auth/recover", a.open(a.recoverLogin))
	mux.Handle("POST /api/v1/auth/logout", a.authed(enrolling, a.logout))
	mux.Handle("GET /api/v1/auth/sessions", a.authed(enrolling, a.sessions))
	mux.Handle("DELETE /api/v1/auth/sessions/{id}", a.authed(enrolling, a.revokeSession))
	mux.Handle("GET /api/v1/me", a.authed(enrolling, a.me))
	mux.Handle("PATCH /api/v1/me", a.authed(user, a.updateProfile))
	mux.Handle("POST /api/v1/me/password", a.authed(user, a.changePassword))
	mux.Handle("POST /api/v1/me/mfa/totp", a.authed(enrolling, a.enrolTOTP))
	mux.Handle("POST /api/v1/me/mfa/totp/confirm", a.authed(enrolling, a.confirmTOTP))
	mux.Handle("DELETE /api/v1/me/mfa/totp", a.authed(user, a.disableTOTP))
	mux.Handle("POST /api/v1/me/mfa/recovery-codes", a.authed(user, a.regenerateRecoveryCodes))
	mux.Handle("POST /api/v1/apikeys", a.authed(user, a.createAPIKey))
	mux.Handle("GET /api/v1/apikeys", a.authed(user, a.listAPIKeys))
	mux.Handle("DELETE /api/v1/apikeys/{id}", a.authed(user, a.revokeAPIKey))
	mux.Handle("POST /api/v1/apikeys/{id}/rotate", a.authed(user, a.rotateAPIKey))
	mux.Handle("GET /.well-known/jwks.json", a.open(a.jwks))
	mux.Handle("GET /.well-known/openid-configuration", a.open(a.discovery))

	docs := "/api/v1/collections/{c}/documents"
	mux.Handle("POST "+docs, a.authed(user, a.insert))
	mux.Handle("GET "+docs+"/{id}", a.authed(user, a.get))
	mux.Handle("PUT "+docs+"/{id}", a.authed(user, a.replace))
	mux.Handle("PATCH "+docs+"/{id}", a.authed(user, a.patch))
	mux.Handle("DELETE "+docs+"/{id}", a.authed(user, a.delete))
	mux.Handle("GET "+docs+"/{id}/versions/{n}", a.authed(user, a.version))
	mux.Handle("POST /api/v1/collections/{c}/query", a.authed(user, a.query))
	mux.Handle("POST /api/v1/collections/{c}/count", a.authed(user, a.count))
	mux.Handle("POST /api/v1/collections/{c}/distinct", a.authed(user, a.distinct))
	mux.Handle("POST /api/v1/collections/{c}/aggregate", a.authed(user, a.aggregate))
	mux.Handle("GET /api/v1/collections/{c}/watch", a.authed(user, a.watch))
	return a.wrap(mux)
}

// Admin returns the handler of the admin listener; every endpoint on it
// needs an admin.
func (a *API) Admin() http.Handler {
	mux := http.NewServeMux()
	a.common(mux)
	mux.Handle("GET /api/v1/audit", a.authed(adminsOnly, a.listAudit))
	mux.Handle("POST /api/v1/users", a.authed(adminsOnly, a.createUser))
	mux.Handle("GET /api/v1/users", a.authed(adminsOnly, a.listUsers))
	mux.Handle("GET /api/v1/users/{id}", a.authed(adminsOnly, a.getUser))
	mux.Handle("PATCH /api/v1/users/{id}", a.authed(adminsOnly, a.updateUser))
	mux.Handle("DELETE /api/v1/users/{id}", a.authed(adminsOnly, a.deleteUser))
	mux.Handle("POST /api/v1/users/{id}/unlock", a.authed(adminsOnly, a.unlockUser))
	mux.Handle("DELETE /api/v1/users/{id}/mfa", a.authed(adminsOnly, a.resetMFA))
	mux.Handle("POST /api/v1/users/{id}/apikeys", a.authed(adminsOnly, a.createUserAPIKey))
	mux.Handle("GET /api/v1/users/{id}/apikeys", a.authed(adminsOnly, a.listUserAPIKeys))
	mux.Handle("POST /api/v1/roles", a.authed(adminsOnly, a.createRole))
	mux.Handle("GET /api/v1/roles", a.authed(adminsOnly, a.listRoles))
	mux.Handle("GET /api/v1/roles/{id}", a.authed(adminsOnly, a.getRole))
	mux.Handle("DELETE /api/v1/roles/{id}", a.authed(adminsOnly, a.deleteRole))
	mux.Handle("PUT /api/v1/roles/{id}/members", a.authed(adminsOnly, a.setMembers))
	mux.Handle("PUT /api/v1/collections/{c}", a.authed(adminsOnly, a.putCollection))
	mux.Handle("GET /api/v1/collections/{c}", a.authed(adminsOnly, a.getCollection))
	mux.Handle("POST /api/v1/collections/{c}/indexes", a.authed(adminsOnly, a.createIndex))
	mux.Handle("GET /api/v1/collections/{c}/indexes", a.authed(adminsOnly, a.listIndexes))
	mux.Handle("DELETE /api/v1/collections/{c}/indexes/{name}", a.authed(adminsOnly, a.dropIndex))
	return a.wrap(mux)
}

func (a *API) common(mux *http.ServeMux) {
	mux.Handle("GET /healthz", a.open(a.healthz))
	mux.Handle("GET /readyz", a.open(a.readyz))
	// Everything else is a typed 404, not the mux's plain-text one.
	mux.Handle("/", a.open(notFound))
}

package rest

// operations describes every registered endpoint, keyed by its pattern as
// routes.go registers it. TestOpenAPIMatchesRoutes keeps the two in step.
var operations = map[string]operation{
	// Both listeners.
	"GET /healthz":             {id: "healthz", summary: "The process is up", on: onBoth, status: 200, result: "Status"},
	"GET /readyz":              {id: "readyz", summary: "The node can serve (its database answers)", on: onBoth, status: 200, result: "Status"},
	"GET /api/v1/openapi.json": {id: "openapi", summary: "This document", on: onBoth, status: 200, result: "OpenAPI"},

	// Sign-in and sessions.
	"POST /api/v1/auth/login":               {id: "login", summary: "Sign in with a username and password", on: onPublic, body: "LoginRequest", status: 200, result: "LoginResult"},
	"POST /api/v1/auth/mfa":                 {id: "completeMFA", summary: "Finish a sign-in with a second factor", on: onPublic, body: "MFALoginRequest", status: 200, result: "Tokens"},
	"POST /api/v1/auth/refresh":             {id: "refresh", summary: "Trade a refresh token for new tokens", on: onPublic, body: "RefreshRequest", status: 200, result: "Tokens"},
	"POST /api/v1/auth/register":            {id: "register", summary: "Create an account (when self-registration is on)", on: onPublic, body: "NewUser", status: 201, result: "Document"},
	"POST /api/v1/auth/recover":             {id: "recover", summary: "Sign in with a one-time break-glass token", on: onPublic, body: "RecoverRequest", status: 200, result: "Tokens"},
	"POST /api/v1/auth/logout":              {id: "logout", summary: "End the caller's session", on: onPublic, auth: bearer, status: 204},
	"GET /api/v1/auth/sessions":             {id: "listSessions", summary: "The caller's sessions", on: onPublic, auth: bearer, status: 200, result: "SessionList"},
	"DELETE /api/v1/auth/sessions/{id}":     {id: "revokeSession", summary: "End one of the caller's sessions", on: onPublic, auth: bearer, status: 204},
	"GET /.well-known/jwks.json":            {id: "jwks", summary: "Public keys that verify access tokens", on: onPublic, status: 200, result: "JWKS", media: "application/jwk-set+json"},
	"GET /.well-known/openid-configuration": {id: "discovery", summary: "OpenID discovery metadata", on: onPublic, status: 200, result: "Discovery"},
	"GET /api/v1/ws":                        {id: "websocket", summary: "Open a WebSocket carrying the envelope protocol", on: onPublic, status: 101},

	// The caller's own account.
	"GET /api/v1/me":                     {id: "me", summary: "The caller's user document and role ids", on: onPublic, auth: bearer, status: 200, result: "Me"},
	"PATCH /api/v1/me":                   {id: "updateProfile", summary: "Change the caller's name and email", on: onPublic, auth: bearer, body: "ProfilePatch", status: 200, result: "Document"},
	"POST /api/v1/me/password":           {id: "changePassword", summary: "Change the caller's password", on: onPublic, auth: bearer, body: "PasswordChange", status: 204},
	"POST /api/v1/me/mfa/totp":           {id: "enrolTOTP", summary: "Start enrolling an authenticator app", on: onPublic, auth: bearer, status: 200, result: "TOTPEnrolment"},
	"POST /api/v1/me/mfa/totp/confirm":   {id: "confirmTOTP", summary: "Confirm the enrolment with a code", on: onPublic, auth: bearer, body: "CodeRequest", status: 200, result: "RecoveryCodes"},
	"DELETE /api/v1/me/mfa/totp":         {id: "disableTOTP", summary: "Remove the second factor", on: onPublic, auth: bearer, body: "CodeRequest", status: 204},
	"POST /api/v1/me/mfa/recovery-codes": {id: "regenerateRecoveryCodes", summary: "Replace the recovery codes", on: onPublic, auth: bearer, body: "CodeRequest", status: 200, result: "RecoveryCodes"},
	"POST /api/v1/apikeys":               {id: "createAPIKey", summary: "Create an API key for the caller", on: onPublic, auth: bearer, body: "APIKeyRequest", status: 201, result: "APIKeyCreated"},
	"GET /api/v1/apikeys":                {id: "listAPIKeys", summary: "The caller's API keys", on: onPublic, auth: bearer, status: 200, result: "APIKeyList"},
	"DELETE /api/v1/apikeys/{id}":        {id: "revokeAPIKey", summary: "Revoke an API key", on: onPublic, auth: bearer, status: 204},
	"POST /api/v1/apikeys/{id}/rotate":   {id: "rotateAPIKey", summary: "Issue a new secret for an API key", on: onPublic, auth: bearer, status: 201, result: "APIKeyCreated"},

	// Documents.
	"POST /api/v1/collections/{c}/documents":                  {id: "insert", summary: "Insert a document, or an array of them atomically", on: onPublic, auth: bearer, body: "DocumentOrArray", status: 201, result: "DocumentOrArray"},
	"GET /api/v1/collections/{c}/documents/{id}":              {id: "get", summary: "Read a document", on: onPublic, auth: bearer, status: 200, result: "Document"},
	"PUT /api/v1/collections/{c}/documents/{id}":              {id: "replace", summary: "Replace a document", on: onPublic, auth: bearer, body: "Document", status: 200, result: "Document", headers: []string{"If-Match"}},
	"PATCH /api/v1/collections/{c}/documents/{id}":            {id: "patch", summary: "Change a document with a JSON merge patch", on: onPublic, auth: bearer, body: "Document", status: 200, result: "Document", headers: []string{"If-Match"}},
	"DELETE /api/v1/collections/{c}/documents/{id}":           {id: "delete", summary: "Delete a document", on: onPublic, auth: bearer, status: 204, headers: []string{"If-Match"}},
	"GET /api/v1/collections/{c}/documents/{id}/versions/{n}": {id: "getVersion", summary: "Read an earlier version of a document", on: onPublic, auth: bearer, status: 200, result: "Document"},
	"POST /api/v1/collections/{c}/query":                      {id: "query", summary: "One page of the readable documents that match", on: onPublic, auth: bearer, body: "QueryRequest", optional: true, status: 200, result: "QueryResult"},
	"POST /api/v1/collections/{c}/count":                      {id: "count", summary: "Count the readable documents that match", on: onPublic, auth: bearer, body: "CountRequest", optional: true, status: 200, result: "CountResult"},
	"POST /api/v1/collections/{c}/distinct":                   {id: "distinct", summary: "Distinct values of a field", on: onPublic, auth: bearer, body: "DistinctRequest", status: 200, result: "DistinctResult"},
	"POST /api/v1/collections/{c}/aggregate":                  {id: "aggregate", summary: "Run an aggregate pipeline over the readable documents", on: onPublic, auth: bearer, body: "AggregateRequest", optional: true, status: 200, result: "AggregateResult"},
	"GET /api/v1/collections/{c}/watch":                       {id: "watch", summary: "Changes as server-sent events (data: WatchEvent)", on: onPublic, auth: bearer, status: 200, media: "text/event-stream", query: []string{"since"}, headers: []string{"Last-Event-ID"}},

	// Administration.
	"GET /api/v1/audit":                             {id: "listAudit", summary: "Audit log entries", on: onAdmin, auth: admin, status: 200, result: "AuditList", query: []string{"kind", "actor", "subject", "since_time", "until", "after_seq", "limit"}},
	"POST /api/v1/users":                            {id: "createUser", summary: "Create a user", on: onAdmin, auth: admin, body: "NewUser", status: 201, result: "Document"},
	"GET /api/v1/users":                             {id: "listUsers", summary: "Users, by id", on: onAdmin, auth: admin, status: 200, result: "UserList", query: []string{"limit", "after"}},
	"GET /api/v1/users/{id}":                        {id: "getUser", summary: "Read a user", on: onAdmin, auth: admin, status: 200, result: "Document"},
	"PATCH /api/v1/users/{id}":                      {id: "updateUser", summary: "Change, disable or reset the password of a user", on: onAdmin, auth: admin, body: "UserPatch", status: 200, result: "Document"},
	"DELETE /api/v1/users/{id}":                     {id: "deleteUser", summary: "Delete a user and everything it owned", on: onAdmin, auth: admin, status: 204},
	"POST /api/v1/users/{id}/unlock":                {id: "unlockUser", summary: "Lift a sign-in lock", on: onAdmin, auth: admin, status: 204},
	"DELETE /api/v1/users/{id}/mfa":                 {id: "resetMFA", summary: "Remove a user's second factor", on: onAdmin, auth: admin, status: 204},
	"POST /api/v1/users/{id}/apikeys":               {id: "createUserAPIKey", summary: "Create an API key for a user", on: onAdmin, auth: admin, body: "APIKeyRequest", status: 201, result: "APIKeyCreated"},
	"GET /api/v1/users/{id}/apikeys":                {id: "listUserAPIKeys", summary: "A user's API keys", on: onAdmin, auth: admin, status: 200, result: "APIKeyList"},
	"POST /api/v1/roles":                            {id: "createRole", summary: "Create a role", on: onAdmin, auth: admin, body: "RoleRequest", status: 201, result: "Document"},
	"GET /api/v1/roles":                             {id: "listRoles", summary: "Roles, by id", on: onAdmin, auth: admin, status: 200, result: "RoleList", query: []string{"limit", "after"}},
	"GET /api/v1/roles/{id}":                        {id: "getRole", summary: "Read a role", on: onAdmin, auth: admin, status: 200, result: "Document"},
	"DELETE /api/v1/roles/{id}":                     {id: "deleteRole", summary: "Delete a role", on: onAdmin, auth: admin, status: 204},
	"PUT /api/v1/roles/{id}/members":                {id: "setMembers", summary: "Replace a role's members", on: onAdmin, auth: admin, body: "MembersRequest", status: 200, result: "Document"},
	"PUT /api/v1/collections/{c}":                   {id: "putCollection", summary: "Create a collection or change its settings", on: onAdmin, auth: admin, body: "CollectionSettings", status: 200, result: "Collection"},
	"GET /api/v1/collections/{c}":                   {id: "getCollection", summary: "A collection's settings", on: onAdmin, auth: admin, status: 200, result: "Collection"},
	"POST /api/v1/collections/{c}/indexes":          {id: "createIndex", summary: "Build an index", on: onAdmin, auth: admin, body: "IndexSpec", status: 201, result: "IndexSpec"},
	"GET /api/v1/collections/{c}/indexes":           {id: "listIndexes", summary: "A collection's indexes", on: onAdmin, auth: admin, status: 200, result: "IndexList"},
	"DELETE /api/v1/collections/{c}/indexes/{name}": {id: "dropIndex", summary: "Drop an index", on: onAdmin, auth: admin, status: 204},
}

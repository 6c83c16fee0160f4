package rest_test

import (
	"testing"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
)

// requestIDs checks that every answer, good or bad, carries its own request
// id, and that an error body names the same id as the header.
func (f *fixture) requestIDs(t *testing.T) {
	calls := []scenario{
		{as: "user", method: "GET", path: docsPath + "/user-own", status: 200},
		{as: "user", method: "GET", path: docsPath + "/adm-private", status: 404, code: errs.NotFound},
		{as: "user", method: "POST", path: collPath + "/query", body: `{"filter":[]}`, status: 400, code: errs.InvalidArgument},
		{method: "GET", path: "/api/v1/me", status: 401, code: errs.Unauthenticated},
		{as: "user", admin: true, method: "GET", path: "/api/v1/users", status: 403, code: errs.PermissionDenied},
		{as: "user", method: "PUT", path: docsPath + "/user-own", body: `{}`, header: map[string]string{"If-Match": "1"}, status: 412, code: errs.FailedPrecondition},
		{as: "user", method: "POST", path: docsPath, body: `{"_id":"user-own"}`, status: 409, code: errs.Conflict},
		{method: "GET", path: "/nowhere", status: 404, code: errs.NotFound},
		{method: "GET", path: "/healthz", status: 200},
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		for _, sc := range calls {
			before := f.state(t)
			r := f.do(t, sc)
			checkAnswer(t, sc, r)
			id := r.header.Get("X-Request-Id")
			if len(id) < 16 || seen[id] {
				t.Errorf("%s %s: request id %q missing, short or reused", sc.method, sc.path, id)
			}
			seen[id] = true
			if sc.code != "" && r.err.ID != id {
				t.Errorf("%s %s: body id %q, header %q", sc.method, sc.path, r.err.ID, id)
			}
			before.diff(t, f.state(t))
		}
	}
}

// TestHostileInternalError closes the store under a running node: the
// failure that follows is internal, and the caller sees only "internal
// error" and the request id.
func TestHostileInternalError(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: e})
			h.CreateUser("carol", userPw, false)
			c := h.Login("carol", userPw)
			if r := c.Public("POST", docsPath, map[string]any{"_id": "doc", "title": "x"}); r.Status != 201 {
				t.Fatalf("insert: %d %s", r.Status, r.Body)
			}
			if err := h.Node.Store().Close(); err != nil {
				t.Fatalf("close store: %v", err)
			}
			internal := 0
			for _, call := range []struct{ method, path string }{
				{"GET", docsPath + "/doc"},
				{"POST", collPath + "/query"},
				{"POST", collPath + "/count"},
			} {
				r := c.Public(call.method, call.path, nil)
				res := result{status: r.Status, header: r.Header, body: r.Body}
				var env struct {
					Error struct {
						Code, Message, ID string
					}
				}
				r.JSON(&env)
				res.err.Code, res.err.Message, res.err.ID = env.Error.Code, env.Error.Message, env.Error.ID
				switch errs.Code(res.err.Code) {
				case errs.Internal:
					internal++
					checkError(t, res, errs.Internal)
				case errs.Unavailable:
					// A closed store may say so; that is typed too.
					checkError(t, res, errs.Unavailable)
				default:
					t.Fatalf("%s %s on a closed store: %d %s", call.method, call.path, r.Status, r.Body)
				}
			}
			if internal == 0 {
				t.Fatalf("a closed store provoked no internal error")
			}
		})
	}
}

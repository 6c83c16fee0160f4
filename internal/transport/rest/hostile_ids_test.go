package rest_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
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

// TestHostileInternalError breaks the database under a running node: a
// dropped table makes queries fail inside the engine, which is internal, and
// the caller sees only "internal error" and the request id. A closed store
// afterwards answers unavailable.
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
			dropTable(t, h, "doc_acl")
			for _, path := range []string{collPath + "/query", collPath + "/count"} {
				expectCode(t, c.Public("POST", path, nil), errs.Internal)
			}
			if err := h.Node.Store().Close(); err != nil {
				t.Fatalf("close store: %v", err)
			}
			expectCode(t, c.Public("GET", docsPath+"/doc", nil), errs.Unavailable)
		})
	}
}

func expectCode(t *testing.T, r apptest.Response, code errs.Code) {
	t.Helper()
	res := result{status: r.Status, header: r.Header, body: r.Body}
	var env struct {
		Error struct {
			Code, Message, ID string
		}
	}
	r.JSON(&env)
	res.err.Code, res.err.Message, res.err.ID = env.Error.Code, env.Error.Message, env.Error.ID
	if errs.Code(res.err.Code) != code {
		t.Fatalf("got %d %s, want code %s", r.Status, r.Body, code)
	}
	checkError(t, res, code)
}

// dropTable removes a table behind the node's back.
func dropTable(t *testing.T, h *apptest.Harness, table string) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(h.Cfg.Data, app.DatabaseFile)
	if h.Cfg.Database.Driver == config.DriverPostgres {
		pg := h.Cfg.Database.Postgres
		driver, dsn = "pgx", pg.URL
		table = pg.Schema + "." + table
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE " + table); err != nil {
		t.Fatalf("drop %s: %v", table, err)
	}
}

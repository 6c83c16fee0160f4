package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// The hostile-input suite runs one node per engine, seeds it once, and then
// sends every scenario row in turn. Rows run one after another within an
// engine so that a moving change log is blamed on the row that moved it.

const (
	coll     = "things"
	docsPath = "/api/v1/collections/" + coll + "/documents"
	collPath = "/api/v1/collections/" + coll
	adminPw  = "admin-password-123"
	userPw   = "user-password-456"
	// injLiteral is stored verbatim in item-3, so a filter on it must find
	// exactly that document and nothing else.
	injLiteral = "x'); DROP TABLE documents; --"
)

// seeded are the documents the rows aim at.
var seeded = []string{"adm-private", "shared-ro", "shared-rw", "user-own", "item-1", "item-2", "item-3"}

type fixture struct {
	h       *apptest.Harness
	hc      *http.Client
	admin   string // access tokens
	user    string
	adminID string
	userID  string
	roleID  string
	// visible is how many seeded documents the normal user may read.
	visible int
}

func newFixture(t *testing.T, e apptest.Engine) *fixture {
	t.Helper()
	h := apptest.Start(t, apptest.Options{Engine: e, Config: func(c *config.Config) {
		// Let a 100 KB header reach the handler, so the REST layer's own
		// bound answers it rather than net/http's plain-text 431.
		c.HTTP.MaxHeaderBytes = 1 * config.MiB
	}})
	f := &fixture{h: h}
	tr := &http.Transport{TLSClientConfig: h.TLSConfig().Clone(), ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	f.hc = &http.Client{
		Transport: tr,
		Timeout:   30 * time.Second,
		// A redirect is an answer in its own right here, never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.adminID = h.CreateUser("root", adminPw, true)
	f.userID = h.CreateUser("alice", userPw, false)
	f.roleID = h.CreateRole("readers", f.userID)
	ad, us := h.Login("root", adminPw), h.Login("alice", userPw)
	f.admin, f.user = ad.Token, us.Token
	f.seed(t, ad, us)
	return f
}

func (f *fixture) seed(t *testing.T, ad, us *apptest.Client) {
	t.Helper()
	must := func(r apptest.Response, want int) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("seed: status %d, want %d: %s", r.Status, want, r.Body)
		}
	}
	aclOf := func(users int) []map[string]any {
		return []map[string]any{{"id": f.adminID, "rights": 63}, {"id": "users", "rights": users}}
	}
	must(ad.Public("POST", docsPath, map[string]any{"_id": "adm-private", "title": "secret", "n": 1}), 201)
	must(ad.Public("POST", docsPath, map[string]any{"_id": "shared-ro", "title": "hello", "n": 2, "_acl": aclOf(2)}), 201)
	must(ad.Public("POST", docsPath, map[string]any{"_id": "shared-rw", "title": "hello rw", "n": 3, "_acl": aclOf(6)}), 201)
	must(us.Public("POST", docsPath, map[string]any{"_id": "user-own", "title": "mine", "n": 4}), 201)
	must(us.Public("PATCH", docsPath+"/user-own", map[string]any{"n": 5}), 200)
	must(us.Public("PATCH", docsPath+"/user-own", map[string]any{"n": 6}), 200)
	must(us.Public("POST", docsPath, []map[string]any{
		{"_id": "item-1", "title": "a", "tags": []string{"x", "y"}, "n": 7},
		{"_id": "item-2", "title": "b", "tags": []string{"y"}, "n": 8},
		{"_id": "item-3", "title": injLiteral, "n": 9},
	}), 201)
	must(ad.Admin("POST", collPath+"/indexes", map[string]any{"name": "by_title", "fields": []string{"title"}}), 201)
	f.visible = 6
	st := f.state(t)
	for _, id := range seeded {
		if st.versions[coll+"/"+id] == 0 {
			t.Fatalf("seed: %s missing", id)
		}
	}
}

// state is what a refused request must leave exactly as it was.
type state struct {
	seq      int64
	count    int64
	versions map[string]int64 // collection/id -> version, -1 when missing
}

// state reads the change log position, the document count and the
// versions of keys; with no keys it reads every document of both
// collections the suite touches. A key "#count" alone asks for the count.
func (f *fixture) state(t *testing.T, keys ...string) state {
	t.Helper()
	ctx := context.Background()
	st := f.h.Node.Store()
	seq, err := st.LastSeq(ctx)
	if err != nil {
		t.Fatalf("last seq: %v", err)
	}
	n := int64(-1)
	if len(keys) == 0 || keys[0] == countKey {
		if n, err = st.Count(ctx, coll, apptest.System, query.Filter{}); err != nil {
			t.Fatalf("count: %v", err)
		}
	}
	s := state{seq: seq, count: n, versions: map[string]int64{}}
	if len(keys) == 0 {
		for _, c := range []string{coll, identity.Collection} {
			list, err := st.Find(ctx, c, apptest.System, store.Find{Limit: 10000})
			if err != nil {
				t.Fatalf("list %s: %v", c, err)
			}
			for _, d := range list {
				s.versions[c+"/"+d.ID] = d.Version
			}
		}
		return s
	}
	for _, k := range keys {
		if k == countKey {
			continue
		}
		c, id, _ := strings.Cut(k, "/")
		if !acl.ValidPrincipalID(id) || store.ValidCollection(c) != nil {
			s.versions[k] = -1 // cannot exist; not every engine may even be asked
			continue
		}
		d, err := st.Get(ctx, c, id)
		switch {
		case errs.Is(err, errs.NotFound):
			s.versions[k] = -1
		case err != nil:
			t.Fatalf("get %s: %v", k, err)
		default:
			s.versions[k] = d.Version
		}
	}
	return s
}

const countKey = "#count"

// affected names the documents a row's path points at, as collection/id,
// and asks for the count where a row could insert. Everything else a row
// might touch shows in the change log, and each group checks all of it.
func affected(method, path string) []string {
	path, _, _ = strings.Cut(path, "?")
	if method == http.MethodPost && strings.HasSuffix(path, "/documents") {
		return []string{countKey}
	}
	seg := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	unescape := func(s string) string {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
		return s
	}
	switch {
	case len(seg) >= 4 && seg[0] == "collections" && seg[2] == "documents":
		return []string{unescape(seg[1]) + "/" + unescape(seg[3])}
	case len(seg) >= 2 && (seg[0] == "users" || seg[0] == "roles"):
		return []string{identity.Collection + "/" + unescape(seg[1])}
	}
	return []string{coll + "/user-own"}
}

func (s state) diff(t *testing.T, after state) {
	t.Helper()
	if after.seq != s.seq {
		t.Errorf("change log moved from %d to %d", s.seq, after.seq)
	}
	if after.count != s.count {
		t.Errorf("document count changed from %d to %d", s.count, after.count)
	}
	for k, v := range s.versions {
		if w, ok := after.versions[k]; !ok {
			t.Errorf("%s: deleted at version %d", k, v)
		} else if w != v {
			t.Errorf("%s: version %d became %d", k, v, w)
		}
	}
	for k := range after.versions {
		if _, ok := s.versions[k]; !ok {
			t.Errorf("%s: created", k)
		}
	}
}

// scenario is one row: a caller, an endpoint and a hostile input, with the
// answer it must get.
type scenario struct {
	name   string
	as     string // "admin", "user" or "" for no credentials
	admin  bool   // send to the admin listener
	method string
	path   string
	body   any    // nil, string, []byte or io.Reader
	ct     string // Content-Type; "" means application/json with a body, "-" none
	header map[string]string
	status int
	code   errs.Code // "" for a success
	check  func(t *testing.T, r result)
}

type result struct {
	status int
	header http.Header
	body   []byte
	err    struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		ID      string `json:"id"`
	}
}

func (f *fixture) do(t *testing.T, sc scenario) result {
	t.Helper()
	base := f.h.PublicURL
	if sc.admin {
		base = f.h.AdminURL
	}
	var rd io.Reader
	switch b := sc.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = strings.NewReader(string(b))
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(sc.method, base+sc.path, rd)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	switch {
	case sc.ct == "-":
	case sc.ct != "":
		req.Header.Set("Content-Type", sc.ct)
	case rd != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	switch sc.as {
	case "admin":
		req.Header.Set("Authorization", "Bearer "+f.admin)
	case "user":
		req.Header.Set("Authorization", "Bearer "+f.user)
	}
	for k, v := range sc.header {
		req.Header.Set(k, v)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", sc.method, sc.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, body: raw}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Error != nil {
		json.Unmarshal(env.Error, &r.err)
	}
	return r
}

// run sends each row and checks the answer and that nothing changed.
func (f *fixture) run(t *testing.T, rows []scenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, sc := range rows {
		if seen[sc.name] {
			t.Fatalf("duplicate row name %q", sc.name)
		}
		seen[sc.name] = true
		t.Run(sc.name, func(t *testing.T) {
			keys := affected(sc.method, sc.path)
			before := f.state(t, keys...)
			// Deferred, so a row that fails on its status still reports
			// what it changed.
			defer func() { before.diff(t, f.state(t, keys...)) }()
			r := f.do(t, sc)
			checkAnswer(t, sc, r)
			if sc.check != nil {
				sc.check(t, r)
			}
		})
	}
}

func checkAnswer(t *testing.T, sc scenario, r result) {
	t.Helper()
	if r.status != sc.status {
		t.Fatalf("status %d, want %d; body %.300s", r.status, sc.status, r.body)
	}
	if sc.code == "" {
		return
	}
	checkError(t, r, sc.code)
}

// checkError asserts the typed error envelope of every refusal.
func checkError(t *testing.T, r result, code errs.Code) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json; body %.200s", ct, r.body)
	}
	if r.err.Code != string(code) {
		t.Fatalf("error code %q, want %q; body %.300s", r.err.Code, code, r.body)
	}
	// The envelope is exactly {"error":{code, message, id[, details]}}.
	var env map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil || len(env) != 1 || env["error"] == nil {
		t.Errorf("error body is not a lone error object: %.300s", r.body)
	}
	for k := range env["error"] {
		switch k {
		case "code", "message", "id", "details":
		default:
			t.Errorf("error body carries %q", k)
		}
	}
	if r.status != code.HTTPStatus() {
		t.Errorf("status %d does not match code %s", r.status, code)
	}
	if r.err.Message == "" {
		t.Errorf("empty error message")
	}
	if r.err.ID == "" || r.err.ID != r.header.Get("X-Request-Id") {
		t.Errorf("error id %q, X-Request-Id %q: want equal and set", r.err.ID, r.header.Get("X-Request-Id"))
	}
	if code == errs.Internal && r.err.Message != "internal error" {
		t.Errorf("internal error shows %q", r.err.Message)
	}
	if code == errs.Unauthenticated && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without a Bearer WWW-Authenticate challenge")
	}
	if leak := leaks(r.err.Message); leak != "" {
		t.Errorf("message %q leaks internals (%s)", r.err.Message, leak)
	}
}

// leakPatterns are traces of the machinery behind an error: database
// engines, Go types and formatting, source paths and stacks.
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)syntax error|sqlstate|sqlite|postgres|\bpgx?\b|\bsql:|database|no such (table|column)|\brelation\b|constraint`),
	regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9]*\b`), // pkg.Type
	regexp.MustCompile(`\[\][a-z*]|map\[|interface ?\{|struct ?\{|\*[a-z]+\.|%!|\bjson: |\bnil\b|0x[0-9a-f]{6,}`),
	regexp.MustCompile(`\bmust be (u?int(8|16|32|64)?|float(32|64)|bool|string|\[\]\w+)\b`),
	regexp.MustCompile(`\.go\b|/(work|tmp|home|root|usr|var|etc|proc)/|[A-Za-z]:\\`),
	regexp.MustCompile(`(?i)goroutine|panic|runtime\.|unexpected EOF|invalid character '.' (looking|after|in)`),
}

func leaks(msg string) string {
	for _, re := range leakPatterns {
		if m := re.FindString(msg); m != "" {
			return m
		}
	}
	return ""
}

// docsIn decodes a {"documents":[...]} answer.
func docsIn(t *testing.T, r result) []map[string]any {
	t.Helper()
	var out struct {
		Documents []map[string]any `json:"documents"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("decode documents: %v; %.200s", err, r.body)
	}
	return out.Documents
}

// wantIDs checks that a query answered exactly these document ids.
func wantIDs(ids ...string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		got := map[string]bool{}
		for _, d := range docsIn(t, r) {
			id, _ := d["_id"].(string)
			got[id] = true
		}
		if len(got) != len(ids) {
			t.Fatalf("got ids %v, want %v", got, ids)
		}
		for _, id := range ids {
			if !got[id] {
				t.Fatalf("got ids %v, want %v", got, ids)
			}
		}
	}
}

// healthy checks that every table still answers and holds what was seeded.
func (f *fixture) healthy(t *testing.T) {
	t.Helper()
	rows := []scenario{
		{name: "query sees the seeded documents", as: "user", method: "POST", path: collPath + "/query", body: `{"limit":1000}`, status: 200,
			check: func(t *testing.T, r result) {
				if n := len(docsIn(t, r)); n != f.visible {
					t.Fatalf("user sees %d documents, want %d", n, f.visible)
				}
			}},
		{name: "count as admin", as: "admin", method: "POST", path: collPath + "/count", body: `{}`, status: 200, check: func(t *testing.T, r result) {
			if !strings.Contains(string(r.body), `"count":7`) {
				t.Fatalf("count %s, want 7", r.body)
			}
		}},
		{name: "history answers", as: "user", method: "GET", path: docsPath + "/user-own/versions/1", status: 200},
		{name: "collections answer", as: "admin", admin: true, method: "GET", path: collPath, status: 200},
		{name: "indexes answer", as: "admin", admin: true, method: "GET", path: collPath + "/indexes", status: 200, check: func(t *testing.T, r result) {
			if !strings.Contains(string(r.body), `"by_title"`) {
				t.Fatalf("indexes %s lost by_title", r.body)
			}
		}},
		{name: "users answer", as: "admin", admin: true, method: "GET", path: "/api/v1/users", status: 200},
		{name: "sign-in still works", method: "POST", path: "/api/v1/auth/login", body: `{"username":"alice","password":"` + userPw + `"}`, status: 200},
	}
	f.run(t, rows)
}

// TestHostile sends every hostile row to a node of each engine.
func TestHostile(t *testing.T) {
	groups := []struct {
		name string
		rows func(*fixture) []scenario
	}{
		{"json", jsonRows},
		{"types", typeRows},
		{"utf8", utf8Rows},
		{"nesting", nestingRows},
		{"injection", injectionRows},
		{"reserved", reservedRows},
		{"acl", aclRows},
		{"others", othersRows},
		{"tokens", tokenRows},
		{"limits", limitRows},
		{"routes", routeRows},
	}
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e)
			for _, g := range groups {
				// Rows check what they aim at; the group checks the rest.
				before := f.state(t)
				t.Run(g.name, func(t *testing.T) { f.run(t, g.rows(f)) })
				before.diff(t, f.state(t))
				if g.name == "injection" {
					t.Run("healthy after injection", f.healthy)
				}
			}
			t.Run("body size", f.bodySize)
			t.Run("request ids", f.requestIDs)
			t.Run("healthy", f.healthy)
		})
	}
}

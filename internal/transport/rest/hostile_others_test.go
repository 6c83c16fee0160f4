package rest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

// othersRows use the admin's private ids as the normal user. Every answer
// must be the one a missing id gets, so nothing tells the two apart.
func othersRows(f *fixture) []scenario {
	var rows []scenario
	verbs := []struct {
		name, method, suffix, body string
		header                     map[string]string
	}{
		{"get", "GET", "", "", nil},
		{"version 1", "GET", "/versions/1", "", nil},
		{"version 2", "GET", "/versions/2", "", nil},
		{"replace", "PUT", "", `{"title":"taken"}`, nil},
		{"replace with acl", "PUT", "", `{"title":"taken","_acl":[{"id":"users","rights":63}]}`, nil},
		{"patch", "PATCH", "", `{"title":"taken"}`, nil},
		{"patch acl", "PATCH", "", `{"_acl":[{"id":"users","rights":63}]}`, nil},
		{"delete", "DELETE", "", "", nil},
		{"replace stale If-Match", "PUT", "", `{"title":"taken"}`, map[string]string{"If-Match": `"7"`}},
		{"patch right If-Match", "PATCH", "", `{"title":"taken"}`, map[string]string{"If-Match": `"1"`}},
		{"delete stale If-Match", "DELETE", "", "", map[string]string{"If-Match": `"7"`}},
		{"delete right If-Match", "DELETE", "", "", map[string]string{"If-Match": `"1"`}},
	}
	for _, v := range verbs {
		var body any
		if v.body != "" {
			body = v.body
		}
		missing := scenario{as: "user", method: v.method, path: docsPath + "/no-such-doc" + v.suffix, body: body, header: v.header}
		rows = append(rows, scenario{
			name: "admin's private/" + v.name, as: "user", method: v.method, path: docsPath + "/adm-private" + v.suffix,
			body: body, header: v.header, status: 404, code: errs.NotFound,
			check: f.sameAs(missing),
		})
	}
	q := func(name, ep, body string, check func(*testing.T, result)) {
		rows = append(rows, scenario{name: name, as: "user", method: "POST", path: collPath + "/" + ep, body: body, status: 200, check: check})
	}
	q("query by id", "query", `{"filter":{"_id":"adm-private"}}`, wantIDs())
	q("query by title", "query", `{"filter":{"title":"secret"}}`, wantIDs())
	q("query $or id", "query", `{"filter":{"$or":[{"_id":"adm-private"},{"_id":"no-such-doc"}]}}`, wantIDs())
	q("query $ne sees the rest", "query", `{"filter":{"title":{"$ne":"zzz"}},"limit":1000}`,
		wantIDs("shared-ro", "shared-rw", "user-own", "item-1", "item-2", "item-3"))
	q("query sort by _id", "query", `{"sort":{"_id":-1},"limit":1}`, wantIDs("user-own"))
	q("count by title", "count", `{"filter":{"title":"secret"}}`, wantBody(`"count":0`))
	q("count all", "count", `{}`, wantBody(`"count":6`))
	q("distinct titles", "distinct", `{"field":"title"}`, func(t *testing.T, r result) {
		if strings.Contains(string(r.body), "secret") {
			t.Fatalf("distinct shows a hidden value: %s", r.body)
		}
	})
	q("aggregate group", "aggregate", `{"pipeline":[{"$group":{"_id":null,"n":{"$sum":1}}}]}`, wantBody(`"n":6`))
	q("aggregate match title", "aggregate", `{"pipeline":[{"$match":{"title":"secret"}}]}`, wantIDs())
	q("aggregate sum of n", "aggregate", `{"pipeline":[{"$group":{"_id":null,"s":{"$sum":"$n"}}}]}`, wantBody(`"s":35`))
	// The users collection belongs to the identity service.
	users := "/api/v1/collections/users/documents/"
	rows = append(rows,
		scenario{name: "users/get admin", as: "user", method: "GET", path: users + f.adminID, status: 404, code: errs.NotFound,
			check: f.sameAs(scenario{as: "user", method: "GET", path: users + "no-such-user"})},
		scenario{name: "users/get admins role", as: "user", method: "GET", path: users + "admins", status: 404, code: errs.NotFound},
		scenario{name: "users/admin versions", as: "user", method: "GET", path: users + f.adminID + "/versions/1", status: 404, code: errs.NotFound},
		scenario{name: "users/replace admin", as: "user", method: "PUT", path: users + f.adminID, body: `{"username":"alice"}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/patch self into admins", as: "user", method: "PATCH", path: users + "admins", body: `{"members":["` + f.userID + `"]}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/patch own acl", as: "user", method: "PATCH", path: users + f.userID, body: `{"_acl":[{"id":"users","rights":63}]}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/delete admin", as: "user", method: "DELETE", path: users + f.adminID, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/insert", as: "user", method: "POST", path: "/api/v1/collections/users/documents",
			body: `{"_type":"user","username":"eve"}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/insert as admin", as: "admin", method: "POST", path: "/api/v1/collections/users/documents",
			body: `{"_type":"role","name":"x","members":[]}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "users/query sees self only", as: "user", method: "POST", path: "/api/v1/collections/users/query",
			body: `{"filter":{"_type":"user"}}`, status: 200, check: wantIDs(f.userID)},
		scenario{name: "users/settings", as: "admin", admin: true, method: "PUT", path: "/api/v1/collections/users",
			body: `{"create_acl":[{"id":"users","rights":1}]}`, status: 403, code: errs.PermissionDenied},
	)
	return rows
}

// sameAs compares an answer with the one other gets: same status, code and
// message, and no ETag either way.
func (f *fixture) sameAs(other scenario) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		o := f.do(t, other)
		if o.status != r.status || o.err.Code != r.err.Code || o.err.Message != r.err.Message {
			t.Fatalf("hidden: %d %s %q; missing: %d %s %q", r.status, r.err.Code, r.err.Message, o.status, o.err.Code, o.err.Message)
		}
		if r.header.Get("ETag") != "" || o.header.Get("ETag") != "" {
			t.Fatalf("an ETag on a refusal")
		}
	}
}

func wantBody(part string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("answer is not JSON: %.200s", r.body)
		}
		if !strings.Contains(string(r.body), part) {
			t.Fatalf("answer %.300s lacks %s", r.body, part)
		}
	}
}

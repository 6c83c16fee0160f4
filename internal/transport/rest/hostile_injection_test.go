package rest_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// injections are SQL fragments aimed at both engines' quoting rules.
var injections = []string{
	injLiteral,
	`" OR 1=1 --`,
	`a) OR (1=1`,
	`1; DELETE FROM history`,
	`'||(SELECT body FROM records LIMIT 1)||'`,
	`$$; DROP SCHEMA public CASCADE; $$`,
	`title') = '' OR json_extract(body, '$') IS NOT NULL --`,
	"x`; DROP TABLE changes; --",
	`\'; TRUNCATE collections; --`,
}

func js(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// injectionRows put SQL into every name, id, path and value a request can
// carry. Names, ids and paths have grammars and must be refused; values
// must be compared as values and match only what equals them.
func injectionRows(f *fixture) []scenario {
	var rows []scenario
	bad := func(name, as string, admin bool, method, path string, body any) {
		rows = append(rows, scenario{name: name, as: as, admin: admin, method: method, path: path, body: body, status: 400, code: errs.InvalidArgument})
	}
	for i, s := range injections {
		n := "#" + itoa(i) + " "
		seg := url.PathEscape(s)
		c := "/api/v1/collections/" + seg
		bad(n+"collection/get", "user", false, "GET", c+"/documents/user-own", nil)
		bad(n+"collection/insert", "user", false, "POST", c+"/documents", `{"title":"x"}`)
		bad(n+"collection/replace", "user", false, "PUT", c+"/documents/user-own", `{"title":"x"}`)
		bad(n+"collection/delete", "user", false, "DELETE", c+"/documents/user-own", nil)
		bad(n+"collection/query", "user", false, "POST", c+"/query", `{}`)
		bad(n+"collection/count", "user", false, "POST", c+"/count", `{}`)
		bad(n+"collection/distinct", "user", false, "POST", c+"/distinct", `{"field":"title"}`)
		bad(n+"collection/aggregate", "user", false, "POST", c+"/aggregate", `{"pipeline":[]}`)
		bad(n+"collection/put", "admin", true, "PUT", c, `{}`)
		bad(n+"collection/get settings", "admin", true, "GET", c, nil)
		bad(n+"collection/indexes", "admin", true, "GET", c+"/indexes", nil)
		bad(n+"id/get", "user", false, "GET", docsPath+"/"+seg, nil)
		bad(n+"id/replace", "user", false, "PUT", docsPath+"/"+seg, `{"title":"x"}`)
		bad(n+"id/patch", "user", false, "PATCH", docsPath+"/"+seg, `{"title":"x"}`)
		bad(n+"id/delete", "user", false, "DELETE", docsPath+"/"+seg, nil)
		bad(n+"id/versions", "user", false, "GET", docsPath+"/"+seg+"/versions/1", nil)
		bad(n+"id/in body", "user", false, "POST", docsPath, js(map[string]any{"_id": s, "title": "x"}))
		bad(n+"filter path", "user", false, "POST", collPath+"/query", js(map[string]any{"filter": map[string]any{s: 1}}))
		bad(n+"filter path in $or", "user", false, "POST", collPath+"/count", js(map[string]any{"filter": map[string]any{"$or": []any{map[string]any{s: 1}}}}))
		bad(n+"filter operator", "user", false, "POST", collPath+"/count", js(map[string]any{"filter": map[string]any{"title": map[string]any{"$" + s: 1}}}))
		bad(n+"sort key", "user", false, "POST", collPath+"/query", js(map[string]any{"sort": map[string]any{s: 1}}))
		bad(n+"projection key", "user", false, "POST", collPath+"/query", js(map[string]any{"projection": map[string]any{s: 1}}))
		bad(n+"distinct field", "user", false, "POST", collPath+"/distinct", js(map[string]any{"field": s}))
		bad(n+"group key", "user", false, "POST", collPath+"/aggregate", js(map[string]any{"pipeline": []any{map[string]any{"$group": map[string]any{"_id": "$" + s}}}}))
		bad(n+"group output", "user", false, "POST", collPath+"/aggregate", js(map[string]any{"pipeline": []any{map[string]any{"$group": map[string]any{"_id": nil, s: map[string]any{"$sum": 1}}}}}))
		bad(n+"pipeline sort key", "user", false, "POST", collPath+"/aggregate", js(map[string]any{"pipeline": []any{map[string]any{"$sort": map[string]any{s: 1}}}}))
		bad(n+"project key", "user", false, "POST", collPath+"/aggregate", js(map[string]any{"pipeline": []any{map[string]any{"$project": map[string]any{s: 1}}}}))
		bad(n+"count name", "user", false, "POST", collPath+"/aggregate", js(map[string]any{"pipeline": []any{map[string]any{"$count": s}}}))
		bad(n+"index name", "admin", true, "POST", collPath+"/indexes", js(map[string]any{"name": s, "fields": []string{"title"}}))
		bad(n+"index field", "admin", true, "POST", collPath+"/indexes", js(map[string]any{"name": "ix_inj", "fields": []string{s}}))
		bad(n+"acl principal", "user", false, "POST", docsPath, js(map[string]any{"title": "x", "_acl": []any{map[string]any{"id": s, "rights": 2}}}))
		bad(n+"role name", "admin", true, "POST", "/api/v1/roles", js(map[string]any{"name": s, "members": []string{}}))
		bad(n+"role member", "admin", true, "PUT", "/api/v1/roles/"+f.roleID+"/members", js(map[string]any{"members": []string{s}}))
		bad(n+"create username", "admin", true, "POST", "/api/v1/users", js(map[string]any{"username": s, "password": "long-enough-pw"}))
		bad(n+"list after", "admin", true, "GET", "/api/v1/users?after="+url.QueryEscape(s), nil)
		// A name that fits the grammar is simply not there; one that does
		// not is refused before any lookup.
		idStatus, idCode := 404, errs.NotFound
		if !acl.ValidPrincipalID(s) {
			idStatus, idCode = 400, errs.InvalidArgument
		}
		ixStatus, ixCode := 404, errs.NotFound
		if store.ValidIndexName(s) != nil {
			ixStatus, ixCode = 400, errs.InvalidArgument
		}
		rows = append(rows,
			scenario{name: n + "drop index", as: "admin", admin: true, method: "DELETE", path: collPath + "/indexes/" + seg, status: ixStatus, code: ixCode},
			scenario{name: n + "user id", as: "admin", admin: true, method: "GET", path: "/api/v1/users/" + seg, status: idStatus, code: idCode},
			scenario{name: n + "role id", as: "admin", admin: true, method: "GET", path: "/api/v1/roles/" + seg, status: idStatus, code: idCode},
			scenario{name: n + "login username", method: "POST", path: "/api/v1/auth/login",
				body: js(map[string]string{"username": s, "password": userPw}), status: 401, code: errs.Unauthenticated},
			scenario{name: n + "login password", method: "POST", path: "/api/v1/auth/login",
				body: js(map[string]string{"username": "alice", "password": s}), status: 401, code: errs.Unauthenticated},
		)
		// Values are data: they match what equals them and nothing else.
		want := []string{}
		if s == injLiteral {
			want = []string{"item-3"}
		}
		value := func(name string, filter any, ids ...string) {
			rows = append(rows, scenario{name: n + name, as: "user", method: "POST", path: collPath + "/query",
				body: js(map[string]any{"filter": filter}), status: 200, check: wantIDs(ids...)})
		}
		value("value $eq", map[string]any{"title": s}, want...)
		value("value $in", map[string]any{"title": map[string]any{"$in": []any{s, "no such title"}}}, want...)
		value("value in array field", map[string]any{"tags": s})
		value("value nested path", map[string]any{"meta.note": s})
		value("value $gt on number", map[string]any{"n": map[string]any{"$gt": s}})
		value("value $regex literal", map[string]any{"title": map[string]any{"$regex": "^" + regexpQuote(s) + "$"}}, want...)
		rows = append(rows,
			scenario{name: n + "value count", as: "user", method: "POST", path: collPath + "/count",
				body: js(map[string]any{"filter": map[string]any{"title": s}}), status: 200,
				check: func(t *testing.T, r result) {
					var out struct{ Count int }
					json.Unmarshal(r.body, &out)
					if out.Count != len(want) {
						t.Fatalf("count %d, want %d", out.Count, len(want))
					}
				}},
			scenario{name: n + "value distinct", as: "user", method: "POST", path: collPath + "/distinct",
				body: js(map[string]any{"field": "n", "filter": map[string]any{"title": map[string]any{"$ne": s}}}), status: 200,
				check: func(t *testing.T, r result) {
					var out struct{ Values []any }
					json.Unmarshal(r.body, &out)
					if len(out.Values) != f.visible-len(want) {
						t.Fatalf("distinct %v, want %d values", out.Values, f.visible-len(want))
					}
				}},
			scenario{name: n + "value aggregate", as: "user", method: "POST", path: collPath + "/aggregate",
				body: js(map[string]any{"pipeline": []any{map[string]any{"$match": map[string]any{"title": s}}}}), status: 200, check: wantIDs(want...)},
		)
	}
	return rows
}

// regexpQuote escapes RE2 metacharacters.
func regexpQuote(s string) string {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$':
			out = append(out, '\\', c)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

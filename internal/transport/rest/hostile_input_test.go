package rest_test

import (
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// utf8Rows put invalid UTF-8 everywhere text enters: raw bytes in bodies,
// lone surrogate escapes (which encoding/json would quietly turn into
// U+FFFD), and percent-encoded bytes in path segments.
func utf8Rows(f *fixture) []scenario {
	var rows []scenario
	bodies := []struct{ name, body string }{
		{"raw value", "{\"title\":\"\xff\xfe\"}"},
		{"raw key", "{\"\xc3\x28\":1}"},
		{"overlong encoding", "{\"title\":\"\xc0\xaf\"}"},
		{"encoded surrogate", "{\"title\":\"\xed\xa0\x80\"}"},
		{"truncated sequence", "{\"title\":\"\xe2\x82\"}"},
		{"lone high surrogate escape", `{"title":"\ud800"}`},
		{"lone low surrogate escape", `{"title":"a\udc00b"}`},
		{"reversed surrogate pair", `{"title":"\udc00\ud800"}`},
		{"surrogate escape in key", `{"\ud83d":1}`},
		{"surrogate escape nested", `{"a":{"b":["\udfff"]}}`},
	}
	for _, e := range f.bodyEndpoints() {
		if !e.doc {
			continue
		}
		for _, b := range bodies {
			rows = append(rows, e.send(b.name, b.body))
		}
	}
	rows = append(rows,
		endpoint{"insert many", "user", false, "POST", docsPath, true}.send("raw value in second", "[{\"title\":\"a\"},{\"title\":\"\xff\"}]"),
		endpoint{"insert many", "user", false, "POST", docsPath, true}.send("surrogate in second", `[{"title":"a"},{"title":"\ud800"}]`),
	)
	reqs := []struct {
		ep   string
		body string
	}{
		{"query", "{\"filter\":{\"title\":\"\xff\"}}"},
		{"query", `{"filter":{"title":"\ud800"}}`},
		{"query", "{\"filter\":{\"ti\xfftle\":1}}"},
		{"query", "{\"sort\":{\"\xfe\":1}}"},
		{"query", "{\"projection\":{\"\xfe\":1}}"},
		{"query", `{"cursor":"\udbff"}`},
		{"count", "{\"filter\":{\"title\":{\"$regex\":\"\xff\"}}}"},
		{"distinct", "{\"field\":\"ti\xfftle\"}"},
		{"distinct", `{"field":"\ud800"}`},
		{"aggregate", "{\"pipeline\":[{\"$match\":{\"title\":\"\xff\"}}]}"},
		{"login", "{\"username\":\"ali\xffce\",\"password\":\"" + userPw + "\"}"},
		{"login", `{"username":"alice\udc00","password":"` + userPw + `"}`},
		{"login", "{\"username\":\"alice\",\"password\":\"\xff" + userPw + "\"}"},
		{"create user", "{\"username\":\"b\xffb\",\"password\":\"long-enough-pw\"}"},
		{"create user", `{"username":"bob","password":"long-enough-pw","name":"\ud800"}`},
		{"update user", "{\"name\":\"\xff\"}"},
		{"update user", `{"email":"\udc00@example.com"}`},
		{"create role", "{\"name\":\"r\xff\",\"members\":[]}"},
		{"set members", "{\"members\":[\"\xff\"]}"},
		{"create index", "{\"name\":\"ix\",\"fields\":[\"\xff\"]}"},
	}
	byName := map[string]endpoint{}
	for _, e := range f.bodyEndpoints() {
		byName[e.name] = e
	}
	for i, r := range reqs {
		rows = append(rows, byName[r.ep].send("invalid text "+itoa(i), r.body))
	}
	// Bytes that are not UTF-8, NUL and non-ASCII letters in path segments.
	for _, seg := range []string{"%ff", "%ff%fe", "%c3%28", "%ed%a0%80", "%00", "a%00b", "th%C3%A9", "%e2%80%ae", "a%2Fb", "%20"} {
		rows = append(rows,
			scenario{name: "collection " + seg + "/get", as: "user", method: "GET", path: "/api/v1/collections/" + seg + "/documents/user-own", status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/insert", as: "user", method: "POST", path: "/api/v1/collections/" + seg + "/documents", body: `{"title":"x"}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/query", as: "user", method: "POST", path: "/api/v1/collections/" + seg + "/query", body: `{}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/count", as: "user", method: "POST", path: "/api/v1/collections/" + seg + "/count", body: `{}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/watch", as: "user", method: "GET", path: "/api/v1/collections/" + seg + "/watch", status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/put", as: "admin", admin: true, method: "PUT", path: "/api/v1/collections/" + seg, body: `{}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "collection " + seg + "/create index", as: "admin", admin: true, method: "POST", path: "/api/v1/collections/" + seg + "/indexes", body: `{"name":"ix","fields":["a"]}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "id " + seg + "/get", as: "user", method: "GET", path: docsPath + "/" + seg, status: 400, code: errs.InvalidArgument},
			scenario{name: "id " + seg + "/replace", as: "user", method: "PUT", path: docsPath + "/" + seg, body: `{"title":"x"}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "id " + seg + "/patch", as: "user", method: "PATCH", path: docsPath + "/" + seg, body: `{"title":"x"}`, status: 400, code: errs.InvalidArgument},
			scenario{name: "id " + seg + "/delete", as: "user", method: "DELETE", path: docsPath + "/" + seg, status: 400, code: errs.InvalidArgument},
			scenario{name: "id " + seg + "/version", as: "user", method: "GET", path: docsPath + "/" + seg + "/versions/1", status: 400, code: errs.InvalidArgument},
		)
	}
	// NUL is valid JSON and valid UTF-8, but PostgreSQL stores it in
	// neither text nor jsonb: both engines must refuse it alike.
	nul := []struct{ ep, body string }{
		{"insert", `{"title":"a\u0000b"}`},
		{"insert", `{"a":{"b":["\u0000"]}}`},
		{"insert", `{"_type":"t\u0000"}`},
		{"insert", `{"_encrypt":["a\u0000"]}`},
		{"replace", `{"title":"\u0000"}`},
		{"patch", `{"title":"\u0000"}`},
		{"query", `{"filter":{"title":"a\u0000b"}}`},
		{"query", `{"filter":{"title":{"$in":["\u0000"]}}}`},
		{"query", `{"filter":{"title":{"$gt":"\u0000"}}}`},
		{"count", `{"filter":{"title":{"$ne":"\u0000"}}}`},
		{"aggregate", `{"pipeline":[{"$match":{"title":"\u0000"}}]}`},
		{"query", `{"cursor":"\u0000"}`},
		{"create user", `{"username":"nul","password":"long-enough-pw","name":"a\u0000"}`},
		{"update user", `{"email":"\u0000"}`},
		{"put collection", `{"encrypted_fields":["a\u0000"]}`},
	}
	for i, n := range nul {
		rows = append(rows, byName[n.ep].send("NUL "+itoa(i), n.body))
	}
	// Numbers both engines must hold alike: no overflow, and no underflow
	// past what PostgreSQL's numeric keeps.
	tiny := "0." + strings.Repeat("0", 20000) + "1"
	numbers := []struct{ ep, body string }{
		{"insert", `{"n":1e-20000}`},
		{"insert", `{"n":` + tiny + `}`},
		{"insert", `{"n":-1e-400000}`},
		{"insert", `{"n":1` + strings.Repeat("0", 400) + `}`},
		{"replace", `{"n":1e-20000}`},
		{"patch", `{"n":1e-20000}`},
		{"query", `{"filter":{"n":1e-20000}}`},
		{"query", `{"filter":{"n":{"$gt":` + tiny + `}}}`},
		{"count", `{"filter":{"n":{"$in":[1e400]}}}`},
	}
	for i, n := range numbers {
		rows = append(rows, byName[n.ep].send("number "+itoa(i), n.body))
	}
	// The identity and index paths take their ids straight to the store.
	for _, seg := range []string{"%ff", "%c3%28", "%00", "a%00b", "%ed%a0%80", "%01"} {
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/users/" + seg, ""},
			{"PATCH", "/api/v1/users/" + seg, `{"name":"x"}`},
			{"DELETE", "/api/v1/users/" + seg, ""},
			{"GET", "/api/v1/roles/" + seg, ""},
			{"DELETE", "/api/v1/roles/" + seg, ""},
			{"PUT", "/api/v1/roles/" + seg + "/members", `{"members":[]}`},
			{"DELETE", collPath + "/indexes/" + seg, ""},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			rows = append(rows, scenario{name: "admin " + c.method + " " + c.path, as: "admin", admin: true,
				method: c.method, path: c.path, body: body, status: 400, code: errs.InvalidArgument})
		}
	}
	return rows
}

// deep nests open and close n times around inner.
func deep(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// nestingRows send 100 levels of nesting wherever JSON goes in, and filters
// and pipelines that are shallow as JSON but deep as logic.
func nestingRows(f *fixture) []scenario {
	docObj := `{"title":"deep","a":` + deep(`{"a":`, `1`, `}`, 100) + `}`
	docArr := `{"title":"deep","a":` + deep(`[`, `1`, `]`, 100) + `}`
	logic := func(n int) string { return deep(`{"$and":[`, `{"title":"a"}`, `]}`, n) }
	var rows []scenario
	for _, e := range f.bodyEndpoints()[:3] {
		rows = append(rows,
			e.send("100 nested objects", docObj),
			e.send("100 nested arrays", docArr),
			e.send("10000 nested arrays", `{"a":`+deep(`[`, ``, `]`, 10000)+`}`),
		)
	}
	byName := map[string]endpoint{}
	for _, e := range f.bodyEndpoints() {
		byName[e.name] = e
	}
	q, c, a := byName["query"], byName["count"], byName["aggregate"]
	rows = append(rows,
		byName["insert"].send("100 nested in an array insert", `[{"title":"ok"},`+docObj+`]`),
		q.send("filter 100 $and levels", `{"filter":`+logic(100)+`}`),
		q.send("filter 12 $and levels", `{"filter":`+logic(12)+`}`),
		q.send("filter 100 $or levels", `{"filter":`+deep(`{"$or":[`, `{"n":1}`, `]}`, 100)+`}`),
		q.send("filter 100 $not levels", `{"filter":{"n":`+deep(`{"$not":`, `{"$gt":1}`, `}`, 100)+`}}`),
		q.send("filter 100 $elemMatch levels", `{"filter":{"tags":`+deep(`{"$elemMatch":{"x":`, `1`, `}}`, 100)+`}}`),
		q.send("filter value 100 deep", `{"filter":{"title":`+deep(`{"v":`, `1`, `}`, 100)+`}}`),
		q.send("filter value 20 deep", `{"filter":{"title":`+deep(`[`, `1`, `]`, 20)+`}}`),
		q.send("sort nested", `{"sort":{"title":{"a":1}}}`),
		q.send("projection nested", `{"projection":{"title":{"a":1}}}`),
		c.send("filter 100 levels", `{"filter":`+logic(100)+`}`),
		byName["distinct"].send("filter 100 levels", `{"field":"title","filter":`+logic(100)+`}`),
		a.send("pipeline 100 levels", `{"pipeline":[{"$match":`+logic(100)+`}]}`),
		a.send("pipeline 12 logical levels", `{"pipeline":[{"$match":`+logic(12)+`}]}`),
		a.send("pipeline nested arrays", `{"pipeline":`+deep(`[`, ``, `]`, 100)+`}`),
		a.send("group key 100 deep", `{"pipeline":[{"$group":{"_id":`+deep(`{"k":`, `"$title"`, `}`, 100)+`}}]}`),
		byName["put collection"].send("create_acl 100 deep", `{"create_acl":`+deep(`[`, ``, `]`, 100)+`}`),
		byName["login"].send("100 deep username", `{"username":`+deep(`[`, `"a"`, `]`, 100)+`,"password":"x"}`),
	)
	return rows
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

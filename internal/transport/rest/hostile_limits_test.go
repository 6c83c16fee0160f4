package rest_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

func manyDocs(n int, last string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		b.WriteString(`{"title":"bulk","i":` + itoa(i) + `},`)
	}
	b.WriteString(last + `]`)
	return b.String()
}

func list(n int, item func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return strings.Join(parts, ",")
}

// limitRows push every bound one step and many steps past its edge.
func limitRows(f *fixture) []scenario {
	var rows []scenario
	add := func(sc scenario) { rows = append(rows, sc) }
	q := func(name, ep, body string) {
		add(scenario{name: ep + "/" + name, as: "user", method: "POST", path: collPath + "/" + ep, body: body, status: 400, code: errs.InvalidArgument})
	}
	// Page sizes.
	for _, l := range []string{"-1", "-1000", "1001", "2147483648", "9223372036854775808", "1e400"} {
		q("limit "+l, "query", `{"limit":`+l+`}`)
	}
	add(scenario{name: "query/limit 0", as: "user", method: "POST", path: collPath + "/query", body: `{"limit":0}`, status: 400, code: errs.InvalidArgument})
	for _, l := range []string{"0", "-1", "1001", "abc", "1e3", "99999999999999999999", "%00"} {
		add(scenario{name: "users ?limit=" + l, as: "admin", admin: true, method: "GET", path: "/api/v1/users?limit=" + l, status: 400, code: errs.InvalidArgument})
		add(scenario{name: "roles ?limit=" + l, as: "admin", admin: true, method: "GET", path: "/api/v1/roles?limit=" + l, status: 400, code: errs.InvalidArgument})
	}
	add(scenario{name: "users ?after=bad id", as: "admin", admin: true, method: "GET", path: "/api/v1/users?after=a%20b", status: 400, code: errs.InvalidArgument})
	// If-Match: garbage is invalid_argument, a stale version is
	// failed_precondition, and neither writes.
	writes := []struct{ name, method, body string }{{"replace", "PUT", `{"title":"x"}`}, {"patch", "PATCH", `{"title":"x"}`}, {"delete", "DELETE", ""}}
	for _, w := range writes {
		var body any
		if w.body != "" {
			body = w.body
		}
		for _, im := range []string{"abc", `W/"abc"`, `"0"`, "-1", `"-3"`, "99999999999999999999", `"1", "3"`, "*", "3.0", "0x3", `"3`, "\xff"} {
			add(scenario{name: w.name + "/If-Match " + im, as: "user", method: w.method, path: docsPath + "/user-own", body: body,
				header: map[string]string{"If-Match": im}, status: 400, code: errs.InvalidArgument})
		}
		for _, im := range []string{`"1"`, "2", `W/"1"`, `"4"`, "9223372036854775807"} {
			add(scenario{name: w.name + "/stale If-Match " + im, as: "user", method: w.method, path: docsPath + "/user-own", body: body,
				header: map[string]string{"If-Match": im}, status: 412, code: errs.FailedPrecondition, check: wantBody(`"version":3`)})
		}
	}
	// Version numbers in the path.
	for _, v := range []string{"0", "-1", "abc", "1.5", "1e2", "0x1", "%201", "99999999999999999999", "-9223372036854775808", "%00"} {
		add(scenario{name: "version " + v, as: "user", method: "GET", path: docsPath + "/user-own/versions/" + v, status: 400, code: errs.InvalidArgument})
	}
	for _, v := range []string{"4", "9223372036854775807"} {
		add(scenario{name: "version " + v, as: "user", method: "GET", path: docsPath + "/user-own/versions/" + v, status: 404, code: errs.NotFound})
	}
	// Insert arrays are all or nothing.
	ins := func(name, body string, status int, code errs.Code) {
		add(scenario{name: "insert/" + name, as: "user", method: "POST", path: docsPath, body: body, status: status, code: code})
	}
	ins("1001 documents", manyDocs(1000, `{"title":"one too many"}`), 400, errs.InvalidArgument)
	ins("5000 documents", manyDocs(4999, `{}`), 400, errs.InvalidArgument)
	ins("1000 then a bad one", manyDocs(999, `{"_version":1}`), 400, errs.InvalidArgument)
	ins("1000 then a taken id", manyDocs(999, `{"_id":"user-own"}`), 409, errs.Conflict)
	ins("1000 then a hidden id", manyDocs(999, `{"_id":"adm-private"}`), 409, errs.Conflict)
	ins("document over 4 MiB", `{"title":"`+strings.Repeat("x", 5<<20)+`"}`, 413, errs.TooLarge)
	ins("4 MiB document in an array", `[{"title":"a"},{"title":"`+strings.Repeat("x", 5<<20)+`"}]`, 413, errs.TooLarge)
	add(scenario{name: "replace/document over 4 MiB", as: "user", method: "PUT", path: docsPath + "/user-own",
		body: `{"title":"` + strings.Repeat("x", 5<<20) + `"}`, status: 413, code: errs.TooLarge})
	add(scenario{name: "patch/document over 4 MiB", as: "user", method: "PATCH", path: docsPath + "/user-own",
		body: `{"title":"` + strings.Repeat("x", 5<<20) + `"}`, status: 413, code: errs.TooLarge})
	// Query complexity.
	nums := func(n int) string { return list(n, func(i int) string { return itoa(i) }) }
	strs := func(n int) string { return list(n, func(i int) string { return `"value-` + itoa(i) + `"` }) }
	q("$in 10000 numbers", "query", `{"filter":{"n":{"$in":[`+nums(10000)+`]}}}`)
	q("$in 10000 strings", "query", `{"filter":{"title":{"$in":[`+strs(10000)+`]}}}`)
	q("$nin 1001", "count", `{"filter":{"n":{"$nin":[`+nums(1001)+`]}}}`)
	q("$in not a list", "count", `{"filter":{"n":{"$in":5}}}`)
	q("300 conditions", "count", `{"filter":{"$and":[`+list(300, func(i int) string { return `{"n":` + itoa(i) + `}` })+`]}}`)
	q("filter over 64 KiB", "count", `{"filter":{"title":"`+strings.Repeat("x", 70<<10)+`"}}`)
	q("regex 257 bytes", "query", `{"filter":{"title":{"$regex":"`+strings.Repeat("a", 257)+`"}}}`)
	q("regex 100 KiB", "query", `{"filter":{"title":{"$regex":"`+strings.Repeat("a", 100<<10)+`"}}}`)
	for _, rx := range []string{`(`, `a{1000}`, `a{2,256}`, `(?=a)`, `(a)\\1`, `\\p{Nope}`, `[z-a]`, `\u0000`, `\\C`, `(?<!a)b`} {
		q("regex "+rx, "query", `{"filter":{"title":{"$regex":"`+rx+`"}}}`)
	}
	// Valid RE2 that the PostgreSQL translation must carry or refuse,
	// never pass through to fail inside the database.
	for _, rx := range []string{`\\Qa.b\\E`, `(?P<x>zz)(?P<y>q)`, `q\\z`, `(?s)^.z$`, `^\\pL+\\PL\\d$`, `^[[:^alpha:]]+$`, `(?U)z+`, `\\x{1F600}`, `^[\\d-]+$`, `^qa{0,255}$`, `(?i)^SECRET$`} {
		add(scenario{name: "query/valid regex " + rx, as: "user", method: "POST", path: collPath + "/query",
			body: `{"filter":{"title":{"$regex":"` + rx + `"}}}`, status: 200, check: wantIDs()})
	}
	q("regex options g", "query", `{"filter":{"title":{"$regex":"a","$options":"g"}}}`)
	q("regex options number", "query", `{"filter":{"title":{"$regex":"a","$options":1}}}`)
	q("regex number", "query", `{"filter":{"title":{"$regex":5}}}`)
	q("options without regex", "query", `{"filter":{"title":{"$options":"i"}}}`)
	for _, op := range []string{
		`{"$where":"sleep(1000)"}`,
		`{"$where":"function() { return true }"}`,
		`{"title":{"$where":"1"}}`,
		`{"$expr":{"$eq":["$title","$n"]}}`,
		`{"title":{"$expr":1}}`,
		`{"$function":{"body":"return 1","args":[],"lang":"js"}}`,
		`{"n":{"$function":{}}}`,
		`{"$accumulator":{}}`,
		`{"$jsonSchema":{}}`,
		`{"$text":{"$search":"x"}}`,
		`{"$comment":"x"}`,
		`{"n":{"$mod":[2,0]}}`,
		`{"title":{"$eq":"a","$foo":1}}`,
		`{"title":{"$gt":{"a":1}}}`,
		`{"$and":[]}`,
		`{"$or":{}}`,
		`{"$not":{"n":1}}`,
		`{"n":{"$not":5}}`,
		`{"tags":{"$elemMatch":5}}`,
		`{"n":{"$exists":"yes"}}`,
	} {
		q("operator "+op, "query", `{"filter":`+op+`}`)
		q("operator "+op, "aggregate", `{"pipeline":[{"$match":`+op+`}]}`)
	}
	for _, st := range []string{
		`{"$lookup":{"from":"users","localField":"a","foreignField":"_id","as":"u"}}`,
		`{"$graphLookup":{"from":"users"}}`,
		`{"$unionWith":"users"}`,
		`{"$out":"stolen"}`,
		`{"$merge":{"into":"users"}}`,
		`{"$function":{}}`,
		`{"$addFields":{"x":1}}`,
		`{"$set":{"x":1}}`,
		`{"$unwind":"$tags"}`,
		`{"$facet":{}}`,
		`{"$where":"1"}`,
		`{"$limit":0}`,
		`{"$limit":-1}`,
		`{"$limit":100001}`,
		`{"$limit":"5"}`,
		`{"$sort":{}}`,
		`{"$sort":{"n":2}}`,
		`{"$count":""}`,
		`{"$count":"$x"}`,
		`{"$group":{"n":{"$sum":1}}}`,
		`{"$group":{"_id":null,"n":{"$where":1}}}`,
		`{"$project":{"a":1,"b":0}}`,
	} {
		q("stage "+st, "aggregate", `{"pipeline":[`+st+`]}`)
	}
	q("17 stages", "aggregate", `{"pipeline":[`+list(17, func(int) string { return `{"$limit":10}` })+`]}`)
	q("9 sort keys", "query", `{"sort":{`+list(9, func(i int) string { return `"k` + itoa(i) + `":1` })+`}}`)
	q("sort direction 2", "query", `{"sort":{"n":2}}`)
	q("sort direction string", "query", `{"sort":{"n":"1"}}`)
	q("projection mixed", "query", `{"projection":{"title":1,"n":0}}`)
	q("projection array index", "query", `{"projection":{"tags.0":1}}`)
	q("projection collision", "query", `{"projection":{"a":1,"a.b":1}}`)
	q("projection 2", "query", `{"projection":{"title":2}}`)
	q("path 17 segments", "distinct", `{"field":"`+list(17, func(int) string { return "a" })+`"}`)
	q("path segment 65 bytes", "distinct", `{"field":"`+strings.Repeat("a", 65)+`"}`)
	q("path index 10 digits", "distinct", `{"field":"tags.1234567890"}`)
	q("path empty segment", "distinct", `{"field":"a..b"}`)
	// Cursors are opaque but only base64: forged ones carry values into
	// the keyset comparison.
	cur := func(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
	for i, c := range []string{
		`{"v":[1e-20000],"id":"x"}`,
		`{"v":[1e400],"id":"x"}`,
		`{"v":["a\u0000"],"id":"x"}`,
		`{"v":["\ud800"],"id":"x"}`,
		`{"v":[1],"id":"a\u0000"}`,
		`{"v":[1],"id":"\udc00"}`,
		"{\"v\":[1],\"id\":\"\xff\"}",
		`{"v":[1],"id":""}`,
		`{"v":[1,2],"id":"x"}`,
		`{"v":[1],"id":"x","w":1}`,
		`{"v":[1],"id":"x","id":"y"}`,
		`{"v":1,"id":"x"}`,
		`[1,"x"]`,
		`{"v":[[[[1]]]],"id":"x"}`,
	} {
		q("forged cursor "+itoa(i), "query", `{"sort":{"n":1},"cursor":"`+cur(c)+`"}`)
	}
	for i, c := range []string{`{"v":["x'); DROP TABLE documents; --"],"id":"x"}`, `{"v":[{"$gt":0}],"id":"item-1"}`, `{"v":[null],"id":"' OR 1=1 --"}`} {
		add(scenario{name: "query/forged cursor value " + itoa(i), as: "user", method: "POST", path: collPath + "/query",
			body: `{"sort":{"title":1},"cursor":"` + cur(c) + `"}`, status: 200})
	}
	// Watch refuses a bad resume point before it starts streaming.
	for _, s := range []string{"abc", "-1", "1.5", "99999999999999999999", "%00"} {
		add(scenario{name: "watch ?since=" + s, as: "user", method: "GET", path: collPath + "/watch?since=" + s, status: 400, code: errs.InvalidArgument})
	}
	add(scenario{name: "watch Last-Event-ID garbage", as: "user", method: "GET", path: collPath + "/watch",
		header: map[string]string{"Last-Event-ID": "x; DROP"}, status: 400, code: errs.InvalidArgument})
	return rows
}

// routeRows call what is not there, or with the wrong method.
func routeRows(f *fixture) []scenario {
	var rows []scenario
	nf := func(name string, admin bool, method, path string) {
		rows = append(rows, scenario{name: name, as: "admin", admin: admin, method: method, path: path, status: 404, code: errs.NotFound})
	}
	nf("unknown api", false, "GET", "/api/v1/nope")
	nf("root", false, "GET", "/")
	nf("api root", false, "GET", "/api")
	nf("v2", false, "GET", "/api/v2/me")
	nf("trailing slash", false, "GET", "/api/v1/me/")
	nf("list documents", false, "GET", docsPath)
	nf("document subpath", false, "GET", docsPath+"/user-own/acl")
	nf("versions without n", false, "GET", docsPath+"/user-own/versions")
	nf("wrong method login", false, "GET", "/api/v1/auth/login")
	nf("wrong method query", false, "PUT", collPath+"/query")
	nf("wrong method me", false, "DELETE", "/api/v1/me")
	nf("wrong method healthz", false, "POST", "/healthz")
	nf("wrong method insert", false, "PATCH", docsPath)
	nf("custom method", false, "BREW", docsPath+"/user-own")
	nf("OPTIONS", false, "OPTIONS", docsPath+"/user-own")
	nf("admin path on public", false, "GET", "/api/v1/users")
	nf("collection settings on public", false, "PUT", collPath)
	nf("public path on admin", true, "POST", collPath+"/query")
	nf("login on admin", true, "POST", "/api/v1/auth/login")
	nf("wrong method users", true, "PUT", "/api/v1/users")
	nf("wrong method index", true, "PATCH", collPath+"/indexes/by_title")
	nf("dot segments", false, "GET", docsPath+"/../../../../root")
	nf("dot segment id", false, "GET", docsPath+"/./user-own")
	nf("double slash", false, "GET", "//api/v1/me")
	nf("double slash inside", false, "GET", "/api/v1//collections/things/documents/user-own")
	nf("encoded dot segments", false, "GET", docsPath+"/%2e%2e/%2e%2e/x")
	nf("admin dot segments", true, "GET", "/api/v1/users/../roles")
	rows = append(rows, scenario{name: "100 KB path", as: "admin", method: "GET", path: "/api/v1/" + strings.Repeat("a", 100<<10),
		status: 404, code: errs.NotFound, check: func(t *testing.T, r result) {
			if len(r.err.Message) > 300 {
				t.Fatalf("message of %d bytes echoes the whole path", len(r.err.Message))
			}
		}})
	return rows
}

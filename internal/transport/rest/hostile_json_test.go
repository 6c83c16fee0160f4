package rest_test

import (
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// endpoint is one place a request body goes in.
type endpoint struct {
	name   string
	as     string
	admin  bool
	method string
	path   string
	doc    bool // the body is a document rather than a request object
}

// send is a row that sends body to e and expects 400 invalid_argument.
func (e endpoint) send(what string, body any) scenario {
	return scenario{
		name: e.name + "/" + what, as: e.as, admin: e.admin, method: e.method, path: e.path,
		body: body, status: 400, code: errs.InvalidArgument,
	}
}

func (sc scenario) want(status int, code errs.Code) scenario {
	sc.status, sc.code = status, code
	return sc
}

func (sc scenario) withCT(ct string) scenario {
	sc.ct = ct
	return sc
}

func (f *fixture) bodyEndpoints() []endpoint {
	return []endpoint{
		{"insert", "user", false, "POST", docsPath, true},
		{"replace", "user", false, "PUT", docsPath + "/user-own", true},
		{"patch", "user", false, "PATCH", docsPath + "/user-own", true},
		{"query", "user", false, "POST", collPath + "/query", false},
		{"count", "user", false, "POST", collPath + "/count", false},
		{"distinct", "user", false, "POST", collPath + "/distinct", false},
		{"aggregate", "user", false, "POST", collPath + "/aggregate", false},
		{"login", "", false, "POST", "/api/v1/auth/login", false},
		{"create user", "admin", true, "POST", "/api/v1/users", false},
		{"update user", "admin", true, "PATCH", "/api/v1/users/" + f.userID, false},
		{"create role", "admin", true, "POST", "/api/v1/roles", false},
		{"set members", "admin", true, "PUT", "/api/v1/roles/" + f.roleID + "/members", false},
		{"put collection", "admin", true, "PUT", collPath, false},
		{"create index", "admin", true, "POST", collPath + "/indexes", false},
	}
}

// malformed bodies are refused by every endpoint that reads one.
var malformed = []struct{ name, body string }{
	{"truncated", `{"title":"x"`},
	{"truncated mid-string", `{"title":"x`},
	{"trailing garbage", `{"title":"x"} x`},
	{"two values", `{"title":"x"}{"title":"y"}`},
	{"single quotes", `{'title':'x'}`},
	{"unquoted key", `{title:"x"}`},
	{"block comment", `{"title":"x" /* note */}`},
	{"line comment", "// note\n{\"title\":\"x\"}"},
	{"NaN", `{"n":NaN}`},
	{"Infinity", `{"n":-Infinity}`},
	{"number overflow", `{"n":1e999}`},
	{"hex number", `{"n":0x10}`},
	{"leading zero", `{"n":01}`},
	{"trailing comma", `{"title":"x",}`},
	{"duplicate key", `{"title":"a","title":"a"}`},
	{"duplicate key differing", `{"name":"a","name":"b"}`},
	{"byte order mark", "\ufeff{\"title\":\"x\"}"},
	{"raw control character", "{\"title\":\"a\x01b\"}"},
	{"bad escape", `{"title":"\x41"}`},
	{"bare word", `undefined`},
	{"number", `42`},
	{"string", `"title"`},
	{"array of numbers", `[1,2,3]`},
	{"null", `null`},
}

func jsonRows(f *fixture) []scenario {
	var rows []scenario
	for _, e := range f.bodyEndpoints() {
		for _, m := range malformed {
			if e.name == "insert" && m.name == "array of numbers" {
				continue // covered by the insert-many rows below
			}
			rows = append(rows, e.send(m.name, m.body))
		}
		empty, blank := e.send("empty body", ""), e.send("whitespace body", " \r\n\t ")
		switch e.name {
		case "query", "count", "aggregate":
			// Every field of these is optional: no body means defaults.
			empty, blank = empty.want(200, ""), blank.want(200, "")
		}
		rows = append(rows,
			empty, blank,
			e.send("text/plain", `{"title":"x"}`).withCT("text/plain"),
			e.send("form encoded", `username=a&password=b`).withCT("application/x-www-form-urlencoded"),
			e.send("multipart", "--x\r\n\r\n{}\r\n--x--").withCT("multipart/form-data; boundary=x"),
			e.send("json-patch", `[{"op":"add","path":"/x","value":1}]`).withCT("application/json-patch+json"),
			e.send("json lookalike", `{"title":"x"}`).withCT("application/jsonx"),
		)
		if e.doc {
			rows = append(rows, e.send("duplicate _acl",
				`{"title":"x","_acl":[{"id":"`+f.userID+`","rights":63}],"_acl":[{"id":"users","rights":63}]}`))
		} else {
			rows = append(rows, e.send("unknown field", `{"surprise":true}`))
		}
	}
	insert := f.bodyEndpoints()[0]
	rows = append(rows,
		insert.send("array with a truncated document", `[{"title":"a"},{"title":"b"`),
		insert.send("array of scalars", `[1,2,3]`),
		insert.send("array with a duplicate key", `[{"title":"a"},{"title":"b","title":"c"}]`),
		insert.send("array with a duplicate _acl", `[{"_acl":[],"_acl":[{"id":"users","rights":63}]}]`),
		insert.send("array then garbage", `[{"title":"a"}] ]`),
		insert.send("empty array", `[]`),
		insert.send("nested array", `[[{"title":"a"}]]`),
	)
	// Unknown fields that would mean something if a looser decoder let
	// them through.
	rows = append(rows,
		scenario{name: "create user/admin flag", as: "admin", admin: true, method: "POST", path: "/api/v1/users",
			body: `{"username":"mallory","password":"mallory-password-1","admin":true}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "create user/forged _id", as: "admin", admin: true, method: "POST", path: "/api/v1/users",
			body: `{"username":"mallory","password":"mallory-password-1","_id":"admins"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "update user/rename", as: "admin", admin: true, method: "PATCH", path: "/api/v1/users/" + f.userID,
			body: `{"username":"root"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "update user/roles", as: "admin", admin: true, method: "PATCH", path: "/api/v1/users/" + f.userID,
			body: `{"roles":["admins"]}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "put collection/system flag", as: "admin", admin: true, method: "PUT", path: collPath,
			body: `{"system":true}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "put collection/rename", as: "admin", admin: true, method: "PUT", path: collPath,
			body: `{"name":"users"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "create role/forged acl", as: "admin", admin: true, method: "POST", path: "/api/v1/roles",
			body: `{"name":"sneaky","members":[],"_acl":[{"id":"users","rights":63}]}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "set members/missing list", as: "admin", admin: true, method: "PUT", path: "/api/v1/roles/" + f.roleID + "/members",
			body: `{}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "set members/null list", as: "admin", admin: true, method: "PUT", path: "/api/v1/roles/" + f.roleID + "/members",
			body: `{"members":null}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "query/where clause", as: "user", method: "POST", path: collPath + "/query",
			body: `{"filter":{},"$where":"1"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "count/unknown next to filter", as: "user", method: "POST", path: collPath + "/count",
			body: `{"filter":{},"hint":"by_title"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "login/extra field", method: "POST", path: "/api/v1/auth/login",
			body: `{"username":"alice","password":"` + userPw + `","remember":true}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "login/field case", method: "POST", path: "/api/v1/auth/login",
			body: `{"Username":"alice","password":"` + userPw + `"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "login/two spellings", method: "POST", path: "/api/v1/auth/login",
			body: `{"username":"nobody","USERNAME":"alice","password":"` + userPw + `"}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "put collection/acl key case", as: "admin", admin: true, method: "PUT", path: collPath,
			body: `{"create_acl":[{"id":"users","ID":"admins","rights":1}]}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "query/field case", as: "user", method: "POST", path: collPath + "/query",
			body: `{"Limit":1}`, status: 400, code: errs.InvalidArgument},
	)
	return rows
}

// typeRows send every request field with the wrong JSON type.
func typeRows(f *fixture) []scenario {
	byName := map[string]endpoint{}
	for _, e := range f.bodyEndpoints() {
		byName[e.name] = e
	}
	wrong := map[string][]string{
		"query": {
			`{"limit":"10"}`, `{"limit":1.5}`, `{"limit":true}`, `{"limit":[10]}`, `{"limit":{"n":1}}`, `{"limit":1e3}`,
			`{"filter":[]}`, `{"filter":[{"title":"a"}]}`, `{"filter":"title"}`, `{"filter":5}`, `{"filter":true}`,
			`{"sort":"title"}`, `{"sort":[["title",1]]}`, `{"sort":{"title":"asc"}}`, `{"sort":{"title":true}}`,
			`{"projection":"title"}`, `{"projection":["title"]}`, `{"projection":{"title":"yes"}}`,
			`{"cursor":5}`, `{"cursor":{}}`, `{"cursor":"not-a-cursor"}`, `{"cursor":"` + strings.Repeat("A", 4000) + `"}`,
		},
		"count":     {`{"filter":[]}`, `{"filter":"x"}`, `{"filter":1}`},
		"distinct":  {`{"field":5}`, `{"field":["title"]}`, `{"field":{}}`, `{"field":null}`, `{"field":"title","filter":"x"}`, `{"field":""}`},
		"aggregate": {`{"pipeline":{}}`, `{"pipeline":{"$match":{}}}`, `{"pipeline":"x"}`, `{"pipeline":5}`, `{"pipeline":[1]}`, `{"pipeline":[[]]}`, `{"pipeline":[{"$match":{},"$limit":1}]}`, `{"pipeline":[{}]}`},
		"login":     {`{"username":5,"password":"x"}`, `{"username":"alice","password":["x"]}`, `{"username":{"$ne":""},"password":{"$ne":""}}`},
		"create user": {
			`{"username":5,"password":"long-enough-pw"}`, `{"username":"bob","password":{}}`,
			`{"username":"bob","password":"long-enough-pw","name":[]}`, `{"username":"bob","password":"long-enough-pw","email":true}`,
		},
		"update user": {`{"disabled":"no"}`, `{"disabled":0}`, `{"name":5}`, `{"password":5}`, `{"email":["a@b"]}`},
		"create role": {`{"name":5,"members":[]}`, `{"name":"x","members":"abc"}`, `{"name":"x","members":[1,2]}`, `{"name":"x","members":{"a":1}}`},
		"set members": {`{"members":"x"}`, `{"members":[5]}`, `{"members":{"0":"x"}}`, `{"members":[["x"]]}`},
		"put collection": {
			`{"history":"yes"}`, `{"replicate":1}`, `{"priority":"1"}`, `{"priority":1.5}`, `{"priority":99}`, `{"priority":-1}`,
			`{"create_acl":"users"}`, `{"create_acl":[{"id":5,"rights":1}]}`, `{"create_acl":[{"id":"users","rights":"1"}]}`,
			`{"create_acl":[{"id":"users","rights":-1}]}`, `{"create_acl":[{"id":"users","rights":1,"deny":"no"}]}`,
			`{"encrypted_fields":"a"}`, `{"searchable_fields":[1]}`,
		},
		"create index": {`{"name":5,"fields":["a"]}`, `{"name":"ix","fields":"a"}`, `{"name":"ix","fields":[1]}`, `{"name":"ix","fields":["a"],"unique":"yes"}`, `{"name":"ix","fields":[]}`},
	}
	var rows []scenario
	for _, name := range []string{"query", "count", "distinct", "aggregate", "login", "create user", "update user", "create role", "set members", "put collection", "create index"} {
		for _, body := range wrong[name] {
			rows = append(rows, byName[name].send(trimName(body), body))
		}
	}
	return rows
}

func trimName(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

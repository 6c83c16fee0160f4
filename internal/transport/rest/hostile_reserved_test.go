package rest_test

import (
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// forged are reserved fields only the server may set, with plausible values.
var forged = []struct{ field, value string }{
	{"_version", `99`},
	{"_version", `0`},
	{"_created", `"2000-01-01T00:00:00.000000000Z"`},
	{"_createdby", `"admins"`},
	{"_modified", `"2999-01-01T00:00:00.000000000Z"`},
	{"_modifiedby", `"system"`},
	{"_foo", `1`},
	{"_", `1`},
	{"_ACL", `[]`},
	{"_Version", `1`},
}

// reservedRows forge server-owned fields on every write, and send ids that
// disagree with the path.
func reservedRows(f *fixture) []scenario {
	var rows []scenario
	writes := f.bodyEndpoints()[:3]
	for _, e := range writes {
		for i, fg := range forged {
			rows = append(rows, e.send("forged "+fg.field+" "+itoa(i), `{"title":"x",`+js(fg.field)+`:`+fg.value+`}`))
		}
		rows = append(rows,
			e.send("$ key", `{"title":"x","$where":"1"}`),
			e.send("nested $ key", `{"title":"x","a":{"$gt":1}}`),
			e.send("$ key in array", `{"title":"x","a":[{"$set":1}]}`),
			e.send("NUL in key", `{"title":"x","a\u0000b":1}`),
			e.send("_type not a string", `{"_type":5}`),
			e.send("_type empty", `{"_type":""}`),
			e.send("_type too long", `{"_type":"`+strings.Repeat("t", 65)+`"}`),
			e.send("_encrypt not a list", `{"_encrypt":"title"}`),
			e.send("_encrypt reserved", `{"_encrypt":["_acl"]}`),
			e.send("_encrypt empty name", `{"_encrypt":[""]}`),
			e.send("_encrypt number", `{"_encrypt":[1]}`),
		)
	}
	ins, rep, pat := writes[0], writes[1], writes[2]
	rows = append(rows,
		ins.send("forged in second of many", `[{"title":"a"},{"title":"b","_version":7}]`),
		ins.send("_id number", `{"_id":5}`),
		ins.send("_id empty", `{"_id":""}`),
		ins.send("_id too long", `{"_id":"`+strings.Repeat("i", 129)+`"}`),
		ins.send("_id with space", `{"_id":"a b"}`),
		ins.send("_id null", `{"_id":null}`),
		ins.send("_id object", `{"_id":{"$gt":""}}`),
		ins.send("existing id", `{"_id":"user-own","title":"again"}`).want(409, errs.Conflict),
		ins.send("someone else's id", `{"_id":"adm-private","title":"mine now"}`).want(409, errs.Conflict),
		ins.send("id twice in one insert", `[{"_id":"twin","title":"a"},{"_id":"twin","title":"b"}]`).want(409, errs.Conflict),
		rep.send("_id differs", `{"_id":"item-1","title":"x"}`),
		rep.send("_id number", `{"_id":1,"title":"x"}`),
		pat.send("_id differs", `{"_id":"item-1"}`),
		pat.send("_id null", `{"_id":null}`),
		pat.send("_id number", `{"_id":7}`),
		pat.send("forged nested under reserved", `{"_acl":{"id":"users"}}`),
		// A merge patch that deletes a server-owned field still names it.
		pat.send("null _version", `{"_version":null}`),
		pat.send("null _created", `{"_created":null,"title":"x"}`),
		pat.send("null _foo", `{"_foo":null}`),
	)
	return rows
}

// aclRows send broken, oversized and escalating ACLs.
func aclRows(f *fixture) []scenario {
	big := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"title":"x","_acl":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":"p` + itoa(i) + `","rights":2}`)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	bad := []struct{ name, acl string }{
		{"rights 0", `[{"id":"users","rights":0}]`},
		{"rights 64", `[{"id":"users","rights":64}]`},
		{"rights 127", `[{"id":"users","rights":127}]`},
		{"rights negative", `[{"id":"users","rights":-1}]`},
		{"rights fraction", `[{"id":"users","rights":1.5}]`},
		{"rights huge", `[{"id":"users","rights":1099511627776}]`},
		{"rights 2^32+2", `[{"id":"users","rights":4294967298}]`},
		{"rights string", `[{"id":"users","rights":"63"}]`},
		{"rights names", `[{"id":"users","rights":["read"]}]`},
		{"rights missing", `[{"id":"users"}]`},
		{"id missing", `[{"rights":2}]`},
		{"id empty", `[{"id":"","rights":2}]`},
		{"id with space", `[{"id":"bad id","rights":2}]`},
		{"id number", `[{"id":5,"rights":2}]`},
		{"id too long", `[{"id":"` + strings.Repeat("p", 129) + `","rights":2}]`},
		{"id wildcard", `[{"id":"*","rights":63}]`},
		{"deny string", `[{"id":"users","rights":2,"deny":"yes"}]`},
		{"unknown key", `[{"id":"users","rights":2,"grant":true}]`},
		{"duplicate entry", `[{"id":"users","rights":2},{"id":"users","rights":4}]`},
		{"duplicate deny", `[{"id":"users","rights":2,"deny":true},{"id":"users","rights":4,"deny":true}]`},
		{"duplicate key in entry", `[{"id":"users","id":"admins","rights":2}]`},
		{"object", `{"id":"users","rights":2}`},
		{"string", `"users"`},
		{"list of strings", `["users"]`},
		{"nested list", `[[{"id":"users","rights":2}]]`},
		{"key case", `[{"ID":"users","rights":2}]`},
		{"two spellings of id", `[{"id":"users","Id":"admins","rights":2}]`},
	}
	var rows []scenario
	for _, e := range f.bodyEndpoints()[:3] {
		for _, b := range bad {
			rows = append(rows, e.send("_acl "+b.name, `{"title":"x","_acl":`+b.acl+`}`))
		}
		rows = append(rows,
			e.send("_acl 257 entries", big(257)),
			e.send("_acl 10000 entries", big(10000)),
		)
	}
	rows = append(rows,
		endpoint{"insert many", "user", false, "POST", docsPath, true}.send("_acl 10000 entries in second", `[{"title":"a"},`+big(10000)+`]`),
		// Grant rules: update without manage cannot touch the ACL, and
		// nobody hands out what they do not hold.
		scenario{name: "replace shared-rw/grant self manage", as: "user", method: "PUT", path: docsPath + "/shared-rw",
			body: `{"title":"x","_acl":[{"id":"` + f.adminID + `","rights":63},{"id":"users","rights":63}]}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "patch shared-rw/drop admin", as: "user", method: "PATCH", path: docsPath + "/shared-rw",
			body: `{"_acl":[{"id":"users","rights":6}]}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "replace shared-ro/read only", as: "user", method: "PUT", path: docsPath + "/shared-ro",
			body: `{"title":"x"}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "patch shared-ro/read only", as: "user", method: "PATCH", path: docsPath + "/shared-ro",
			body: `{"title":"x"}`, status: 403, code: errs.PermissionDenied},
		scenario{name: "delete shared-rw/no delete right", as: "user", method: "DELETE", path: docsPath + "/shared-rw", status: 403, code: errs.PermissionDenied},
		scenario{name: "put collection/create_acl 10000", as: "admin", admin: true, method: "PUT", path: collPath,
			body: strings.Replace(big(10000), `{"title":"x","_acl":`, `{"create_acl":`, 1), status: 400, code: errs.InvalidArgument},
		scenario{name: "put collection/create_acl rights 64", as: "admin", admin: true, method: "PUT", path: collPath,
			body: `{"create_acl":[{"id":"users","rights":64}]}`, status: 400, code: errs.InvalidArgument},
		scenario{name: "put collection/create_acl duplicate", as: "admin", admin: true, method: "PUT", path: collPath,
			body: `{"create_acl":[{"id":"users","rights":1},{"id":"users","rights":1}]}`, status: 400, code: errs.InvalidArgument},
	)
	return rows
}

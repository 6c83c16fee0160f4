package rpc_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
)

// TestHostile sends every hostile row over every protocol; each must be
// refused with its typed error and leave the store as it was.
func TestHostile(t *testing.T) {
	groups := []struct {
		name string
		rows func(*testing.T, *hostile) []row
	}{
		{"wire", wireRows},
		{"tokens", tokenRows},
		{"json", jsonRows},
		{"reserved", reservedRows},
		{"others", othersRows},
		{"arguments", argumentRows},
	}
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			f := newHostile(t, e)
			for _, g := range groups {
				t.Run(g.name, func(t *testing.T) {
					before := f.state(t)
					f.run(t, g.rows(t, f))
					before.diff(t, f.state(t))
				})
			}
		})
	}
}

// insert is an Insert into the seeded collection as tok.
func insert(tok, doc string) func(context.Context, clients) error {
	return func(ctx context.Context, c clients) error {
		_, err := c.docs.Insert(ctx, as(tok, &rampartv1.InsertRequest{Collection: coll, Document: doc}))
		return err
	}
}

// nested is v inside n levels of {"a": ...}.
func nested(n int, v string) string {
	return strings.Repeat(`{"a":`, n) + v + strings.Repeat("}", n)
}

// protoBytes builds a wire message from (field, bytes) pairs.
func protoBytes(fields ...any) []byte {
	var b []byte
	for i := 0; i < len(fields); i += 2 {
		b = protowire.AppendTag(b, protowire.Number(fields[i].(int)), protowire.BytesType)
		b = protowire.AppendBytes(b, []byte(fields[i+1].(string)))
	}
	return b
}

func wireRows(t *testing.T, f *hostile) []row {
	insertProc := rampartv1connect.DocumentServiceInsertProcedure
	deepGroups := []byte{}
	for range 100 {
		deepGroups = protowire.AppendTag(deepGroups, 99, protowire.StartGroupType)
	}
	unknownProc := func(proc string) func(context.Context, clients) error {
		return func(ctx context.Context, c clients) error {
			cl := connect.NewClient[rampartv1.Empty, rampartv1.Empty](c.hc, c.h.PublicURL+proc, c.p.Opts...)
			_, err := cl.CallUnary(ctx, as(f.user, &rampartv1.Empty{}))
			return err
		}
	}
	return []row{
		{"garbage protobuf", raw(insertProc, "proto", []byte("\xff\xff\xff\xff\xff"), f.user), errs.InvalidArgument},
		{"truncated protobuf", raw(insertProc, "proto", protoBytes(1, coll)[:4], f.user), errs.InvalidArgument},
		{"invalid UTF-8 in a document", raw(insertProc, "proto", protoBytes(1, coll, 2, "{\"a\":\"\xff\xfe\"}"), f.user), errs.InvalidArgument},
		{"invalid UTF-8 in a collection", raw(insertProc, "proto", protoBytes(1, "th\xc3ings", 2, `{}`), f.user), errs.InvalidArgument},
		{"unknown field", raw(insertProc, "proto", append(protoBytes(1, coll, 2, `{}`), protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1)...), f.user), errs.InvalidArgument},
		{"100 nested groups", raw(insertProc, "proto", append(protoBytes(1, coll, 2, `{}`), deepGroups...), f.user), errs.InvalidArgument},
		{"NUL in a collection", raw(insertProc, "proto", protoBytes(1, "th\x00ings", 2, `{}`), f.user), errs.InvalidArgument},
		{"garbage JSON", raw(insertProc, "json", []byte(`{"collection":`), f.user), errs.InvalidArgument},
		{"unknown JSON field", raw(insertProc, "json", []byte(`{"collection":"things","document":"{}","owner":"root"}`), f.user), errs.InvalidArgument},
		{"wrong JSON type", raw(insertProc, "json", []byte(`{"collection":5,"document":"{}"}`), f.user), errs.InvalidArgument},
		{"repeated JSON field", raw(insertProc, "json", []byte(`{"collection":"things","collection":"users","document":"{}"}`), f.user), errs.InvalidArgument},
		{"empty JSON", raw(insertProc, "json", []byte(``), f.user), errs.InvalidArgument},
		{"oversized message", insert(f.user, `{"pad":"`+strings.Repeat("x", maxBody+1)+`"}`), errs.TooLarge},
		{"unknown method", unknownProc("/rampart.v1.DocumentService/Truncate"), errs.NotFound},
		{"unknown service", unknownProc("/rampart.v1.ShellService/Exec"), errs.NotFound},
		{"admin procedure on the public listener", unknownProc(rampartv1connect.AdminServiceDeleteUserProcedure), errs.NotFound},
	}
}

func tokenRows(t *testing.T, f *hostile) []row {
	expired := f.expired(t)
	parts := strings.Split(f.admin, ".")
	creds := []struct{ name, header, value string }{
		{"no credential", "", ""},
		{"garbage token", "Authorization", "Bearer abc.def.ghi"},
		{"expired token", "Authorization", "Bearer " + expired},
		{"signature stripped", "Authorization", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"alg none", "Authorization", "Bearer eyJhbGciOiJub25lIn0." + parts[1] + "."},
		{"Basic scheme", "Authorization", "Basic cm9vdDpwYXNzd29yZA=="},
		{"no scheme", "Authorization", f.admin},
		{"9 KB header", "Authorization", "Bearer " + strings.Repeat("a", 9<<10)},
		{"token as X-API-Key", "X-API-Key", f.admin},
		{"forged API key", "X-API-Key", "rk_0123456789abcdef_" + strings.Repeat("A", 43)},
	}
	var rows []row
	for _, cr := range creds {
		set := func(h map[string][]string) {
			if cr.header != "" {
				h[cr.header] = []string{cr.value}
			}
		}
		rows = append(rows,
			row{"Get/" + cr.name, func(ctx context.Context, c clients) error {
				r := connect.NewRequest(&rampartv1.GetRequest{Collection: coll, Id: "user-own"})
				set(r.Header())
				_, err := c.docs.Get(ctx, r)
				return err
			}, errs.Unauthenticated},
			row{"Delete/" + cr.name, func(ctx context.Context, c clients) error {
				r := connect.NewRequest(&rampartv1.DeleteRequest{Collection: coll, Id: "user-own"})
				set(r.Header())
				_, err := c.docs.Delete(ctx, r)
				return err
			}, errs.Unauthenticated},
			row{"admin DeleteUser/" + cr.name, func(ctx context.Context, c clients) error {
				r := connect.NewRequest(&rampartv1.IDRequest{Id: f.userID})
				set(r.Header())
				_, err := c.admin.DeleteUser(ctx, r)
				return err
			}, errs.Unauthenticated},
		)
	}
	rows = append(rows, row{"both Authorization and X-API-Key", func(ctx context.Context, c clients) error {
		r := as(f.admin, &rampartv1.DeleteRequest{Collection: coll, Id: "user-own"})
		r.Header().Set("X-API-Key", "rk_0123456789abcdef_x")
		_, err := c.docs.Delete(ctx, r)
		return err
	}, errs.InvalidArgument})
	return rows
}

func jsonRows(t *testing.T, f *hostile) []row {
	query := func(filter, sort string) func(context.Context, clients) error {
		return func(ctx context.Context, c clients) error {
			_, err := c.docs.Query(ctx, as(f.user, &rampartv1.QueryRequest{Collection: coll, Filter: filter, Sort: sort}))
			return err
		}
	}
	return []row{
		{"invalid JSON", insert(f.user, `{"a":`), errs.InvalidArgument},
		{"not an object", insert(f.user, `[1,2]`), errs.InvalidArgument},
		{"empty document", insert(f.user, ``), errs.InvalidArgument},
		{"trailing data", insert(f.user, `{} {}`), errs.InvalidArgument},
		{"repeated key", insert(f.user, `{"a":1,"a":2}`), errs.InvalidArgument},
		{"100 levels", insert(f.user, nested(100, "1")), errs.InvalidArgument},
		{"lone surrogate", insert(f.user, `{"a":"\ud800"}`), errs.InvalidArgument},
		{"escaped NUL value", insert(f.user, `{"a":"x\u0000y"}`), errs.InvalidArgument},
		{"escaped NUL key", insert(f.user, `{"a\u0000":1}`), errs.InvalidArgument},
		{"operator key", insert(f.user, `{"$where":"1"}`), errs.InvalidArgument},
		{"infinite number", insert(f.user, `{"n":1e999}`), errs.InvalidArgument},
		{"InsertMany with one bad document", func(ctx context.Context, c clients) error {
			_, err := c.docs.InsertMany(ctx, as(f.user, &rampartv1.InsertManyRequest{Collection: coll, Documents: []string{`{"ok":1}`, `{"a":`}}))
			return err
		}, errs.InvalidArgument},
		{"InsertMany 100 levels", func(ctx context.Context, c clients) error {
			_, err := c.docs.InsertMany(ctx, as(f.user, &rampartv1.InsertManyRequest{Collection: coll, Documents: []string{nested(100, "1")}}))
			return err
		}, errs.InvalidArgument},
		{"Replace invalid JSON", func(ctx context.Context, c clients) error {
			_, err := c.docs.Replace(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "user-own", Document: `{"n":`}))
			return err
		}, errs.InvalidArgument},
		{"Patch 100 levels", func(ctx context.Context, c clients) error {
			_, err := c.docs.Patch(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "user-own", Document: nested(100, "1")}))
			return err
		}, errs.InvalidArgument},
		{"filter invalid JSON", query(`{"n":`, ""), errs.InvalidArgument},
		{"filter 100 levels", query(nested(100, "1"), ""), errs.InvalidArgument},
		{"filter escaped NUL", query(`{"title":"\u0000"}`, ""), errs.InvalidArgument},
		{"filter repeated key", query(`{"n":1,"n":2}`, ""), errs.InvalidArgument},
		{"unknown operator", query(`{"n":{"$where":"sleep(10)"}}`, ""), errs.InvalidArgument},
		{"sort not an object", query("", `[1]`), errs.InvalidArgument},
		{"count filter lone surrogate", func(ctx context.Context, c clients) error {
			_, err := c.docs.Count(ctx, as(f.user, &rampartv1.CountRequest{Collection: coll, Filter: `{"a":"\udc00"}`}))
			return err
		}, errs.InvalidArgument},
		{"distinct filter invalid", func(ctx context.Context, c clients) error {
			_, err := c.docs.Distinct(ctx, as(f.user, &rampartv1.DistinctRequest{Collection: coll, Field: "title", Filter: `{`}))
			return err
		}, errs.InvalidArgument},
		{"pipeline invalid", func(ctx context.Context, c clients) error {
			_, err := c.docs.Aggregate(ctx, as(f.user, &rampartv1.AggregateRequest{Collection: coll, Pipeline: `[{"$match":`}))
			return err
		}, errs.InvalidArgument},
		{"pipeline writes", func(ctx context.Context, c clients) error {
			_, err := c.docs.Aggregate(ctx, as(f.user, &rampartv1.AggregateRequest{Collection: coll, Pipeline: `[{"$out":"users"}]`}))
			return err
		}, errs.InvalidArgument},
	}
}

func reservedRows(t *testing.T, f *hostile) []row {
	rows := []row{}
	for _, k := range []string{"_version", "_created", "_createdby", "_modified", "_modifiedby", "_collection", "_owner"} {
		rows = append(rows,
			row{"insert " + k, insert(f.user, `{"`+k+`":"root","n":1}`), errs.InvalidArgument},
			row{"replace " + k, func(ctx context.Context, c clients) error {
				_, err := c.docs.Replace(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "user-own", Document: `{"` + k + `":"root"}`}))
				return err
			}, errs.InvalidArgument},
		)
	}
	return append(rows,
		row{"bad _id", insert(f.user, `{"_id":"../users/root"}`), errs.InvalidArgument},
		row{"_id of another document", insert(f.user, `{"_id":"adm-private"}`), errs.Conflict},
		row{"bad _acl rights", insert(f.user, `{"_acl":[{"id":"users","rights":4096}]}`), errs.InvalidArgument},
		row{"_acl not a list", insert(f.user, `{"_acl":"everyone"}`), errs.InvalidArgument},
		row{"_type not a string", insert(f.user, `{"_type":5}`), errs.InvalidArgument},
	)
}

// othersRows aim at what belongs to the admin, with the user's token.
func othersRows(t *testing.T, f *hostile) []row {
	v1 := int64(1)
	return []row{
		{"Get another's document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Get(ctx, as(f.user, &rampartv1.GetRequest{Collection: coll, Id: "adm-private"}))
			return err
		}, errs.NotFound},
		{"GetVersion of another's document", func(ctx context.Context, c clients) error {
			_, err := c.docs.GetVersion(ctx, as(f.user, &rampartv1.GetVersionRequest{Collection: coll, Id: "adm-private", Version: 1}))
			return err
		}, errs.NotFound},
		{"Replace another's document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Replace(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "adm-private", Document: `{"title":"mine"}`}))
			return err
		}, errs.NotFound},
		{"Patch another's document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Patch(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "adm-private", Document: `{"title":"mine"}`, IfMatch: &v1}))
			return err
		}, errs.NotFound},
		{"Delete another's document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Delete(ctx, as(f.user, &rampartv1.DeleteRequest{Collection: coll, Id: "adm-private"}))
			return err
		}, errs.NotFound},
		{"Replace a read-only document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Replace(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "shared-ro", Document: `{"title":"mine"}`}))
			return err
		}, errs.PermissionDenied},
		{"Delete a read-only document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Delete(ctx, as(f.user, &rampartv1.DeleteRequest{Collection: coll, Id: "shared-ro"}))
			return err
		}, errs.PermissionDenied},
		{"grant oneself more on a read-only document", func(ctx context.Context, c clients) error {
			_, err := c.docs.Patch(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "shared-ro", Document: `{"_acl":[{"id":"users","rights":63}]}`}))
			return err
		}, errs.PermissionDenied},
		{"Get a user record through documents", func(ctx context.Context, c clients) error {
			_, err := c.docs.Get(ctx, as(f.user, &rampartv1.GetRequest{Collection: "users", Id: f.adminID}))
			return err
		}, errs.NotFound},
		{"Insert into the users collection", func(ctx context.Context, c clients) error {
			_, err := c.docs.Insert(ctx, as(f.user, &rampartv1.InsertRequest{Collection: "users", Document: `{"_type":"user","username":"evil"}`}))
			return err
		}, errs.PermissionDenied},
		{"RevokeSession of another", func(ctx context.Context, c clients) error {
			_, err := c.auth.RevokeSession(ctx, as(f.user, &rampartv1.RevokeSessionRequest{Id: f.adminSession}))
			return err
		}, errs.NotFound},
		{"Revoke another's API key", func(ctx context.Context, c clients) error {
			_, err := c.keys.Revoke(ctx, as(f.user, &rampartv1.APIKeyIDRequest{Id: f.adminKey}))
			return err
		}, errs.NotFound},
		{"Rotate another's API key", func(ctx context.Context, c clients) error {
			_, err := c.keys.Rotate(ctx, as(f.user, &rampartv1.APIKeyIDRequest{Id: f.adminKey}))
			return err
		}, errs.NotFound},
		{"List another's API keys", func(ctx context.Context, c clients) error {
			_, err := c.keys.List(ctx, as(f.user, &rampartv1.ListAPIKeysRequest{Owner: f.adminID}))
			return err
		}, errs.PermissionDenied},
		{"Create a key for another", func(ctx context.Context, c clients) error {
			_, err := c.keys.Create(ctx, as(f.user, &rampartv1.CreateAPIKeyRequest{Name: "mine", Owner: f.adminID}))
			return err
		}, errs.PermissionDenied},
		{"Create an admin-scoped key as a user", func(ctx context.Context, c clients) error {
			_, err := c.keys.Create(ctx, as(f.user, &rampartv1.CreateAPIKeyRequest{Name: "up", Scope: &rampartv1.APIKeyScope{Admin: true}}))
			return err
		}, errs.PermissionDenied},
		{"admin procedure as a user", func(ctx context.Context, c clients) error {
			_, err := c.admin.UpdateUser(ctx, as(f.user, &rampartv1.UpdateUserRequest{Id: f.userID, Disabled: new(bool)}))
			return err
		}, errs.PermissionDenied},
	}
}

func argumentRows(t *testing.T, f *hostile) []row {
	zero, neg, big := int64(0), int64(-1), int32(5000)
	sys := true
	return []row{
		{"GetVersion 0", func(ctx context.Context, c clients) error {
			_, err := c.docs.GetVersion(ctx, as(f.user, &rampartv1.GetVersionRequest{Collection: coll, Id: "user-own"}))
			return err
		}, errs.InvalidArgument},
		{"if_match 0", func(ctx context.Context, c clients) error {
			_, err := c.docs.Replace(ctx, as(f.user, &rampartv1.WriteRequest{Collection: coll, Id: "user-own", Document: `{}`, IfMatch: &zero}))
			return err
		}, errs.InvalidArgument},
		{"stale if_match", func(ctx context.Context, c clients) error {
			v := int64(99)
			_, err := c.docs.Delete(ctx, as(f.user, &rampartv1.DeleteRequest{Collection: coll, Id: "user-own", IfMatch: &v}))
			return err
		}, errs.FailedPrecondition},
		{"empty collection", func(ctx context.Context, c clients) error {
			_, err := c.docs.Get(ctx, as(f.user, &rampartv1.GetRequest{Id: "user-own"}))
			return err
		}, errs.InvalidArgument},
		{"collection with a path", func(ctx context.Context, c clients) error {
			_, err := c.docs.Insert(ctx, as(f.user, &rampartv1.InsertRequest{Collection: "../users", Document: `{}`}))
			return err
		}, errs.InvalidArgument},
		{"query limit 0", func(ctx context.Context, c clients) error {
			l := int32(0)
			_, err := c.docs.Query(ctx, as(f.user, &rampartv1.QueryRequest{Collection: coll, Limit: &l}))
			return err
		}, errs.InvalidArgument},
		{"forged cursor", func(ctx context.Context, c clients) error {
			_, err := c.docs.Query(ctx, as(f.user, &rampartv1.QueryRequest{Collection: coll, Cursor: "eyJhZnRlciI6Ii4uIn0"}))
			return err
		}, errs.InvalidArgument},
		{"watch since -1", func(ctx context.Context, c clients) error {
			st, err := c.docs.Watch(ctx, as(f.user, &rampartv1.WatchRequest{Collection: coll, Since: &neg}))
			if err != nil {
				return err
			}
			defer st.Close()
			for st.Receive() {
			}
			return st.Err()
		}, errs.InvalidArgument},
		{"watch a bad collection", func(ctx context.Context, c clients) error {
			st, err := c.docs.Watch(ctx, as(f.user, &rampartv1.WatchRequest{Collection: "no/such"}))
			if err != nil {
				return err
			}
			defer st.Close()
			for st.Receive() {
			}
			return st.Err()
		}, errs.InvalidArgument},
		{"expires_in negative", func(ctx context.Context, c clients) error {
			_, err := c.keys.Create(ctx, as(f.user, &rampartv1.CreateAPIKeyRequest{Name: "k", ExpiresIn: -5}))
			return err
		}, errs.InvalidArgument},
		{"ListUsers limit 5000", func(ctx context.Context, c clients) error {
			_, err := c.admin.ListUsers(ctx, as(f.admin, &rampartv1.ListRequest{Limit: &big}))
			return err
		}, errs.InvalidArgument},
		{"ListUsers bad after", func(ctx context.Context, c clients) error {
			_, err := c.admin.ListUsers(ctx, as(f.admin, &rampartv1.ListRequest{After: "a b"}))
			return err
		}, errs.InvalidArgument},
		{"ListAudit bad kind", func(ctx context.Context, c clients) error {
			_, err := c.admin.ListAudit(ctx, as(f.admin, &rampartv1.ListAuditRequest{Kinds: []string{"Login'--"}}))
			return err
		}, errs.InvalidArgument},
		{"ListAudit after negative", func(ctx context.Context, c clients) error {
			_, err := c.admin.ListAudit(ctx, as(f.admin, &rampartv1.ListAuditRequest{After: -1}))
			return err
		}, errs.InvalidArgument},
		{"PutCollection system", func(ctx context.Context, c clients) error {
			_, err := c.admin.PutCollection(ctx, as(f.admin, &rampartv1.PutCollectionRequest{Settings: &rampartv1.CollectionSettings{Name: coll, System: sys}}))
			return err
		}, errs.InvalidArgument},
		{"PutCollection without settings", func(ctx context.Context, c clients) error {
			_, err := c.admin.PutCollection(ctx, as(f.admin, &rampartv1.PutCollectionRequest{}))
			return err
		}, errs.InvalidArgument},
		{"PutCollection on users", func(ctx context.Context, c clients) error {
			_, err := c.admin.PutCollection(ctx, as(f.admin, &rampartv1.PutCollectionRequest{Settings: &rampartv1.CollectionSettings{Name: "users", History: &sys}}))
			return err
		}, errs.PermissionDenied},
		{"DeleteUser empty id", func(ctx context.Context, c clients) error {
			_, err := c.admin.DeleteUser(ctx, as(f.admin, &rampartv1.IDRequest{}))
			return err
		}, errs.InvalidArgument},
		{"SetMembers of a missing role", func(ctx context.Context, c clients) error {
			_, err := c.admin.SetMembers(ctx, as(f.admin, &rampartv1.SetMembersRequest{Id: "no-such-role"}))
			return err
		}, errs.NotFound},
	}
}

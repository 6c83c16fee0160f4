package rpc_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	healthv1 "rampart.dev/rampart/api/grpc/health/v1"
	"rampart.dev/rampart/api/grpc/health/v1/healthv1connect"
	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/errs"
)

const (
	adminPw = "admin-password-123"
	userPw  = "user-password-456"
)

// world is what the steps of one protocol's run hand each other.
type world struct {
	t      *testing.T
	h      *apptest.Harness
	c      clients
	health healthv1connect.HealthClient
	tag    string // the protocol, so runs do not collide
	ctx    context.Context

	admin, user, refresh string // credentials
	userID, bobID        string
	coll, docID          string
	roleID               string
	totpSecret           string
	recovery             []string
}

// step is one row: a procedure (or a few that belong together) and what
// its answer must be.
type step struct {
	name string
	run  func(w *world)
}

// TestProcedures calls every procedure of every service over gRPC,
// gRPC-Web and Connect against a real node, and checks each answer.
func TestProcedures(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: func(c *config.Config) {
		c.Auth.Registration.Enabled = true
	}})
	hc := http2(t, h)
	h.CreateUser("root", adminPw, true)
	for _, p := range protocols {
		t.Run(p.Name, func(t *testing.T) {
			rec := newRecorder()
			w := &world{t: t, h: h, tag: p.Name, ctx: context.Background(),
				c:      newClients(hc, h, p, connect.WithInterceptors(rec)),
				health: healthv1connect.NewHealthClient(p.Client(h, hc), h.PublicURL, append(p.Opts, connect.WithInterceptors(rec))...),
			}
			for _, s := range steps {
				ok := t.Run(s.name, func(t *testing.T) {
					w.t = t
					s.run(w)
				})
				if !ok {
					t.Fatalf("step %s failed; later steps depend on it", s.name)
				}
			}
			for _, fd := range []protoreflect.FileDescriptor{
				rampartv1.File_rampart_v1_auth_proto, rampartv1.File_rampart_v1_documents_proto,
				rampartv1.File_rampart_v1_apikeys_proto, rampartv1.File_rampart_v1_admin_proto,
				healthv1.File_grpc_health_v1_health_proto,
			} {
				sd := fd.Services().Get(0)
				for i := range sd.Methods().Len() {
					proc := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(i).Name())
					if !rec.procs[proc] {
						t.Errorf("%s was never called", proc)
					}
				}
			}
		})
	}
}

// must fails the step on an error and otherwise gives the answer:
// must(client.Call(...))(w).
func must[T any](res *connect.Response[T], err error) func(*world) *T {
	return func(w *world) *T {
		w.t.Helper()
		if err != nil {
			w.t.Fatalf("unexpected error: %v", err)
		}
		return res.Msg
	}
}

// fields decodes a document's JSON.
func fields(w *world, d *rampartv1.Document) map[string]any {
	w.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(d.GetJson()), &m); err != nil {
		w.t.Fatalf("document %q: %v", d.GetJson(), err)
	}
	return m
}

func code(w *world, secret string, at time.Time) string {
	w.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

var steps = []step{
	{"AuthService/Login", func(w *world) {
		w.admin = login(w.t, w.c, "root", adminPw)
	}},
	{"AdminService/CreateUser", func(w *world) {
		d := must(w.c.admin.CreateUser(w.ctx, as(w.admin, &rampartv1.CreateUserRequest{Username: "alice-" + w.tag, Password: userPw, Name: "Alice"})))(w)
		w.userID, _ = fields(w, d)["_id"].(string)
		if w.userID == "" {
			w.t.Fatalf("new user without _id: %s", d.GetJson())
		}
	}},
	{"AuthService/Refresh", func(w *world) {
		res := must(w.c.auth.Login(w.ctx, as("", &rampartv1.LoginRequest{Username: "alice-" + w.tag, Password: userPw})))(w)
		toks := must(w.c.auth.Refresh(w.ctx, as("", &rampartv1.RefreshRequest{RefreshToken: res.GetTokens().GetRefreshToken()})))(w)
		if toks.GetTokenType() != "Bearer" || toks.GetAccessToken() == "" || toks.GetRefreshToken() == res.GetTokens().GetRefreshToken() {
			w.t.Fatalf("refresh answered %v", toks)
		}
		w.user, w.refresh = toks.GetAccessToken(), toks.GetRefreshToken()
	}},
	{"AuthService/Me", func(w *world) {
		me := must(w.c.auth.Me(w.ctx, as(w.user, &rampartv1.Empty{})))(w)
		if fields(w, me.GetUser())["_id"] != w.userID {
			w.t.Fatalf("me is %s, want %s", me.GetUser().GetJson(), w.userID)
		}
	}},
	{"AuthService/UpdateProfile", func(w *world) {
		name := "Alice " + w.tag
		d := must(w.c.auth.UpdateProfile(w.ctx, as(w.user, &rampartv1.UpdateProfileRequest{Name: &name})))(w)
		if fields(w, d)["name"] != name {
			w.t.Fatalf("profile %s, want name %q", d.GetJson(), name)
		}
	}},
	{"AuthService/ListSessions", func(w *world) {
		list := must(w.c.auth.ListSessions(w.ctx, as(w.user, &rampartv1.Empty{})))(w)
		current := 0
		for _, s := range list.GetSessions() {
			if s.GetCurrent() {
				current++
			}
			if s.GetId() == "" || s.GetCreatedUnix() == 0 || s.GetExpiresUnix() <= s.GetCreatedUnix() {
				w.t.Errorf("session %v", s)
			}
		}
		if current != 1 {
			w.t.Fatalf("%d current sessions in %v", current, list)
		}
	}},
	{"AuthService/Register", func(w *world) {
		d := must(w.c.auth.Register(w.ctx, as("", &rampartv1.RegisterRequest{Username: "bob-" + w.tag, Password: userPw, Email: "bob@example.com"})))(w)
		w.bobID, _ = fields(w, d)["_id"].(string)
		if w.bobID == "" || fields(w, d)["username"] != "bob-"+w.tag {
			w.t.Fatalf("registered %s", d.GetJson())
		}
	}},
	{"DocumentService/Insert", func(w *world) {
		w.coll = "notes_" + w.tag
		d := must(w.c.docs.Insert(w.ctx, as(w.user, &rampartv1.InsertRequest{Collection: w.coll, Document: `{"title":"a","n":1}`})))(w)
		f := fields(w, d)
		w.docID, _ = f["_id"].(string)
		if w.docID == "" || f["_version"] != float64(1) || f["title"] != "a" {
			w.t.Fatalf("inserted %s", d.GetJson())
		}
	}},
	{"DocumentService/InsertMany", func(w *world) {
		list := must(w.c.docs.InsertMany(w.ctx, as(w.user, &rampartv1.InsertManyRequest{Collection: w.coll,
			Documents: []string{`{"_id":"b-1","title":"b","n":2}`, `{"_id":"c-1","title":"c","n":3}`}})))(w)
		if len(list.GetDocuments()) != 2 || fields(w, list.GetDocuments()[1])["_id"] != "c-1" {
			w.t.Fatalf("inserted %v", list)
		}
	}},
	{"DocumentService/Get", func(w *world) {
		d := must(w.c.docs.Get(w.ctx, as(w.user, &rampartv1.GetRequest{Collection: w.coll, Id: w.docID})))(w)
		if fields(w, d)["title"] != "a" {
			w.t.Fatalf("got %s", d.GetJson())
		}
	}},
	{"DocumentService/Replace", func(w *world) {
		v := int64(1)
		d := must(w.c.docs.Replace(w.ctx, as(w.user, &rampartv1.WriteRequest{Collection: w.coll, Id: w.docID, Document: `{"title":"a2","n":1}`, IfMatch: &v})))(w)
		if f := fields(w, d); f["_version"] != float64(2) || f["title"] != "a2" {
			w.t.Fatalf("replaced %s", d.GetJson())
		}
		// A stale version is refused with the current one in the detail.
		_, err := w.c.docs.Replace(w.ctx, as(w.user, &rampartv1.WriteRequest{Collection: w.coll, Id: w.docID, Document: `{}`, IfMatch: &v}))
		if e := wantErr(w.t, err, errs.FailedPrecondition); e.GetDetails().GetFields()["version"].GetNumberValue() != 2 {
			w.t.Fatalf("detail %v lacks version 2", e)
		}
	}},
	{"DocumentService/Patch", func(w *world) {
		v := int64(2)
		d := must(w.c.docs.Patch(w.ctx, as(w.user, &rampartv1.WriteRequest{Collection: w.coll, Id: w.docID, Document: `{"n":5}`, IfMatch: &v})))(w)
		if f := fields(w, d); f["_version"] != float64(3) || f["n"] != float64(5) || f["title"] != "a2" {
			w.t.Fatalf("patched %s", d.GetJson())
		}
	}},
	{"DocumentService/GetVersion", func(w *world) {
		d := must(w.c.docs.GetVersion(w.ctx, as(w.user, &rampartv1.GetVersionRequest{Collection: w.coll, Id: w.docID, Version: 1})))(w)
		if f := fields(w, d); f["_version"] != float64(1) || f["title"] != "a" {
			w.t.Fatalf("version 1 is %s", d.GetJson())
		}
	}},
	{"DocumentService/Query", func(w *world) {
		limit := int32(2)
		res := must(w.c.docs.Query(w.ctx, as(w.user, &rampartv1.QueryRequest{Collection: w.coll,
			Filter: `{"n":{"$gte":2}}`, Sort: `{"n":-1}`, Projection: `{"title":1}`, Limit: &limit})))(w)
		if len(res.GetDocuments()) != 2 || fields(w, res.GetDocuments()[0])["title"] != "a2" || fields(w, res.GetDocuments()[0])["n"] != nil {
			w.t.Fatalf("query answered %v", res)
		}
		if res.GetCursor() == "" {
			w.t.Fatal("a full page without a cursor")
		}
		next := must(w.c.docs.Query(w.ctx, as(w.user, &rampartv1.QueryRequest{Collection: w.coll,
			Filter: `{"n":{"$gte":2}}`, Sort: `{"n":-1}`, Limit: &limit, Cursor: res.GetCursor()})))(w)
		if len(next.GetDocuments()) != 1 || fields(w, next.GetDocuments()[0])["_id"] != "b-1" {
			w.t.Fatalf("second page %v", next)
		}
	}},
	{"DocumentService/Count", func(w *world) {
		if n := must(w.c.docs.Count(w.ctx, as(w.user, &rampartv1.CountRequest{Collection: w.coll})))(w).GetCount(); n != 3 {
			w.t.Fatalf("count %d, want 3", n)
		}
	}},
	{"DocumentService/Distinct", func(w *world) {
		vals := must(w.c.docs.Distinct(w.ctx, as(w.user, &rampartv1.DistinctRequest{Collection: w.coll, Field: "title", Filter: `{"n":{"$lt":5}}`})))(w).GetValues()
		if strings.Join(vals, ",") != `"b","c"` && strings.Join(vals, ",") != `"c","b"` {
			w.t.Fatalf("distinct %v", vals)
		}
	}},
	{"DocumentService/Aggregate", func(w *world) {
		rows := must(w.c.docs.Aggregate(w.ctx, as(w.user, &rampartv1.AggregateRequest{Collection: w.coll,
			Pipeline: `[{"$match":{"n":{"$gte":2}}},{"$count":"total"}]`})))(w)
		if len(rows.GetDocuments()) != 1 || fields(w, rows.GetDocuments()[0])["total"] != float64(3) {
			w.t.Fatalf("aggregate %v", rows)
		}
	}},
	{"DocumentService/Watch", func(w *world) {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		since := int64(0)
		st, err := w.c.docs.Watch(ctx, as(w.user, &rampartv1.WatchRequest{Collection: w.coll, Since: &since}))
		if err != nil {
			w.t.Fatal(err)
		}
		defer st.Close()
		// The log replays from the start: the first insert comes first.
		if !st.Receive() {
			w.t.Fatalf("no event: %v", st.Err())
		}
		ev := st.Msg()
		if ev.GetOp() != "insert" || ev.GetId() != w.docID || ev.GetSeq() <= 0 || ev.GetDocument() == nil {
			w.t.Fatalf("first event %v", ev)
		}
		seen := map[string]bool{}
		for len(seen) < 3 && st.Receive() {
			seen[st.Msg().GetId()] = true
		}
		if !seen["b-1"] || !seen["c-1"] {
			w.t.Fatalf("events for %v, want b-1 and c-1; err %v", seen, st.Err())
		}
	}},
	{"DocumentService/Delete", func(w *world) {
		v := int64(3)
		must(w.c.docs.Delete(w.ctx, as(w.user, &rampartv1.DeleteRequest{Collection: w.coll, Id: w.docID, IfMatch: &v})))(w)
		_, err := w.c.docs.Get(w.ctx, as(w.user, &rampartv1.GetRequest{Collection: w.coll, Id: w.docID}))
		wantErr(w.t, err, errs.NotFound)
	}},
	{"APIKeyService/Create+List+Rotate+Revoke", func(w *world) {
		k := must(w.c.keys.Create(w.ctx, as(w.user, &rampartv1.CreateAPIKeyRequest{Name: "ci", ExpiresIn: 3600,
			Scope: &rampartv1.APIKeyScope{Rights: 2, Collections: []string{w.coll}}})))(w)
		if k.GetId() == "" || !strings.HasPrefix(k.GetKey(), "rk_") || k.GetExpiresAtUnix() <= time.Now().Unix() {
			w.t.Fatalf("created %v", k)
		}
		// The key reads within its scope.
		d := must(w.c.docs.Get(w.ctx, as(k.GetKey(), &rampartv1.GetRequest{Collection: w.coll, Id: "b-1"})))(w)
		if fields(w, d)["_id"] != "b-1" {
			w.t.Fatalf("read with the key: %s", d.GetJson())
		}
		// Outside its scope the key finds nothing and may write nothing.
		_, err := w.c.docs.Get(w.ctx, as(k.GetKey(), &rampartv1.GetRequest{Collection: "elsewhere", Id: "b-1"}))
		wantErr(w.t, err, errs.NotFound)
		_, err = w.c.docs.Insert(w.ctx, as(k.GetKey(), &rampartv1.InsertRequest{Collection: w.coll, Document: `{}`}))
		wantErr(w.t, err, errs.PermissionDenied)
		list := must(w.c.keys.List(w.ctx, as(w.user, &rampartv1.ListAPIKeysRequest{})))(w)
		if len(list.GetKeys()) != 1 || list.GetKeys()[0].GetScope().GetRights() != 2 || list.GetKeys()[0].GetOwner() != w.userID {
			w.t.Fatalf("listed %v", list)
		}
		rot := must(w.c.keys.Rotate(w.ctx, as(w.user, &rampartv1.APIKeyIDRequest{Id: k.GetId()})))(w)
		if rot.GetId() != k.GetId() || rot.GetKey() == k.GetKey() {
			w.t.Fatalf("rotated %v", rot)
		}
		must(w.c.keys.Revoke(w.ctx, as(w.user, &rampartv1.APIKeyIDRequest{Id: k.GetId()})))(w)
		_, err = w.c.docs.Get(w.ctx, as(rot.GetKey(), &rampartv1.GetRequest{Collection: w.coll, Id: "b-1"}))
		wantErr(w.t, err, errs.Unauthenticated)
	}},
	{"AdminService/users", func(w *world) {
		limit := int32(1000)
		users := must(w.c.admin.ListUsers(w.ctx, as(w.admin, &rampartv1.ListRequest{Limit: &limit})))(w)
		found := false
		for _, d := range users.GetDocuments() {
			found = found || fields(w, d)["_id"] == w.userID
		}
		if !found {
			w.t.Fatalf("%s missing from %d users", w.userID, len(users.GetDocuments()))
		}
		if d := must(w.c.admin.GetUser(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.userID})))(w); fields(w, d)["_id"] != w.userID {
			w.t.Fatalf("got user %s", d.GetJson())
		}
		email := "alice@example.com"
		if d := must(w.c.admin.UpdateUser(w.ctx, as(w.admin, &rampartv1.UpdateUserRequest{Id: w.userID, Email: &email})))(w); fields(w, d)["email"] != email {
			w.t.Fatalf("updated user %s", d.GetJson())
		}
		must(w.c.admin.UnlockUser(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.userID})))(w)
	}},
	{"AdminService/roles", func(w *world) {
		d := must(w.c.admin.CreateRole(w.ctx, as(w.admin, &rampartv1.CreateRoleRequest{Name: "team-" + w.tag, Members: []string{w.userID}})))(w)
		w.roleID, _ = fields(w, d)["_id"].(string)
		roles := must(w.c.admin.ListRoles(w.ctx, as(w.admin, &rampartv1.ListRequest{})))(w)
		if len(roles.GetDocuments()) < 2 {
			w.t.Fatalf("roles %v", roles)
		}
		d = must(w.c.admin.SetMembers(w.ctx, as(w.admin, &rampartv1.SetMembersRequest{Id: w.roleID, Members: []string{w.userID, w.bobID}})))(w)
		if m, _ := fields(w, d)["members"].([]any); len(m) != 2 {
			w.t.Fatalf("members of %s", d.GetJson())
		}
		if d := must(w.c.admin.GetRole(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.roleID})))(w); fields(w, d)["_id"] != w.roleID {
			w.t.Fatalf("got role %s", d.GetJson())
		}
		must(w.c.admin.DeleteRole(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.roleID})))(w)
	}},
	{"AdminService/collections", func(w *world) {
		off, prio := false, int32(3)
		set := must(w.c.admin.PutCollection(w.ctx, as(w.admin, &rampartv1.PutCollectionRequest{Settings: &rampartv1.CollectionSettings{
			Name: w.coll, History: &off, Priority: &prio, CreateAclSet: true,
			CreateAcl: []*rampartv1.ACLEntry{{Id: "users", Rights: 1}},
		}})))(w)
		if set.GetHistory() || set.GetPriority() != 3 || len(set.GetCreateAcl()) != 1 {
			w.t.Fatalf("settings %v", set)
		}
		if got := must(w.c.admin.GetCollection(w.ctx, as(w.admin, &rampartv1.NameRequest{Name: w.coll})))(w); !proto.Equal(got, set) {
			w.t.Fatalf("read back %v, want %v", got, set)
		}
		ix := must(w.c.admin.CreateIndex(w.ctx, as(w.admin, &rampartv1.CreateIndexRequest{Collection: w.coll,
			Index: &rampartv1.Index{Name: "by_n", Fields: []string{"n"}}})))(w)
		if ix.GetName() != "by_n" {
			w.t.Fatalf("index %v", ix)
		}
		if list := must(w.c.admin.ListIndexes(w.ctx, as(w.admin, &rampartv1.NameRequest{Name: w.coll})))(w); len(list.GetIndexes()) != 1 {
			w.t.Fatalf("indexes %v", list)
		}
		must(w.c.admin.DropIndex(w.ctx, as(w.admin, &rampartv1.DropIndexRequest{Collection: w.coll, Name: "by_n"})))(w)
	}},
	{"AdminService/ListAudit", func(w *world) {
		limit := int32(5)
		res := must(w.c.admin.ListAudit(w.ctx, as(w.admin, &rampartv1.ListAuditRequest{Kinds: []string{"login.success"}, Limit: &limit})))(w)
		if len(res.GetEntries()) == 0 {
			w.t.Fatal("no sign-in in the audit log")
		}
		for _, e := range res.GetEntries() {
			if e.GetKind() != "login.success" || len(e.GetHash()) == 0 || e.GetAtUnixNano() == 0 {
				w.t.Errorf("entry %v", e)
			}
		}
	}},
	{"APIKeyService on the admin listener", func(w *world) {
		k := must(w.c.adminKeys.Create(w.ctx, as(w.admin, &rampartv1.CreateAPIKeyRequest{Name: "for-bob", Owner: w.bobID})))(w)
		list := must(w.c.adminKeys.List(w.ctx, as(w.admin, &rampartv1.ListAPIKeysRequest{Owner: w.bobID})))(w)
		if len(list.GetKeys()) != 1 || list.GetKeys()[0].GetId() != k.GetId() || list.GetKeys()[0].GetCreatedBy() == w.bobID {
			w.t.Fatalf("bob's keys %v", list)
		}
	}},
	{"AuthService/EnrolTOTP+ConfirmTOTP+RegenerateRecoveryCodes", func(w *world) {
		e := must(w.c.auth.EnrolTOTP(w.ctx, as(w.user, &rampartv1.Empty{})))(w)
		if e.GetSecret() == "" || !strings.HasPrefix(e.GetOtpauthUri(), "otpauth://") || len(e.GetQrPng()) == 0 {
			w.t.Fatalf("enrolment %v", e)
		}
		w.totpSecret = e.GetSecret()
		now := time.Now()
		codes := must(w.c.auth.ConfirmTOTP(w.ctx, as(w.user, &rampartv1.CodeRequest{Code: code(w, w.totpSecret, now)})))(w)
		if len(codes.GetRecoveryCodes()) == 0 {
			w.t.Fatal("no recovery codes")
		}
		// A code of the next step: each step is accepted once.
		fresh := must(w.c.auth.RegenerateRecoveryCodes(w.ctx, as(w.user, &rampartv1.CodeRequest{Code: code(w, w.totpSecret, now.Add(30*time.Second))})))(w)
		w.recovery = fresh.GetRecoveryCodes()
		if len(w.recovery) < 2 || w.recovery[0] == codes.GetRecoveryCodes()[0] {
			w.t.Fatalf("regenerated %v", fresh)
		}
	}},
	{"AuthService/CompleteMFA", func(w *world) {
		res := must(w.c.auth.Login(w.ctx, as("", &rampartv1.LoginRequest{Username: "alice-" + w.tag, Password: userPw})))(w)
		if !res.GetMfaRequired() || res.GetMfaToken() == "" || res.GetTokens() != nil {
			w.t.Fatalf("login with a factor answered %v", res)
		}
		toks := must(w.c.auth.CompleteMFA(w.ctx, as("", &rampartv1.CompleteMFARequest{MfaToken: res.GetMfaToken(), Code: w.recovery[0]})))(w)
		if toks.GetAccessToken() == "" {
			w.t.Fatalf("second step answered %v", toks)
		}
	}},
	{"AuthService/DisableTOTP", func(w *world) {
		must(w.c.auth.DisableTOTP(w.ctx, as(w.user, &rampartv1.CodeRequest{Code: w.recovery[1]})))(w)
	}},
	{"AdminService/ResetMFA", func(w *world) {
		bob := login(w.t, w.c, "bob-"+w.tag, userPw)
		e := must(w.c.auth.EnrolTOTP(w.ctx, as(bob, &rampartv1.Empty{})))(w)
		must(w.c.auth.ConfirmTOTP(w.ctx, as(bob, &rampartv1.CodeRequest{Code: code(w, e.GetSecret(), time.Now())})))(w)
		must(w.c.admin.ResetMFA(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.bobID})))(w)
		// Without a factor there is nothing to reset.
		_, err := w.c.admin.ResetMFA(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.bobID}))
		wantErr(w.t, err, errs.FailedPrecondition)
	}},
	{"AuthService/ChangePassword", func(w *world) {
		must(w.c.auth.ChangePassword(w.ctx, as(w.user, &rampartv1.ChangePasswordRequest{Current: userPw, New: userPw + "-new"})))(w)
		_, err := w.c.auth.ChangePassword(w.ctx, as(w.user, &rampartv1.ChangePasswordRequest{Current: userPw, New: userPw}))
		wantErr(w.t, err, errs.PermissionDenied)
	}},
	{"AuthService/Recover+RevokeSession", func(w *world) {
		tok, _, err := w.h.Node.Services().Identity.IssueRecovery(w.ctx, "alice-"+w.tag, time.Hour)
		if err != nil {
			w.t.Fatal(err)
		}
		toks := must(w.c.auth.Recover(w.ctx, as("", &rampartv1.RecoverRequest{Token: tok})))(w)
		list := must(w.c.auth.ListSessions(w.ctx, as(toks.GetAccessToken(), &rampartv1.Empty{})))(w)
		var other string
		for _, s := range list.GetSessions() {
			if !s.GetCurrent() {
				other = s.GetId()
			}
		}
		if other == "" {
			w.t.Fatalf("sessions %v: want another besides the recovery one", list)
		}
		must(w.c.auth.RevokeSession(w.ctx, as(toks.GetAccessToken(), &rampartv1.RevokeSessionRequest{Id: other})))(w)
		w.user = toks.GetAccessToken()
	}},
	{"AdminService/DeleteUser", func(w *world) {
		must(w.c.admin.DeleteUser(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.bobID})))(w)
		_, err := w.c.admin.GetUser(w.ctx, as(w.admin, &rampartv1.IDRequest{Id: w.bobID}))
		wantErr(w.t, err, errs.NotFound)
	}},
	{"AuthService/Logout", func(w *world) {
		must(w.c.auth.Logout(w.ctx, as(w.user, &rampartv1.Empty{})))(w)
		_, err := w.c.auth.Me(w.ctx, as(w.user, &rampartv1.Empty{}))
		wantErr(w.t, err, errs.Unauthenticated)
	}},
	{"grpc.health.v1.Health", func(w *world) {
		res := must(w.health.Check(w.ctx, connect.NewRequest(&healthv1.HealthCheckRequest{Service: "rampart.v1.DocumentService"})))(w)
		if res.GetStatus() != healthv1.HealthCheckResponse_SERVING {
			w.t.Fatalf("status %v", res.GetStatus())
		}
		ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
		defer cancel()
		st, err := w.health.Watch(ctx, connect.NewRequest(&healthv1.HealthCheckRequest{}))
		if err != nil {
			w.t.Fatal(err)
		}
		defer st.Close()
		if !st.Receive() || st.Msg().GetStatus() != healthv1.HealthCheckResponse_SERVING {
			w.t.Fatalf("watch: %v %v", st.Msg(), st.Err())
		}
	}},
}

package rpc_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/token"
)

// The hostile suite seeds one node, then sends every row over every
// protocol in turn, checking each answer is typed and that nothing moved.

const (
	coll    = "things"
	maxBody = 1 << 20 // the node's message limit, small so oversize is cheap
)

// seeded are the documents rows aim at.
var seeded = []string{"adm-private", "shared-ro", "user-own"}

type hostile struct {
	h       *apptest.Harness
	hc      *http.Client
	admin   string // access tokens
	user    string
	adminID string
	userID  string
	// adminSession and adminKey belong to the admin; the user must not
	// reach them.
	adminSession string
	adminKey     string
}

func newHostile(t *testing.T, e apptest.Engine) *hostile {
	t.Helper()
	h := apptest.Start(t, apptest.Options{Engine: e, Config: func(c *config.Config) {
		c.Limits.MaxBody, c.Limits.MaxFrame, c.Limits.MaxDocument = maxBody, maxBody, maxBody/2
	}})
	f := &hostile{h: h, hc: http2(t, h)}
	f.adminID = h.CreateUser("root", adminPw, true)
	f.userID = h.CreateUser("alice", userPw, false)
	c := newClients(f.hc, h, protocols[2])
	f.admin, f.user = login(t, c, "root", adminPw), login(t, c, "alice", userPw)
	ctx := context.Background()
	seed := func(tok, doc string) {
		if _, err := c.docs.Insert(ctx, as(tok, &rampartv1.InsertRequest{Collection: coll, Document: doc})); err != nil {
			t.Fatalf("seed %s: %v", doc, err)
		}
	}
	seed(f.admin, `{"_id":"adm-private","title":"secret"}`)
	seed(f.admin, `{"_id":"shared-ro","title":"hello","_acl":[{"id":"`+f.adminID+`","rights":63},{"id":"users","rights":2}]}`)
	seed(f.user, `{"_id":"user-own","title":"mine","n":1}`)
	ses, err := c.auth.ListSessions(ctx, as(f.admin, &rampartv1.Empty{}))
	if err != nil || len(ses.Msg.GetSessions()) == 0 {
		t.Fatalf("admin sessions: %v", err)
	}
	f.adminSession = ses.Msg.GetSessions()[0].GetId()
	k, err := c.keys.Create(ctx, as(f.admin, &rampartv1.CreateAPIKeyRequest{Name: "admin-key"}))
	if err != nil {
		t.Fatalf("admin key: %v", err)
	}
	f.adminKey = k.Msg.GetId()
	return f
}

// expired is a token signed by the node's real key an hour ago.
func (f *hostile) expired(t *testing.T) string {
	t.Helper()
	k, err := token.New(context.Background(), identity.KeyStore(f.h.Node.Store()), token.Config{
		Issuer: f.h.Cfg.Auth.Issuer, Audience: f.h.Cfg.Auth.Audience,
		Now: func() time.Time { return time.Now().Add(-time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := k.Issue(f.adminID, "old-session")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// state is what a refused call must leave exactly as it was.
type state struct {
	seq      int64
	docs     int64
	users    int64
	versions map[string]int64
}

func (f *hostile) state(t *testing.T) state {
	t.Helper()
	ctx := context.Background()
	st := f.h.Node.Store()
	seq, err := st.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := state{seq: seq, versions: map[string]int64{}}
	if s.docs, err = st.Count(ctx, coll, apptest.System, query.Filter{}); err != nil {
		t.Fatal(err)
	}
	if s.users, err = st.Count(ctx, identity.Collection, apptest.System, query.Filter{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range seeded {
		d, err := st.Get(ctx, coll, id)
		if err != nil {
			t.Fatalf("seeded %s: %v", id, err)
		}
		s.versions[id] = d.Version
	}
	return s
}

func (s state) diff(t *testing.T, after state) {
	t.Helper()
	if after.seq != s.seq || after.docs != s.docs || after.users != s.users {
		t.Errorf("moved: seq %d->%d, documents %d->%d, users %d->%d", s.seq, after.seq, s.docs, after.docs, s.users, after.users)
	}
	for id, v := range s.versions {
		if after.versions[id] != v {
			t.Errorf("%s: version %d became %d", id, v, after.versions[id])
		}
	}
}

// row is one hostile call and the refusal it must get.
type row struct {
	name string
	call func(ctx context.Context, c clients) error
	code errs.Code
}

// run sends every row over every protocol. Beyond its typed code, a row
// must get the same answer from gRPC whichever path serves it: status,
// message and detail. grpc-go's unary calls skip the HTTP handler chain,
// which serves the other gRPC clients.
func (f *hostile) run(t *testing.T, rows []row) {
	t.Helper()
	answers := map[string]map[string]answer{}
	for _, p := range protocols {
		t.Run(p.Name, func(t *testing.T) {
			c := newClients(f.hc, f.h, p)
			seen := map[string]bool{}
			for _, r := range rows {
				if seen[r.name] {
					t.Fatalf("duplicate row %q", r.name)
				}
				seen[r.name] = true
				t.Run(r.name, func(t *testing.T) {
					before := f.state(t)
					defer func() { before.diff(t, f.state(t)) }()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					err := r.call(ctx, c)
					d := wantErr(t, err, r.code)
					if answers[r.name] == nil {
						answers[r.name] = map[string]answer{}
					}
					answers[r.name][p.Name] = answerOf(err.(*connect.Error), d)
				})
			}
		})
	}
	for name, as := range answers {
		if as["grpc-go"] != as["grpc"] {
			t.Errorf("%s: grpc-go answered %+v, other gRPC clients %+v", name, as["grpc-go"], as["grpc"])
		}
	}
}

// answer is what a client learns of a refusal, less the request id.
type answer struct {
	code          connect.Code
	message       string
	detailCode    string
	detailMessage string
	details       string
}

func answerOf(ce *connect.Error, d *rampartv1.Error) answer {
	details, _ := protojson.Marshal(d.GetDetails())
	return answer{code: ce.Code(), message: ce.Message(),
		detailCode: d.GetCode(), detailMessage: d.GetMessage(), details: string(details)}
}

// rawMsg is a request sent byte for byte as given.
type rawMsg struct{ b []byte }

// rawCodec sends rawMsg bytes under a real codec name and decodes answers
// as protobuf.
type rawCodec struct{ name string }

func (c rawCodec) Name() string { return c.name }

func (c rawCodec) Marshal(v any) ([]byte, error) { return v.(*rawMsg).b, nil }

func (c rawCodec) Unmarshal(b []byte, v any) error { return proto.Unmarshal(b, v.(proto.Message)) }

// raw calls a public procedure with b as its message, encoded as codec says.
func raw(procedure, codec string, b []byte, cred string) func(context.Context, clients) error {
	return func(ctx context.Context, c clients) error {
		opts := append(append([]connect.ClientOption{}, c.p.Opts...), connect.WithCodec(rawCodec{codec}))
		cl := connect.NewClient[rawMsg, rampartv1.Empty](c.hc, c.h.PublicURL+procedure, opts...)
		_, err := cl.CallUnary(ctx, as(cred, &rawMsg{b}))
		return err
	}
}

package rpc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/transport/grpcbridge"
	"rampart.dev/rampart/internal/transport/rpc"
)

// TestDirectTable: every unary procedure a listener's handler serves is
// also served directly to the gRPC bridge, and nothing else is (streams,
// reflection, procedures the handler does not serve there).
func TestDirectTable(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	svc := h.Node.Services()
	s := rpc.New(svc.Docs, svc.Identity, rpc.Options{})
	// served asks the handler, with a call no procedure needs to run for.
	served := func(sf *rpc.Surface, path string) bool {
		req := httptest.NewRequest("POST", path, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/proto")
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, req)
		return !strings.Contains(rec.Body.String(), "no such procedure")
	}
	for name, sf := range map[string]*rpc.Surface{"public": s.Public(), "admin": s.Admin()} {
		direct := 0
		protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
			for i := range fd.Services().Len() {
				sd := fd.Services().Get(i)
				for j := range sd.Methods().Len() {
					m := sd.Methods().Get(j)
					path := "/" + string(sd.FullName()) + "/" + string(m.Name())
					want := served(sf, path) && !m.IsStreamingClient() && !m.IsStreamingServer()
					if got := sf.Unary(path) != nil; got != want {
						t.Errorf("%s %s: served directly %v, want %v", name, path, got, want)
					}
					if want {
						direct++
					}
				}
			}
			return true
		})
		if direct < 5 {
			t.Errorf("%s: only %d procedures served directly", name, direct)
		}
		for _, path := range []string{"/rampart.v1.DocumentService/Nope", "", "/"} {
			if sf.Unary(path) != nil {
				t.Errorf("%s serves %q directly", name, path)
			}
		}
	}
}

// TestDirectLimits: an answer over the send limit is refused typed on
// both paths, and the direct one applies the message limit and gate of
// the handler.
func TestDirectLimits(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("alice", userPw, false)
	alice := h.Login("alice", userPw)
	tok := alice.Token
	big := strings.Repeat("x", 4<<10)
	if r := alice.Public("POST", "/api/v1/collections/notes/documents", map[string]any{"_id": "big", "pad": big}); r.Status != http.StatusCreated {
		t.Fatalf("insert: %d %s", r.Status, r.Body)
	}
	svc := h.Node.Services()
	public := rpc.New(svc.Docs, svc.Identity, rpc.Options{MaxBody: 1 << 10, MaxSend: 2 << 10}).Public()
	get, _ := proto.Marshal(&rampartv1.GetRequest{Collection: "notes", Id: "big"})
	direct := public.Unary(rampartv1connect.DocumentServiceGetProcedure)
	call := func(cred string, msg []byte) (grpcbridge.Reply, error) {
		hdr := http.Header{"Content-Type": {"application/grpc"}}
		if cred != "" {
			hdr.Set("Authorization", "Bearer "+cred)
		}
		return direct(context.Background(), &grpcbridge.Call{Header: hdr, Peer: "198.51.100.7:40000", Msg: msg})
	}
	for _, c := range []struct {
		name string
		cred string
		msg  []byte
		want errs.Code
	}{
		{"answer over the send limit", tok, get, errs.ResourceExhausted},
		{"message over the limit", tok, make([]byte, 1<<10+1), errs.TooLarge},
		{"message over the limit, no credential", "", make([]byte, 1<<10+1), errs.TooLarge},
		{"no credential", "", get, errs.Unauthenticated},
		{"forged credential", "forged.token.value", get, errs.Unauthenticated},
		{"garbage message", tok, []byte{0xff, 0xff, 0xff}, errs.InvalidArgument},
	} {
		rep, err := call(c.cred, c.msg)
		if rep.Msg != nil {
			t.Errorf("%s: a message with the refusal", c.name)
		}
		if id := rep.Header.Get("X-Request-Id"); id == "" || rep.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: reply header %v", c.name, rep.Header)
		}
		st := status.Convert(err)
		var d *rampartv1.Error
		for _, x := range st.Details() {
			if e, ok := x.(*rampartv1.Error); ok {
				d = e
			}
		}
		if st.Code() != codes.Code(wantConnect[c.want]) || d.GetCode() != string(c.want) || d.GetId() != rep.Header.Get("X-Request-Id") {
			t.Errorf("%s: %v with detail %v, want %s", c.name, st, d, c.want)
		}
	}

	// The same answer over HTTP gets the same typed refusal.
	req := httptest.NewRequest("POST", rampartv1connect.DocumentServiceGetProcedure, strings.NewReader(string(get)))
	req.Header.Set("Content-Type", "application/proto")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	public.ServeHTTP(rec, req)
	wantJSONError(t, rec.Code, rec.Header(), rec.Body.Bytes(), errs.ResourceExhausted, "resource_exhausted")

	// Under the limit, the answer is the document.
	public = rpc.New(svc.Docs, svc.Identity, rpc.Options{}).Public()
	direct = public.Unary(rampartv1connect.DocumentServiceGetProcedure)
	rep, err := call(tok, get)
	var doc rampartv1.Document
	if err != nil || proto.Unmarshal(rep.Msg, &doc) != nil || !strings.Contains(doc.GetJson(), big) {
		t.Fatalf("get: %v %q", err, rep.Msg)
	}
}

package rpc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/transport/rpc"
)

// connectError is the Connect protocol's JSON error body.
type connectError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"details"`
}

// wantJSONError checks a Connect JSON error answer and its rampart.v1.Error.
func wantJSONError(t *testing.T, status int, header http.Header, body []byte, code errs.Code, connectCode string) {
	t.Helper()
	var ce connectError
	if err := json.Unmarshal(body, &ce); err != nil {
		t.Fatalf("status %d, body %q: %v", status, body, err)
	}
	if ce.Code != connectCode || ce.Message == "" || len(ce.Details) != 1 || ce.Details[0].Type != "rampart.v1.Error" {
		t.Fatalf("status %d, error %s", status, body)
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(ce.Details[0].Value, "="))
	if err != nil {
		t.Fatal(err)
	}
	var d rampartv1.Error
	if err := proto.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.GetCode() != string(code) || d.GetId() == "" || d.GetId() != header.Get("X-Request-Id") {
		t.Fatalf("detail %v, X-Request-Id %q", &d, header.Get("X-Request-Id"))
	}
}

// TestNotAnRPC sends requests no RPC protocol carries: each gets a typed
// Connect JSON error and changes nothing.
func TestNotAnRPC(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("alice", userPw, false)
	hc := http2(t, h)
	tok := login(t, newClients(hc, h, protocols[2]), "alice", userPw)
	insert := h.PublicURL + rampartv1connect.DocumentServiceInsertProcedure
	body := `{"collection":"things","document":"{}"}`
	for _, tc := range []struct {
		name, method, url, ct string
		status                int
		code                  errs.Code
		connect               string
	}{
		{"text/plain", "POST", insert, "text/plain", 400, errs.InvalidArgument, "invalid_argument"},
		{"form", "POST", insert, "application/x-www-form-urlencoded", 400, errs.InvalidArgument, "invalid_argument"},
		{"unknown codec", "POST", insert, "application/xml", 400, errs.InvalidArgument, "invalid_argument"},
		{"JSON in another charset", "POST", insert, "application/json; charset=latin1", 400, errs.InvalidArgument, "invalid_argument"},
		{"extra parameter", "POST", insert, "application/proto; x=1", 400, errs.InvalidArgument, "invalid_argument"},
		{"malformed type", "POST", insert, "application/", 400, errs.InvalidArgument, "invalid_argument"},
		{"no content type", "POST", insert, "", 400, errs.InvalidArgument, "invalid_argument"},
		{"GET", "GET", insert, "application/json", 404, errs.NotFound, "not_found"},
		{"PUT", "PUT", insert, "application/json", 404, errs.NotFound, "not_found"},
		{"unknown procedure", "POST", h.PublicURL + "/rampart.v1.DocumentService/Drop", "application/json", 404, errs.NotFound, "not_found"},
		{"admin procedure on the public listener", "POST", h.PublicURL + rampartv1connect.AdminServiceListUsersProcedure, "application/json", 404, errs.NotFound, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, _ := h.Node.Store().LastSeq(context.Background())
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d (%s), want %d: %s", res.StatusCode, res.Header.Get("Content-Type"), tc.status, raw)
			}
			wantJSONError(t, res.StatusCode, res.Header, raw, tc.code, tc.connect)
			if after, _ := h.Node.Store().LastSeq(context.Background()); after != seq {
				t.Errorf("change log moved from %d to %d", seq, after)
			}
		})
	}
}

// TestGRPCWithUnknownCodec checks that a gRPC client naming a codec the
// server lacks gets its refusal as gRPC: status 3 with the detail in the
// trailers.
func TestGRPCWithUnknownCodec(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	req, _ := http.NewRequest("POST", h.PublicURL+rampartv1connect.DocumentServiceInsertProcedure, strings.NewReader("\x00\x00\x00\x00\x02{}"))
	req.Header.Set("Content-Type", "application/grpc+xml")
	res, err := http2(t, h).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	get := func(k string) string {
		if v := res.Header.Get(k); v != "" {
			return v
		}
		return res.Trailer.Get(k)
	}
	bin, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(get("Grpc-Status-Details-Bin"), "="))
	if get("Grpc-Status") != "3" || get("Grpc-Message") == "" || err != nil || !strings.Contains(string(bin), "rampart.v1.Error") {
		t.Fatalf("status %q, message %q, details %q (%v)", get("Grpc-Status"), get("Grpc-Message"), bin, err)
	}
}

// TestInMemoryDispatch serves calls the way the socket transports do: an
// in-memory request to Public(), without TLS or HTTP/2, the peer in
// RemoteAddr and the credential in Authorization.
func TestInMemoryDispatch(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("alice", userPw, false)
	svc := h.Node.Services()
	public := rpc.New(svc.Docs, svc.Identity, rpc.Options{}).Public()
	const peer = "198.51.100.7:40000"
	call := func(ctx context.Context, proc, ct, cred string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, "POST", proc, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Connect-Protocol-Version", "1")
		if cred != "" {
			req.Header.Set("Authorization", "Bearer "+cred)
		}
		req.RemoteAddr = peer
		rec := httptest.NewRecorder()
		public.ServeHTTP(rec, req)
		return rec
	}
	ctx := context.Background()

	rec := call(ctx, rampartv1connect.AuthServiceLoginProcedure, "application/json", "", []byte(`{"username":"alice","password":"`+userPw+`"}`))
	var login rampartv1.LoginResponse
	if rec.Code != http.StatusOK || protojson.Unmarshal(rec.Body.Bytes(), &login) != nil || login.GetTokens().GetAccessToken() == "" {
		t.Fatalf("Login: %d %s", rec.Code, rec.Body)
	}
	tok := login.GetTokens().GetAccessToken()

	rec = call(ctx, rampartv1connect.AuthServiceListSessionsProcedure, "application/proto", tok, nil)
	var list rampartv1.ListSessionsResponse
	if rec.Code != http.StatusOK || proto.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.GetSessions()) != 1 {
		t.Fatalf("ListSessions: %d %q", rec.Code, rec.Body)
	}
	if addr := list.GetSessions()[0].GetAddr(); addr != "198.51.100.7" {
		t.Fatalf("session address %q, want the peer's", addr)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}

	rec = call(ctx, rampartv1connect.AuthServiceMeProcedure, "application/proto", "forged", nil)
	wantJSONError(t, rec.Code, rec.Header(), rec.Body.Bytes(), errs.Unauthenticated, "unauthenticated")

	// A stream over a writer without deadlines: one event, then the end
	// when the caller goes away.
	doc := call(ctx, rampartv1connect.DocumentServiceInsertProcedure, "application/json", tok, []byte(`{"collection":"notes","document":"{\"_id\":\"n1\"}"}`))
	if doc.Code != http.StatusOK {
		t.Fatalf("Insert: %d %s", doc.Code, doc.Body)
	}
	msg := []byte(`{"collection":"notes","since":"0"}`)
	frame := append([]byte{0, 0, 0, 0, byte(len(msg))}, msg...)
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	rec = call(wctx, rampartv1connect.DocumentServiceWatchProcedure, "application/connect+json", tok, frame)
	out := rec.Body.Bytes()
	if rec.Code != http.StatusOK || len(out) < 5 || out[0] != 0 {
		t.Fatalf("Watch: %d %q", rec.Code, out)
	}
	n := int(out[1])<<24 | int(out[2])<<16 | int(out[3])<<8 | int(out[4])
	var ev rampartv1.WatchEvent
	if err := protojson.Unmarshal(out[5:5+n], &ev); err != nil || ev.GetId() != "n1" || ev.GetOp() != "insert" {
		t.Fatalf("first event %q: %v", out[5:5+n], err)
	}
}

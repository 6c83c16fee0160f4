package envelope

import (
	"encoding/json"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

func TestCodeFromConnect(t *testing.T) {
	want := map[connect.Code]string{
		connect.CodeCanceled:           CodeCanceled,
		connect.CodeUnknown:            "internal",
		connect.CodeInvalidArgument:    "invalid_argument",
		connect.CodeDeadlineExceeded:   "unavailable",
		connect.CodeNotFound:           "not_found",
		connect.CodeAlreadyExists:      "conflict",
		connect.CodePermissionDenied:   "permission_denied",
		connect.CodeResourceExhausted:  "resource_exhausted",
		connect.CodeFailedPrecondition: "failed_precondition",
		connect.CodeAborted:            "conflict",
		connect.CodeOutOfRange:         "invalid_argument",
		connect.CodeUnimplemented:      "not_found",
		connect.CodeInternal:           "internal",
		connect.CodeUnavailable:        "unavailable",
		connect.CodeDataLoss:           "internal",
		connect.CodeUnauthenticated:    "unauthenticated",
	}
	for c, code := range want {
		if got := codeFromConnect(c.String()); got != code {
			t.Errorf("%v -> %s, want %s", c, got, code)
		}
	}
	if got := codeFromConnect("made_up"); got != "internal" {
		t.Errorf("an unknown Connect code -> %s", got)
	}
}

// TestErrsCodesSurviveTheClient sends every errs code through the client's
// Connect translation and back.
func TestErrsCodesSurviveTheClient(t *testing.T) {
	for _, code := range append(append([]errs.Code{}, errs.Codes...), CodeCanceled) {
		in := &rampartv1.Error{Code: string(code), Message: "m", Id: "x"}
		body, err := json.Marshal(toWireError(in))
		if err != nil {
			t.Fatal(err)
		}
		out := parseErrorBody(connectStatus[connectCode(string(code))], body)
		if !proto.Equal(in, out) {
			t.Errorf("%s came back as %v", code, out)
		}
		e, ok := ErrorDetail(toConnectError(in))
		if !ok || !proto.Equal(in, e) {
			t.Errorf("ErrorDetail lost %s: %v", code, e)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	detail := func(e *rampartv1.Error) string {
		b, _ := json.Marshal(toWireError(e))
		return string(b)
	}
	cases := []struct {
		name   string
		status int
		body   string
		code   string
		msg    string
	}{
		{"plain 404 from a mux", 404, "404 page not found\n", "not_found", "not found"},
		{"unsupported media type", 415, "", "invalid_argument", "unsupported media type"},
		{"garbage", 500, "{{{", "internal", "internal server error"},
		{"connect error without detail", 403, `{"code":"permission_denied","message":"no"}`, "permission_denied", "no"},
		{"connect error with detail", 400, detail(&rampartv1.Error{Code: "too_large", Message: "big"}), "too_large", "big"},
		{"padded base64 detail", 400, `{"code":"invalid_argument","details":[{"type":"rampart.v1.Error","value":"CgNhYmM="}]}`, "abc", ""},
		{"bad detail falls back to the code", 409, `{"code":"aborted","message":"m","details":[{"type":"rampart.v1.Error","value":"!!"}]}`, "conflict", "m"},
	}
	for _, tc := range cases {
		e := parseErrorBody(tc.status, []byte(tc.body))
		if e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%s: got %s %q, want %s %q", tc.name, e.Code, e.Message, tc.code, tc.msg)
		}
	}
}

func TestLookupMethod(t *testing.T) {
	cases := []struct {
		path string
		kind methodKind
		code string
	}{
		{getMethod, unary, ""},
		{watchMethod, serverStream, ""},
		{"/grpc.health.v1.Health/Watch", serverStream, ""},
		{"/rampart.v1.AuthService/Login", unary, ""},
		{"/rampart.v1.DocumentService/", 0, "not_found"},
		{"/rampart.v1.DocumentService/Get/x", 0, "not_found"},
		{"/rampart.v1.Document/Json", 0, "not_found"},
		{"rampart.v1.DocumentService/Get", 0, "not_found"},
		{"", 0, "not_found"},
		{"/", 0, "not_found"},
		{MethodAuthenticate, 0, "not_found"},
	}
	for _, tc := range cases {
		kind, e := lookupMethod(tc.path)
		if e.GetCode() != tc.code || (e == nil && kind != tc.kind) {
			t.Errorf("%q: %v %v, want %v %q", tc.path, kind, e, tc.kind, tc.code)
		}
	}
}

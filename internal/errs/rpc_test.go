package errs

import (
	"testing"

	"connectrpc.com/connect"
)

func TestRPC(t *testing.T) {
	want := map[Code]connect.Code{
		InvalidArgument: connect.CodeInvalidArgument, Unauthenticated: connect.CodeUnauthenticated,
		PermissionDenied: connect.CodePermissionDenied, NotFound: connect.CodeNotFound,
		Conflict: connect.CodeAlreadyExists, FailedPrecondition: connect.CodeFailedPrecondition,
		TooLarge: connect.CodeResourceExhausted, ResourceExhausted: connect.CodeResourceExhausted,
		Unavailable: connect.CodeUnavailable, Internal: connect.CodeInternal,
	}
	if len(want) != len(Codes) {
		t.Fatalf("%d codes, %d statuses in the test", len(Codes), len(want))
	}
	for _, c := range Codes {
		if got := c.RPC(); got != want[c] {
			t.Errorf("%s -> %v, want %v", c, got, want[c])
		}
		// Every code but too_large, which shares its status, comes back.
		if back := FromRPC(c.RPC()); back != c && c != TooLarge {
			t.Errorf("%s -> %v -> %s", c, c.RPC(), back)
		}
	}
	if Code("nonsense").RPC() != connect.CodeInternal {
		t.Error("an unknown code must map to internal")
	}
	for rpc, code := range map[connect.Code]Code{
		connect.CodeOutOfRange: InvalidArgument, connect.CodeUnimplemented: NotFound,
		connect.CodeAborted: Conflict, connect.CodeCanceled: Unavailable,
		connect.CodeDeadlineExceeded: Unavailable, connect.CodeUnknown: Internal,
		connect.CodeDataLoss: Internal,
	} {
		if got := FromRPC(rpc); got != code {
			t.Errorf("FromRPC(%v) = %s, want %s", rpc, got, code)
		}
	}
}

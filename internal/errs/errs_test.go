package errs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestHTTPStatus(t *testing.T) {
	want := map[Code]int{
		InvalidArgument: 400, Unauthenticated: 401, PermissionDenied: 403, NotFound: 404,
		Conflict: 409, FailedPrecondition: 412, TooLarge: 413, ResourceExhausted: 429,
		Unavailable: 503, Internal: 500,
	}
	if len(want) != len(Codes) {
		t.Fatalf("%d codes, %d statuses in the test", len(Codes), len(want))
	}
	for _, c := range Codes {
		if got := c.HTTPStatus(); got != want[c] {
			t.Errorf("%s -> %d, want %d", c, got, want[c])
		}
	}
	if Code("nonsense").HTTPStatus() != http.StatusInternalServerError {
		t.Error("an unknown code must map to 500")
	}
}

func TestPublicHidesCauses(t *testing.T) {
	cause := errors.New("pq: relation documents does not exist")
	for _, err := range []error{cause, Wrap(cause, Internal, "db broke"), fmt.Errorf("x: %w", cause)} {
		code, msg := Public(err)
		if code != Internal || msg != "internal error" {
			t.Errorf("Public(%v) = %s %q", err, code, msg)
		}
	}
	wrapped := fmt.Errorf("outer: %w", Wrap(cause, NotFound, "document not found"))
	if code, msg := Public(wrapped); code != NotFound || msg != "document not found" {
		t.Errorf("Public(wrapped typed) = %s %q", code, msg)
	}
	if CodeOf(nil) != "" || CodeOf(cause) != Internal || !Is(wrapped, NotFound) || !errors.Is(wrapped, cause) {
		t.Error("CodeOf/Is/Unwrap are wrong")
	}
}

func TestWithCopies(t *testing.T) {
	base := E(ResourceExhausted, "slow down")
	a := base.With("retry_after", 3)
	if base.Details != nil || a.Details["retry_after"] != 3 || DetailsOf(a)["retry_after"] != 3 {
		t.Fatalf("With changed the original or lost the detail: %+v %+v", base, a)
	}
}

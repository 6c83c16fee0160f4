package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// TestCodesMatchServer keeps the SDK's codes equal to the server's set.
func TestCodesMatchServer(t *testing.T) {
	ours := []Code{InvalidArgument, Unauthenticated, PermissionDenied, NotFound, Conflict,
		FailedPrecondition, TooLarge, ResourceExhausted, Unavailable, Internal}
	var theirs []Code
	for _, c := range errs.Codes {
		theirs = append(theirs, Code(c))
	}
	if !slices.Equal(ours, theirs) {
		t.Fatalf("client codes %v, server codes %v", ours, theirs)
	}
	for _, c := range ours {
		if !errors.Is(&Error{Code: c, Message: "x"}, &Error{Code: c}) {
			t.Errorf("errors.Is does not match code %s", c)
		}
	}
}

func rampartError(t *testing.T, code connect.Code, e *rampartv1.Error) error {
	t.Helper()
	ce := connect.NewError(code, errors.New(e.GetMessage()))
	d, err := connect.NewErrorDetail(e)
	if err != nil {
		t.Fatal(err)
	}
	ce.AddDetail(d)
	return ce
}

func TestConvertReadsDetail(t *testing.T) {
	details, _ := structpb.NewStruct(map[string]any{"retry_after": 3, "version": 7})
	err := convert(fmt.Errorf("wrapped: %w", rampartError(t, connect.CodeResourceExhausted, &rampartv1.Error{
		Code: "too_large", Message: "request body is over the limit", Id: "abc", Details: details,
	})))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *Error: %T %v", err, err)
	}
	// The detail's code wins over the protocol code, which is coarser.
	if e.Code != TooLarge || e.Message != "request body is over the limit" || e.ID != "abc" {
		t.Fatalf("got %+v", e)
	}
	if e.RetryAfter() != 3*time.Second || e.CurrentVersion() != 7 {
		t.Fatalf("details: retry %v version %d", e.RetryAfter(), e.CurrentVersion())
	}
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotFound) || !IsCode(err, TooLarge) {
		t.Fatal("errors.Is or IsCode mismatch")
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatal("the protocol error is not reachable through Unwrap")
	}
	if convert(err) != err {
		t.Fatal("converting twice changed the error")
	}
}

func TestConvertWithoutDetail(t *testing.T) {
	for code, want := range map[connect.Code]Code{
		connect.CodeNotFound:           NotFound,
		connect.CodeUnimplemented:      NotFound,
		connect.CodePermissionDenied:   PermissionDenied,
		connect.CodeUnauthenticated:    Unauthenticated,
		connect.CodeFailedPrecondition: FailedPrecondition,
		connect.CodeAlreadyExists:      Conflict,
		connect.CodeUnavailable:        Unavailable,
		connect.CodeUnknown:            Internal,
		connect.CodeDataLoss:           Internal,
	} {
		if got := CodeOf(convert(connect.NewError(code, errors.New("x")))); got != want {
			t.Errorf("%v -> %s, want %s", code, got, want)
		}
	}
}

func TestConvertKeepsCancellation(t *testing.T) {
	for _, err := range []error{
		context.Canceled,
		connect.NewError(connect.CodeCanceled, context.Canceled),
		connect.NewError(connect.CodeDeadlineExceeded, context.DeadlineExceeded),
	} {
		got := convert(err)
		if CodeOf(got) != "" || !(errors.Is(got, context.Canceled) || errors.Is(got, context.DeadlineExceeded)) {
			t.Errorf("convert(%v) = %T %v", err, got, got)
		}
	}
	// Canceled without the context's error underneath is a connection that
	// broke, as when a listener refuses the client's certificate.
	if got := convert(connect.NewError(connect.CodeCanceled, errors.New("write: connection reset by peer"))); !IsCode(got, Unavailable) {
		t.Errorf("a reset connection converts to %v", got)
	}
	if convert(nil) != nil || IsCode(nil, Internal) {
		t.Fatal("nil must stay nil")
	}
}

func TestErrorText(t *testing.T) {
	if got := (&Error{Code: NotFound, Message: "document not found", ID: "x"}).Error(); got != "not_found: document not found" {
		t.Errorf("got %q", got)
	}
	if got := (&Error{Code: Internal, Message: "internal error", ID: "f00"}).Error(); got != "internal: internal error (id f00)" {
		t.Errorf("got %q", got)
	}
}

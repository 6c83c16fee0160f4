package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// Code is a stable, machine-readable error code; the server's set is closed.
type Code string

// The codes the server answers with.
const (
	InvalidArgument    Code = "invalid_argument"
	Unauthenticated    Code = "unauthenticated"
	PermissionDenied   Code = "permission_denied"
	NotFound           Code = "not_found"
	Conflict           Code = "conflict"
	FailedPrecondition Code = "failed_precondition"
	TooLarge           Code = "too_large"
	ResourceExhausted  Code = "resource_exhausted"
	Unavailable        Code = "unavailable"
	Internal           Code = "internal"
)

// Error is an error the server answered with, or a failure to reach it
// (code unavailable, with the cause reachable through errors.As).
type Error struct {
	Code    Code
	Message string
	// ID is the server's correlation id; internal errors are logged under it.
	ID string
	// Details holds machine-readable extras: retry_after (seconds), version
	// (the current one, when an if-match missed), index (of the failing
	// document in InsertMany).
	Details map[string]any
	cause   error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.ID != "" && e.Code == Internal {
		s += " (id " + e.ID + ")"
	}
	return s
}

// Unwrap returns the transport error, so errors.As finds TLS and network
// causes and errors.Is finds context errors.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrNotFound) and its kin match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.ID == "" && t.Code == e.Code
}

// RetryAfter is how long the server asked to wait after resource_exhausted,
// or 0.
func (e *Error) RetryAfter() time.Duration {
	if s, ok := e.Details["retry_after"].(float64); ok && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return 0
}

// CurrentVersion is the document's version when an if-match missed, or 0.
func (e *Error) CurrentVersion() int64 {
	v, _ := e.Details["version"].(float64)
	return int64(v)
}

// Values to compare with errors.Is; they match any *Error with that code.
var (
	ErrInvalidArgument    = &Error{Code: InvalidArgument}
	ErrUnauthenticated    = &Error{Code: Unauthenticated}
	ErrPermissionDenied   = &Error{Code: PermissionDenied}
	ErrNotFound           = &Error{Code: NotFound}
	ErrConflict           = &Error{Code: Conflict}
	ErrFailedPrecondition = &Error{Code: FailedPrecondition}
	ErrTooLarge           = &Error{Code: TooLarge}
	ErrResourceExhausted  = &Error{Code: ResourceExhausted}
	ErrUnavailable        = &Error{Code: Unavailable}
	ErrInternal           = &Error{Code: Internal}
)

// Errors of the client itself, before anything reaches the server.
var (
	// ErrInvalidURL wraps every refusal of a server URL.
	ErrInvalidURL = errors.New("invalid server url")
	// ErrUnsupportedScheme is an URL scheme the client does not speak.
	ErrUnsupportedScheme = errors.New("unsupported url scheme")
	// ErrNoAdminURL is returned by admin calls on a client without WithAdminURL.
	ErrNoAdminURL = errors.New("no admin url: dial with WithAdminURL")
	// ErrMFARequired is returned by LoginPassword when a second factor must
	// follow; call CompleteMFA with the code.
	ErrMFARequired = errors.New("a second factor is required: call CompleteMFA")
	// ErrNoMFAPending is returned by CompleteMFA without a LoginPassword
	// that asked for a second factor.
	ErrNoMFAPending = errors.New("no sign-in is waiting for a second factor")
	// ErrNotSignedIn is returned when refreshing needs a refresh token the
	// client does not hold.
	ErrNotSignedIn = errors.New("not signed in")
)

// CodeOf returns the code of the first *Error in err's chain, or "" when
// there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// convert turns a connect error into an *Error, reading the rampart.v1.Error
// detail the server attaches. Cancellations stay the context's error.
func convert(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Code() == connect.CodeDeadlineExceeded {
		return err
	}
	// Without a detail (a proxy, an older server, a broken connection) the
	// status names the code. Canceled is unavailable here: the caller's
	// context did not end (that returned above), the connection did, e.g.
	// a listener refusing the client's certificate.
	e = &Error{Code: Code(errs.FromRPC(ce.Code())), Message: ce.Message(), cause: err}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if m, ok := v.(*rampartv1.Error); ok && derr == nil {
			e.Code, e.Message, e.ID = Code(m.GetCode()), m.GetMessage(), m.GetId()
			if m.GetDetails() != nil {
				e.Details = m.GetDetails().AsMap()
			}
			break
		}
	}
	return e
}

// localError reports a refusal by the client itself as an invalid_argument
// *Error, so callers handle bad input the same way wherever it is caught.
func localError(format string, args ...any) error {
	return &Error{Code: InvalidArgument, Message: fmt.Sprintf(format, args...)}
}

package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code. The set is closed.
type Code string

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

// Codes lists every code, for tests and documentation.
var Codes = []Code{
	InvalidArgument, Unauthenticated, PermissionDenied, NotFound, Conflict,
	FailedPrecondition, TooLarge, ResourceExhausted, Unavailable, Internal,
}

// HTTPStatus is the status an HTTP edge answers with for the code.
func (c Code) HTTPStatus() int {
	switch c {
	case InvalidArgument:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case PermissionDenied:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case FailedPrecondition:
		return http.StatusPreconditionFailed
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case ResourceExhausted:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error is the error every service returns for a condition the caller can act on.
type Error struct {
	Code    Code
	Message string // lowercase, safe to show to the caller
	Err     error  // cause, logged but never shown
	// Details carries machine-readable extras, e.g. the field that failed or
	// the seconds to wait after resource_exhausted.
	Details map[string]any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error that keeps err as its hidden cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// With returns a copy of e carrying one more detail.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// CodeOf reports the code of err: the code of the first *Error in its chain,
// Internal for any other non-nil error, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// Public returns what may be shown to the caller: the code and message of a
// typed error, or "internal error" for anything else.
func Public(err error) (Code, string) {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Code, e.Message
	}
	return Internal, "internal error"
}

// DetailsOf returns the details of the first *Error in err's chain.
func DetailsOf(err error) map[string]any {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

package envelope

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// CodeCanceled ends a request its own client cancelled. It is the one code
// outside errs: only the client that asked for the cancel ever sees it.
const CodeCanceled = "canceled"

// errorDetailType names the rampart.v1.Error detail in Connect error bodies.
const errorDetailType = "rampart.v1.Error"

func newError(code errs.Code, msg string) *rampartv1.Error {
	return &rampartv1.Error{Code: string(code), Message: msg}
}

// wireError is a Connect error as JSON: the unary error body, and the
// "error" of an end-of-stream message.
type wireError struct {
	Code    string       `json:"code"`
	Message string       `json:"message,omitempty"`
	Details []wireDetail `json:"details,omitempty"`
}

type wireDetail struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// endStream is the Connect end-of-stream message.
type endStream struct {
	Error *wireError `json:"error,omitempty"`
}

// connectStatus is the HTTP status the Connect protocol gives each code.
var connectStatus = map[connect.Code]int{
	connect.CodeCanceled:           499,
	connect.CodeInvalidArgument:    http.StatusBadRequest,
	connect.CodeNotFound:           http.StatusNotFound,
	connect.CodeAlreadyExists:      http.StatusConflict,
	connect.CodePermissionDenied:   http.StatusForbidden,
	connect.CodeUnauthenticated:    http.StatusUnauthorized,
	connect.CodeResourceExhausted:  http.StatusTooManyRequests,
	connect.CodeFailedPrecondition: http.StatusBadRequest,
	connect.CodeUnavailable:        http.StatusServiceUnavailable,
}

// codeFromConnect names the code of a Connect error that carries no
// rampart.v1.Error detail.
func codeFromConnect(name string) string {
	var c connect.Code
	if err := c.UnmarshalText([]byte(name)); err != nil {
		return string(errs.Internal)
	}
	if c == connect.CodeCanceled {
		return CodeCanceled
	}
	return string(errs.FromRPC(c))
}

// connectCode is the status an envelope error code travels as; canceled,
// the one code outside the errs set, included.
func connectCode(code string) connect.Code {
	if code == CodeCanceled {
		return connect.CodeCanceled
	}
	return errs.Code(code).RPC()
}

// codeFromStatus names the code of an HTTP error that is not a Connect
// error body, such as a mux's plain 404.
func codeFromStatus(status int) string {
	for _, c := range errs.Codes {
		if c.HTTPStatus() == status && c != errs.Internal {
			return string(c)
		}
	}
	if status == http.StatusUnsupportedMediaType || status == http.StatusMethodNotAllowed {
		return string(errs.InvalidArgument)
	}
	return string(errs.Internal)
}

// fromWireError turns a Connect error into the envelope's error: the
// rampart.v1.Error detail when the handler attached one, else a mapping of
// the Connect code.
func fromWireError(w *wireError) *rampartv1.Error {
	for _, d := range w.Details {
		if strings.TrimPrefix(d.Type, "type.googleapis.com/") != errorDetailType {
			continue
		}
		raw, err := connect.DecodeBinaryHeader(d.Value)
		if err != nil {
			continue
		}
		var e rampartv1.Error
		if proto.Unmarshal(raw, &e) == nil && e.Code != "" {
			return &e
		}
	}
	return &rampartv1.Error{Code: codeFromConnect(w.Code), Message: w.Message}
}

// parseErrorBody reads a non-200 unary answer.
func parseErrorBody(status int, body []byte) *rampartv1.Error {
	var w wireError
	if json.Unmarshal(body, &w) == nil && w.Code != "" {
		return fromWireError(&w)
	}
	code := codeFromStatus(status)
	return &rampartv1.Error{Code: code, Message: strings.ToLower(http.StatusText(status))}
}

// toWireError is the Connect error for e, with e itself as its detail so the
// caller loses nothing.
func toWireError(e *rampartv1.Error) *wireError {
	w := &wireError{Code: connectCode(e.Code).String(), Message: e.Message}
	if raw, err := proto.Marshal(e); err == nil {
		w.Details = []wireDetail{{Type: errorDetailType, Value: connect.EncodeBinaryHeader(raw)}}
	}
	return w
}

// toConnectError is e as the error the generated clients return.
func toConnectError(e *rampartv1.Error) *connect.Error {
	ce := connect.NewError(connectCode(e.Code), errors.New(e.Message))
	if d, err := connect.NewErrorDetail(e); err == nil {
		ce.AddDetail(d)
	}
	return ce
}

// ErrorDetail returns the rampart.v1.Error an error from Call or a generated
// client carries, with the code, message, correlation id and details the
// server sent.
func ErrorDetail(err error) (*rampartv1.Error, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil, false
	}
	for _, d := range ce.Details() {
		if d.Type() != errorDetailType {
			continue
		}
		v, err := d.Value()
		if e, ok := v.(*rampartv1.Error); ok && err == nil {
			return e, true
		}
	}
	return nil, false
}

package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// request is what the outermost handler learns of every call.
type request struct {
	id   string // correlation id, in X-Request-Id and every error
	path string
}

type requestKey struct{}

func requestOf(ctx context.Context) request {
	r, _ := ctx.Value(requestKey{}).(request)
	return r
}

// fail turns err into the RPC error the client sees: the status of its
// code, its public message and a rampart.v1.Error detail. Internal errors
// are logged with the correlation id and shown only as "internal error".
func (s *Server) fail(ctx context.Context, err error) *connect.Error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce // already an answer
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		// The client left or its deadline passed: nobody reads a detail.
		if errors.Is(cerr, context.DeadlineExceeded) {
			return connect.NewError(connect.CodeDeadlineExceeded, cerr)
		}
		return connect.NewError(connect.CodeCanceled, cerr)
	}
	req := requestOf(ctx)
	code, msg := errs.Public(err)
	if code == errs.Internal {
		s.log.Error("request failed", "id", req.id, "procedure", req.path, "err", err)
	} else {
		s.log.Debug("request refused", "id", req.id, "procedure", req.path, "code", code, "msg", msg)
	}
	detail := &rampartv1.Error{Code: string(code), Message: msg, Id: req.id}
	if code != errs.Internal {
		detail.Details = detailStruct(errs.DetailsOf(err))
	}
	ce = connect.NewError(code.RPC(), errors.New(msg))
	if d, derr := connect.NewErrorDetail(detail); derr == nil {
		ce.AddDetail(d)
	}
	if secs, ok := errs.DetailsOf(err)["retry_after"].(int); ok && code == errs.ResourceExhausted {
		ce.Meta().Set("Retry-After", strconv.Itoa(secs))
	}
	return ce
}

// detailStruct converts error details through JSON, which every detail
// value (numbers, strings, lists) survives exactly as REST shows it.
func detailStruct(d map[string]any) *structpb.Struct {
	if len(d) == 0 {
		return nil
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	st := &structpb.Struct{}
	if protojson.Unmarshal(raw, st) != nil {
		return nil
	}
	return st
}

// writeError answers a request refused before it reached a procedure, in
// the protocol the client speaks (Connect JSON when it speaks none).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	_ = s.errors.Write(w, r, s.fail(r.Context(), err))
}

// recovered turns a panic in a procedure into a logged internal error.
func (s *Server) recovered(ctx context.Context, _ connect.Spec, _ http.Header, p any) error {
	return s.fail(ctx, errs.Panic(p))
}

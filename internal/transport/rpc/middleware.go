package rpc

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// wrap adds what every RPC answer needs: a correlation id, no caching, and
// a typed refusal of requests no RPC protocol could carry.
func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := request{id: errs.NewID(), path: r.URL.Path}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, req))
		h := w.Header()
		h.Set("X-Request-Id", req.id)
		h.Set("Cache-Control", "no-store")
		// Procedures recover their own panics; this catches the rest (a
		// request gate, the body reader) as REST does.
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(w, r, errs.Panic(p))
			}
		}()
		if r.Method != http.MethodPost {
			s.writeError(w, r, errs.E(errs.NotFound, "no such procedure: %s %.128s (procedures take POST)", r.Method, r.URL.Path))
			return
		}
		if !rpcContent(r.Header.Get("Content-Type")) {
			s.writeError(w, r, errs.E(errs.InvalidArgument,
				"send a protobuf or JSON message as gRPC, gRPC-Web or Connect (Content-Type application/grpc, application/grpc-web, application/proto or application/json)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rpcContent reports whether a content type names a protocol and codec
// the handlers serve: anything else would get an untyped 415.
func rpcContent(ct string) bool {
	mt, params, err := mediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; len(params) > 1 || len(params) == 1 && (!ok || mt != "application/json" || !strings.EqualFold(cs, "utf-8")) {
		return false
	}
	switch mt {
	case "application/grpc", "application/grpc+proto", "application/grpc+json",
		"application/grpc-web", "application/grpc-web+proto", "application/grpc-web+json",
		"application/proto", "application/json",
		"application/connect+proto", "application/connect+json":
		return true
	}
	return false
}

// framed reports whether a content type puts each message in a 5-byte
// envelope (every protocol but unary Connect).
func framed(ct string) bool {
	mt, _, _ := mediaType(ct)
	return mt != "application/proto" && mt != "application/json"
}

// mediaType is mime.ParseMediaType, save that a type without parameters,
// the usual one and checked on every call, is only trimmed and lowercased:
// no parameter map, no copies. A malformed bare type comes back as itself
// rather than as an error, and matches no type the callers look for.
func mediaType(ct string) (string, map[string]string, error) {
	if !strings.ContainsRune(ct, ';') {
		if mt := strings.ToLower(strings.TrimSpace(ct)); mt != "" {
			return mt, nil, nil
		}
	}
	return mime.ParseMediaType(ct)
}

// envelope is the prefix of one framed message: a flag byte and a length.
const envelope = 5

// bounded reads the whole request, which for these procedures is a single
// message, within the size limit; over it the client gets too_large rather
// than the protocol library's untyped refusal.
func (s *Server) bounded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.opt.MaxBody
		if framed(r.Header.Get("Content-Type")) {
			limit += envelope
		}
		if r.ContentLength > limit {
			s.writeError(w, r, s.tooLarge())
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			s.writeError(w, r, errs.Wrap(err, errs.InvalidArgument, "could not read the request body"))
			return
		}
		if int64(len(raw)) > limit {
			s.writeError(w, r, s.tooLarge())
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
		next.ServeHTTP(w, r)
	})
}

// tooLarge refuses a request message over the limit.
func (s *Server) tooLarge() error {
	return errs.E(errs.TooLarge, "request message is over the limit of %d bytes", s.opt.MaxBody)
}

// notFound answers a procedure this listener does not serve.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, errs.E(errs.NotFound, "no such procedure: %.128s", r.URL.Path))
}

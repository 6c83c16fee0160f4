package grpcbridge

import (
	"encoding/base64"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"
)

// frameReader reads a stream's messages, which the frame codec delivers as
// gRPC frames, as one body.
type frameReader struct {
	recv func(any) error // the stream's RecvMsg
	// end, when set, says what reads return once the stream ended with
	// err (io.EOF when it ended cleanly); otherwise they return err.
	end   func(err error) error
	close func()
	buf   []byte
	err   error
}

func (r *frameReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		var frame []byte
		if err := r.recv(&frame); err != nil {
			if r.end != nil {
				err = r.end(err)
			}
			r.err = err
			continue
		}
		r.buf = frame
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *frameReader) Close() error {
	if r.close != nil {
		r.close()
	}
	return nil
}

// toHeader adds md to h as HTTP headers carry it: binary values in base64,
// pseudo-headers left out.
func toHeader(h http.Header, md metadata.MD) {
	for k, vs := range md {
		if !strings.HasPrefix(k, ":") {
			h[canonicalKey(k)] = encodeBinary(k, vs)
		}
	}
}

// toMetadata is h as call metadata, leaving out trailers, what HTTP or
// gRPC itself owns and the names skip reports (in canonical form).
func toMetadata(h http.Header, skip func(string) bool) metadata.MD {
	md := make(metadata.MD, len(h))
	for k, vs := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || (skip != nil && skip(k)) {
			continue
		}
		lk := lowerKey(k)
		if reserved(lk) {
			continue
		}
		md[lk] = decodeBinary(lk, vs)
	}
	return md
}

// canonicalKey is the HTTP form of metadata name k; the names every call
// carries come from a table rather than a fresh copy each.
func canonicalKey(k string) string {
	switch k {
	case "content-type":
		return "Content-Type"
	case "user-agent":
		return "User-Agent"
	case "authorization":
		return "Authorization"
	case "grpc-accept-encoding":
		return "Grpc-Accept-Encoding"
	case "grpc-encoding":
		return "Grpc-Encoding"
	case "x-api-key":
		return "X-Api-Key"
	case "x-request-id":
		return "X-Request-Id"
	case "te":
		return "Te"
	}
	return http.CanonicalHeaderKey(k)
}

// lowerKey is k in lower case, as metadata names are; the names every
// call carries come from a table rather than a fresh copy each.
func lowerKey(k string) string {
	switch k {
	case "Content-Type":
		return "content-type"
	case "Cache-Control":
		return "cache-control"
	case "X-Request-Id":
		return "x-request-id"
	case "Grpc-Status":
		return "grpc-status"
	case "Grpc-Message":
		return "grpc-message"
	case "Grpc-Accept-Encoding":
		return "grpc-accept-encoding"
	case "Grpc-Encoding":
		return "grpc-encoding"
	case "Accept-Encoding":
		return "accept-encoding"
	case "User-Agent":
		return "user-agent"
	case "Authorization":
		return "authorization"
	case "Te":
		return "te"
	}
	return strings.ToLower(k)
}

// browserOnly names the response headers that only tell a browser how to
// treat a document or page: framing, sniffing, referrers, HSTS, content
// policy, caching per origin. Native gRPC calls come from gRPC libraries,
// never from a page, so replies to them leave these out: each would be
// one more header to encode on every call and decode on the other end.
func browserOnly(k string) bool {
	switch k {
	case "Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options",
		"X-Content-Type-Options", "Referrer-Policy", "Vary":
		return true
	}
	return false
}

// isGRPCHeader reports whether k starts with "grpc-" in any case, without
// the copy strings.ToLower makes.
func isGRPCHeader(k string) bool {
	return len(k) >= 5 && strings.EqualFold(k[:5], "grpc-")
}

// reserved names the headers that are HTTP's or gRPC's own, which grpc-go
// sets from the call itself.
func reserved(k string) bool {
	switch k {
	case "content-type", "content-length", "date", "trailer", "te", "connection", "transfer-encoding", "user-agent":
		return true
	}
	return isGRPCHeader(k)
}

// encodeBinary puts binary metadata in base64, as headers carry it.
func encodeBinary(k string, vs []string) []string {
	if !strings.HasSuffix(k, "-bin") {
		return vs
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = base64.RawStdEncoding.EncodeToString([]byte(v))
	}
	return out
}

// decodeBinary undoes the base64 of binary metadata, which grpc-go
// encodes again on the wire.
func decodeBinary(k string, vs []string) []string {
	if !strings.HasSuffix(k, "-bin") {
		return vs
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "=")); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

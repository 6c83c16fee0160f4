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

// commonNames are the header names every call carries, in canonical
// form. Converting them through a table rather than case by case spares a
// copy per name per call.
var commonNames = []string{
	"Content-Type", "User-Agent", "Authorization", "Te", "Cache-Control", "Accept-Encoding",
	"Grpc-Status", "Grpc-Message", "Grpc-Accept-Encoding", "Grpc-Encoding", "X-Api-Key", "X-Request-Id",
}

// lowerOf and canonicalOf map commonNames to metadata's lower case and back.
var lowerOf, canonicalOf = func() (map[string]string, map[string]string) {
	lower, canonical := map[string]string{}, map[string]string{}
	for _, k := range commonNames {
		lower[k] = strings.ToLower(k)
		canonical[lower[k]] = k
	}
	return lower, canonical
}()

// canonicalKey is the HTTP form of metadata name k.
func canonicalKey(k string) string {
	if c, ok := canonicalOf[k]; ok {
		return c
	}
	return http.CanonicalHeaderKey(k)
}

// lowerKey is header name k in lower case, as metadata names are.
func lowerKey(k string) string {
	if l, ok := lowerOf[k]; ok {
		return l
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

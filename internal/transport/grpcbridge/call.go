package grpcbridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// call serves one gRPC call of any method through the handler.
func (s *Server) call(_ any, st grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(st)
	if !ok {
		return status.Error(codes.Internal, "grpc bridge: call without a method")
	}
	md, _ := metadata.FromIncomingContext(st.Context())
	if s.opt.Unary != nil && protoCall(md) {
		if u := s.opt.Unary(method); u != nil {
			return s.unary(u, st, md)
		}
	}
	w := &replyWriter{st: st, header: make(http.Header), compressMin: s.opt.CompressMin}
	s.serveHTTP(w, request(st.Context(), method, md, st))
	return w.finish()
}

// serveHTTP calls the handler, containing a panic to the one call as
// net/http does.
func (s *Server) serveHTTP(w *replyWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			w.panicked = true
			if p != http.ErrAbortHandler {
				s.opt.Log.Error("grpc bridge: handler panicked", "method", r.URL.Path, "panic", p)
			}
		}
	}()
	s.h.ServeHTTP(w, r)
}

// request is the call as the HTTP/2 request a gRPC client would have sent
// net/http, its body fed by the stream's messages. grpc-go keeps the
// deadline in ctx rather than in a grpc-timeout header.
func request(ctx context.Context, method string, md metadata.MD, st grpc.ServerStream) *http.Request {
	h := make(http.Header, len(md))
	toHeader(h, md)
	// grpc-go compresses replies itself, so the handler must not.
	h.Del("Grpc-Accept-Encoding")
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: method},
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        h,
		Body:          &frameReader{recv: st.RecvMsg}, // on errors other than io.EOF grpc-go has already ended the call
		ContentLength: -1,
		RequestURI:    method,
	}
	if a := md[":authority"]; len(a) > 0 {
		r.Host = a[0]
	}
	if p, ok := peer.FromContext(ctx); ok {
		if p.Addr != nil {
			r.RemoteAddr = p.Addr.String()
		}
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			r.TLS = &info.State
		}
	}
	return r.WithContext(ctx)
}

// replyWriter sends each gRPC frame the handler writes as a message of the
// stream, and its status trailers as the call's status.
type replyWriter struct {
	st          grpc.ServerStream
	header      http.Header
	status      int
	buf         []byte // the part of a frame written so far
	sentHeader  bool
	err         error // a send failed: the call is over
	compressMin int
	panicked    bool
}

var (
	_ http.ResponseWriter = (*replyWriter)(nil)
	_ http.Flusher        = (*replyWriter)(nil)
)

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// Flush has nothing to do: every complete message went out in Write.
func (w *replyWriter) Flush() {}

func (w *replyWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.err != nil {
		return 0, w.err
	}
	if w.status != http.StatusOK || !strings.HasPrefix(w.header.Get("Content-Type"), "application/grpc") {
		// Not a gRPC answer (a plain 404, say): finish reports its status.
		return len(p), nil
	}
	data := p
	if len(w.buf) > 0 {
		w.buf = append(w.buf, p...)
		data = w.buf
	}
	for len(data) >= frameHeader {
		n := binary.BigEndian.Uint32(data[1:frameHeader])
		if uint64(len(data)-frameHeader) < uint64(n) {
			break
		}
		if data[0] != 0 {
			// Compression was not offered to the handler, and gRPC has
			// no other flag.
			w.err = status.Error(codes.Internal, "grpc bridge: reply message with flags")
			return 0, w.err
		}
		end := frameHeader + int(n)
		// SendMsg may still hold the message after it returns, and the
		// handler reuses p.
		if err := w.send(bytes.Clone(data[frameHeader:end])); err != nil {
			w.err = err
			return 0, err
		}
		data = data[end:]
	}
	w.buf = append(w.buf[:0], data...)
	return len(p), nil
}

func (w *replyWriter) send(msg []byte) error {
	if !w.sentHeader {
		if w.compressMin > 0 && len(msg) >= w.compressMin && acceptsGzip(w.st.Context()) {
			_ = grpc.SetSendCompressor(w.st.Context(), "gzip")
		}
		w.setHeader()
	}
	return w.st.SendMsg(&msg)
}

func acceptsGzip(ctx context.Context) bool {
	names, err := grpc.ClientSupportedCompressors(ctx)
	return err == nil && slices.Contains(names, "gzip")
}

// setHeader passes the handler's response headers as the call's header
// metadata.
func (w *replyWriter) setHeader() {
	w.sentHeader = true
	if md := toMetadata(w.header, browserOnly); len(md) > 0 {
		_ = w.st.SetHeader(md)
	}
}

// finish ends the call with the status the handler wrote in its trailers.
func (w *replyWriter) finish() error {
	switch {
	case w.err != nil:
		return w.err
	case w.panicked:
		return status.Error(codes.Internal, "internal error")
	case len(w.buf) > 0:
		return status.Error(codes.Internal, "grpc bridge: reply ended inside a message")
	}
	if !w.sentHeader {
		w.setHeader()
	}
	var st callStatus
	var tr metadata.MD // made only for trailers other than the status
	for k, vs := range w.header {
		name, ok := strings.CutPrefix(k, http.TrailerPrefix)
		if !ok && !isGRPCHeader(k) {
			continue // a header, not a trailer
		}
		if st.take(name, vs) {
			continue
		}
		lk := lowerKey(name)
		if reserved(lk) {
			continue
		}
		if tr == nil {
			tr = metadata.MD{}
		}
		tr[lk] = append(tr[lk], decodeBinary(lk, vs)...)
	}
	if len(tr) > 0 {
		w.st.SetTrailer(tr)
	}
	return w.statusOf(st)
}

// callStatus is the status trailers a handler wrote.
type callStatus struct {
	code, message, details string
	hasCode                bool
}

// take keeps name's value if it is one of the status trailers.
func (c *callStatus) take(name string, vs []string) bool {
	if len(vs) == 0 {
		return false
	}
	switch {
	case strings.EqualFold(name, "grpc-status"):
		c.code, c.hasCode = vs[0], true
	case strings.EqualFold(name, "grpc-message"):
		c.message = vs[0]
	case strings.EqualFold(name, "grpc-status-details-bin"):
		c.details = vs[0]
	default:
		return false
	}
	return true
}

// statusOf is the call's status as the handler's gRPC trailers give it; a
// handler that answered plain HTTP gets the status gRPC maps it to. A
// successful call costs no allocation.
func (w *replyWriter) statusOf(c callStatus) error {
	if !c.hasCode {
		if w.status == http.StatusOK || w.status == 0 {
			return status.Error(codes.Internal, "grpc bridge: reply without a status")
		}
		return status.Error(httpCode(w.status), "HTTP status "+strconv.Itoa(w.status))
	}
	code, err := strconv.ParseUint(c.code, 10, 32)
	switch {
	case err != nil:
		return status.Error(codes.Internal, "grpc bridge: malformed grpc-status")
	case code == uint64(codes.OK):
		return nil
	}
	msg := c.message
	if u, err := url.PathUnescape(msg); err == nil {
		msg = u
	}
	if c.details != "" {
		raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(c.details, "="))
		var p spb.Status
		if err == nil && proto.Unmarshal(raw, &p) == nil && p.Code == int32(code) {
			return status.FromProto(&p).Err()
		}
	}
	return status.Error(codes.Code(code), msg)
}

// httpCode maps an HTTP status to a gRPC code as the gRPC spec does for
// answers without a grpc-status.
func httpCode(s int) codes.Code {
	switch s {
	case http.StatusBadRequest:
		return codes.Internal
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.Unimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codes.Unavailable
	}
	return codes.Unknown
}

package grpcbridge

import (
	"context"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Unary answers one unary call without the HTTP handler: the owner of the
// handler's rules applies the same ones to c and says what to send. An
// error is the call's status (a status.Error, or Internal); the reply's
// headers go out with it all the same.
type Unary func(ctx context.Context, c *Call) (Reply, error)

// Call is a unary call as a Unary sees it.
type Call struct {
	// Header is the call's metadata as HTTP headers carry it, as the
	// handler would have seen it.
	Header http.Header
	// Peer is the client's address.
	Peer string
	// Msg is the request message, still encoded in protobuf.
	Msg []byte
}

// Reply is what a Unary sends: its message (on success only), header and
// trailer metadata, as HTTP headers carry them.
type Reply struct {
	Msg     []byte
	Header  http.Header
	Trailer http.Header
}

// unary serves a call with u, which the caller found for its method.
func (s *Server) unary(u Unary, st grpc.ServerStream, md metadata.MD) error {
	msg, err := recvOne(st)
	if err != nil {
		return err
	}
	ctx := st.Context()
	c := &Call{Header: make(http.Header, len(md)), Msg: msg}
	toHeader(c.Header, md)
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		c.Peer = p.Addr.String()
	}
	rep, err := s.invoke(ctx, u, c)
	if hmd := toMetadata(rep.Header, browserOnly); len(hmd) > 0 {
		_ = st.SetHeader(hmd)
	}
	if tmd := toMetadata(rep.Trailer, nil); len(tmd) > 0 {
		st.SetTrailer(tmd)
	}
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			err = status.Error(codes.Internal, "internal error")
		}
		return err
	}
	if s.opt.CompressMin > 0 && len(rep.Msg) >= s.opt.CompressMin && acceptsGzip(ctx) {
		_ = grpc.SetSendCompressor(ctx, "gzip")
	}
	return st.SendMsg(&rep.Msg)
}

// invoke calls u, containing a panic to the one call as serveHTTP does.
func (s *Server) invoke(ctx context.Context, u Unary, c *Call) (rep Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.opt.Log.Error("grpc bridge: procedure panicked", "panic", p)
			rep, err = Reply{}, status.Error(codes.Internal, "internal error")
		}
	}()
	return u(ctx, c)
}

// recvOne reads a unary call's one message, refusing none or more than
// one as the gRPC spec says: unimplemented, a cardinality violation. The
// frame codec hands over the message with its frame header.
func recvOne(st grpc.ServerStream) ([]byte, error) {
	var msg, extra []byte
	if err := st.RecvMsg(&msg); err != nil {
		if err == io.EOF {
			return nil, status.Error(codes.Unimplemented, "unary request has zero messages")
		}
		return nil, err
	}
	if err := st.RecvMsg(&extra); err != io.EOF {
		if err == nil {
			err = status.Error(codes.Unimplemented, "unary request has multiple messages")
		}
		return nil, err
	}
	return msg[frameHeader:], nil
}

// protoCall reports whether a call's metadata names the protobuf codec,
// the only one a Unary takes: calls in other codecs go to the handler.
func protoCall(md metadata.MD) bool {
	ct := md["content-type"]
	if len(ct) != 1 {
		return false
	}
	codec, ok := grpcCodec(strings.ToLower(ct[0]))
	return ok && codec == "proto"
}

// grpcCodec is the codec a gRPC content type names; the bridge passes
// protobuf and JSON messages.
func grpcCodec(ct string) (frameCodec, bool) {
	switch ct {
	case "application/grpc", "application/grpc+proto":
		return "proto", true
	case "application/grpc+json":
		return "json", true
	}
	return "", false
}

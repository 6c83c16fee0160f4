package rpc

import (
	"context"
	"net/http"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/transport/grpcbridge"
)

// Surface is one listener's procedures: a handler for every RPC protocol
// over HTTP, and its unary procedures as the gRPC bridge calls them.
type Surface struct {
	http.Handler
	unary map[string]grpcbridge.Unary
}

// Unary is the procedure at path for the gRPC bridge, or nil where the
// handler serves path (streams, reflection, unknown procedures).
func (s *Surface) Unary(path string) grpcbridge.Unary { return s.unary[path] }

// direct serves a unary procedure to the gRPC bridge with the rules the
// handler chain applies to it over HTTP, in the same order: a request id
// and no caching (wrap), the size limit (bounded), the access gate, then
// the procedure, whose errors are already typed. Only the protocol work
// is left out: no HTTP request, no Connect envelope, no trailers to parse
// back. A panic becomes the same logged internal error.
func (s *Server) direct(path string, who access, run func(context.Context, frame) (proto.Message, error)) grpcbridge.Unary {
	return func(ctx context.Context, c *grpcbridge.Call) (rep grpcbridge.Reply, err error) {
		req := request{id: errs.NewID(), path: path}
		ctx = context.WithValue(ctx, requestKey{}, req)
		rep.Header = http.Header{"X-Request-Id": {req.id}, "Cache-Control": {"no-store"}}
		defer func() {
			if p := recover(); p != nil {
				rep.Msg, err = nil, s.grpcStatus(ctx, &rep, errs.Panic(p))
			}
		}()
		if int64(len(c.Msg)) > s.opt.MaxBody {
			return rep, s.grpcStatus(ctx, &rep, s.tooLarge())
		}
		admitted, err := s.admit(ctx, who, c.Peer, c.Header)
		if err != nil {
			return rep, s.grpcStatus(ctx, &rep, err)
		}
		res, err := run(admitted, frame{codec: "proto", data: c.Msg})
		if err == nil {
			// run measured res against the send limit; the size is cached.
			rep.Msg, err = proto.MarshalOptions{UseCachedSize: true}.Marshal(res)
		}
		if err != nil {
			return rep, s.grpcStatus(ctx, &rep, err)
		}
		return rep, nil
	}
}

// grpcStatus is err as the gRPC status the Connect handler would have
// sent: same code, message and details (fail makes them, as there). The
// error's metadata (Retry-After) goes in the trailers, as Connect puts it.
func (s *Server) grpcStatus(ctx context.Context, rep *grpcbridge.Reply, err error) error {
	ce := s.fail(ctx, err)
	st := &spb.Status{Code: int32(ce.Code()), Message: ce.Message()}
	for _, d := range ce.Details() {
		st.Details = append(st.Details, &anypb.Any{TypeUrl: anyPrefix + d.Type(), Value: d.Bytes()})
	}
	if len(ce.Meta()) > 0 {
		rep.Trailer = ce.Meta()
	}
	return status.FromProto(st).Err()
}

// anyPrefix starts the type URL of an error detail, as anypb.New writes it.
const anyPrefix = "type.googleapis.com/"

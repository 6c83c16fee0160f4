package rpc

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/transport/grpcbridge"
	"rampart.dev/rampart/internal/transport/guard"
)

// access says who may call a procedure.
type access int

const (
	open       access = iota // anyone, unlimited: health checks
	anonymous                // anyone, rate limited per client address
	user                     // any signed-in caller with full access
	enrolling                // also callers who may only enrol a second factor
	adminsOnly               // members of admins
)

// route is one procedure and its handlers.
type route struct {
	service protoreflect.FullName
	path    string
	h       http.Handler
	direct  grpcbridge.Unary // unary procedures only
}

// msg is the pointer type of a generated message.
type msg[T any] interface {
	*T
	proto.Message
}

// method finds a procedure in its service's descriptor, so a route can
// never name a method the schema lacks.
func method(svc protoreflect.ServiceDescriptor, name string) protoreflect.MethodDescriptor {
	md := svc.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		panic("rpc: " + string(svc.FullName()) + " has no method " + name)
	}
	return md
}

func procedure(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

// unary builds a request-response procedure. The request arrives as a raw
// frame and is decoded here, so a malformed message is refused like any
// other input: typed, with the rampart.v1.Error detail. It is served twice
// over: by a Connect handler, and directly to the gRPC bridge.
func unary[Req, Res any, P msg[Req]](s *Server, svc protoreflect.ServiceDescriptor, name string, who access,
	fn func(context.Context, *Req) (*Res, error)) route {
	md := method(svc, name)
	path := procedure(md)
	run := func(ctx context.Context, f frame) (*Res, error) {
		req := P(new(Req))
		if err := s.decode(f, req); err != nil {
			return nil, s.fail(ctx, err)
		}
		res, err := fn(ctx, (*Req)(req))
		if err == nil {
			err = s.sendable(any(res).(proto.Message))
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return res, nil
	}
	h := connect.NewUnaryHandler(path, func(ctx context.Context, r *connect.Request[frame]) (*connect.Response[Res], error) {
		res, err := run(ctx, *r.Msg)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(res), nil
	}, s.handlerOptions(md, who)...)
	direct := s.direct(path, who, func(ctx context.Context, f frame) (proto.Message, error) {
		res, err := run(ctx, f)
		if err != nil {
			return nil, err
		}
		return any(res).(proto.Message), nil
	})
	return route{service: svc.FullName(), path: path, h: s.bounded(h), direct: direct}
}

// stream builds a server-streaming procedure. The node's listeners lift
// their deadlines for it (listen.Streaming), so it runs for as long as its
// client and credential last.
func stream[Req, Res any, P msg[Req]](s *Server, svc protoreflect.ServiceDescriptor, name string, who access,
	fn func(context.Context, *Req, *connect.ServerStream[Res]) error) route {
	md := method(svc, name)
	path := procedure(md)
	h := connect.NewServerStreamHandler(path, func(ctx context.Context, r *connect.Request[frame], out *connect.ServerStream[Res]) error {
		req := P(new(Req))
		if err := s.decode(*r.Msg, req); err != nil {
			return s.fail(ctx, err)
		}
		if err := fn(ctx, (*Req)(req), out); err != nil {
			return s.fail(ctx, err)
		}
		return nil
	}, s.handlerOptions(md, who)...)
	return route{service: svc.FullName(), path: path, h: s.bounded(h)}
}

func (s *Server) handlerOptions(md protoreflect.MethodDescriptor, who access) []connect.HandlerOption {
	return append(s.limitOptions(),
		connect.WithSchema(md),
		connect.WithCodec(frameCodec{"proto"}),
		connect.WithCodec(frameCodec{"json"}),
		connect.WithCodec(frameCodec{"json; charset=utf-8"}),
		connect.WithRequestGate(s.gate(who)),
	)
}

// limitOptions are the bounds and panic handling every handler shares.
func (s *Server) limitOptions() []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithReadMaxBytes(int(s.opt.MaxBody)),
		connect.WithSendMaxBytes(int(s.opt.MaxSend)),
		connect.WithRecover(s.recovered),
		// Compressing a small message costs more CPU than the bytes it
		// saves; a gzip writer's setup alone dwarfs a point read.
		connect.WithCompressMinBytes(CompressMinBytes),
	}
}

// sendable refuses an answer over the send limit with a typed error,
// before either path encodes it (Connect's own limit would refuse it
// untyped). The size it computes is cached in m for the encoder.
func (s *Server) sendable(m proto.Message) error {
	if n := proto.Size(m); int64(n) > s.opt.MaxSend {
		return errs.E(errs.ResourceExhausted, "the answer is %d bytes, over the limit of %d the server sends; ask for less", n, s.opt.MaxSend)
	}
	return nil
}

// CompressMinBytes is the smallest reply gzip is worth, when the client
// accepts it.
const CompressMinBytes = 8 << 10

// call is what a procedure knows of its request beyond the message.
type call struct {
	caller identity.Caller
	meta   identity.Meta
	// header holds the credential, for streams that authenticate again
	// every round.
	header http.Header
}

type callKey struct{}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return &call{} // only a wiring mistake gets here; services refuse the empty caller
	}
	return c
}

// gate runs before the message is read: it rate limits anonymous calls and
// authenticates the rest, as REST's anonymous and authenticated endpoints do.
func (s *Server) gate(who access) connect.RequestGateFunc {
	return func(ctx context.Context, _ connect.Spec, peer connect.Peer, h http.Header) (context.Context, error) {
		return s.admit(ctx, who, peer.Addr, h)
	}
}

// admit applies a procedure's access level to a call from addr with
// headers h, and gives the context its procedure runs in.
func (s *Server) admit(ctx context.Context, who access, addr string, h http.Header) (context.Context, error) {
	c := &call{meta: guard.Meta(addr, h.Get("User-Agent")), header: h}
	switch who {
	case open:
	case anonymous:
		if err := s.opt.Limits.Admit(addr); err != nil {
			return nil, s.fail(ctx, err)
		}
	default:
		caller, err := s.authenticate(ctx, h)
		if err == nil {
			err = allowed(caller, who)
		}
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		c.caller = caller
	}
	return context.WithValue(ctx, callKey{}, c), nil
}

// authenticate resolves the one credential in h, as REST reads it.
func (s *Server) authenticate(ctx context.Context, h http.Header) (identity.Caller, error) {
	return guard.Authenticate(ctx, s.id, h)
}

// allowed applies a procedure's access level to an authenticated caller.
func allowed(c identity.Caller, who access) error {
	switch {
	case who == adminsOnly && !c.Admin:
		return errs.E(errs.PermissionDenied, "this procedure is for admins")
	case c.Enrol && who != enrolling:
		return errs.E(errs.PermissionDenied, "enrol a second factor first (rampart.v1.AuthService/EnrolTOTP)")
	}
	return nil
}

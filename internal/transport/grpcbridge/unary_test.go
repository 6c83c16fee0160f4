package grpcbridge

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// testUnary are the procedures served without the handler.
func testUnary(method string) Unary {
	switch method {
	case "/t.S/Direct":
		return func(_ context.Context, c *Call) (Reply, error) {
			if c.Peer == "" || c.Header.Get("Content-Type") != "application/grpc+proto" {
				return Reply{}, status.Errorf(codes.FailedPrecondition, "peer %q, header %v", c.Peer, c.Header)
			}
			return Reply{
				Msg: append([]byte("re:"), c.Msg...),
				Header: http.Header{"X-Echo": {c.Header.Get("X-In")}, "Cache-Control": {"no-store"},
					"X-Frame-Options": {"DENY"}}, // browsers only: left out
				Trailer: http.Header{"X-After": {"done"}},
			}, nil
		}
	case "/t.S/DirectFail":
		return func(context.Context, *Call) (Reply, error) {
			d, _ := anypb.New(wrapperspb.String("why"))
			st := status.FromProto(&spb.Status{Code: int32(codes.ResourceExhausted), Message: "slow down", Details: []*anypb.Any{d}})
			return Reply{Msg: []byte("never sent"), Header: http.Header{"X-Request-Id": {"r1"}}, Trailer: http.Header{"Retry-After": {"7"}}}, st.Err()
		}
	case "/t.S/DirectPlain":
		return func(context.Context, *Call) (Reply, error) { return Reply{}, errors.New("a secret cause") }
	case "/t.S/DirectPanic":
		return func(context.Context, *Call) (Reply, error) { panic("boom") }
	}
	return nil
}

func TestUnary(t *testing.T) {
	srv, bridged, tc := startShared(t, testUnary)
	cc := dialShared(t, srv, tc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func(ctx context.Context, method, codec string, in []byte, opts ...grpc.CallOption) ([]byte, error) {
		return invoke(ctx, cc, method, codec, in, opts...)
	}

	var header, trailer metadata.MD
	out, err := call(metadata.AppendToOutgoingContext(ctx, "x-in", "hello"), "/t.S/Direct", "proto", []byte("ping"), grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil || string(out) != "re:ping" {
		t.Fatalf("direct: %q %v", out, err)
	}
	if header.Get("x-echo")[0] != "hello" || len(header.Get("cache-control")) != 1 || len(header.Get("x-frame-options")) != 0 {
		t.Errorf("reply header %v", header)
	}
	if trailer.Get("x-after")[0] != "done" {
		t.Errorf("reply trailer %v", trailer)
	}

	header, trailer = nil, nil
	_, err = call(ctx, "/t.S/DirectFail", "proto", nil, grpc.Header(&header), grpc.Trailer(&trailer))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || st.Message() != "slow down" || len(st.Details()) != 1 ||
		!proto.Equal(st.Details()[0].(proto.Message), wrapperspb.String("why")) {
		t.Errorf("refusal: %v %v", st, st.Details())
	}
	if header.Get("x-request-id")[0] != "r1" || trailer.Get("retry-after")[0] != "7" {
		t.Errorf("refusal metadata: header %v trailer %v", header, trailer)
	}

	for method, want := range map[string]codes.Code{"/t.S/DirectPlain": codes.Internal, "/t.S/DirectPanic": codes.Internal} {
		_, err := call(ctx, method, "proto", nil)
		if st := status.Convert(err); st.Code() != want || st.Message() != "internal error" {
			t.Errorf("%s: %v, want %v with no cause shown", method, err, want)
		}
	}

	// A unary method takes exactly one message.
	for _, n := range []int{0, 2} {
		s, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, "/t.S/Direct", grpc.ForceCodecV2(frameCodec("proto")))
		for range n {
			if err == nil {
				err = s.SendMsg(&[]byte{'m'})
			}
		}
		if err == nil {
			err = s.CloseSend()
		}
		if err == nil {
			err = s.RecvMsg(new([]byte))
		}
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("%d messages: %v, want unimplemented", n, err)
		}
	}
	if n := bridged.Load(); n != 0 {
		t.Fatalf("the handler served %d protobuf calls of direct methods", n)
	}

	// Other codecs and other methods go to the handler.
	if _, err := call(ctx, "/t.S/Direct", "json", []byte("{}")); status.Code(err) != codes.Unimplemented {
		t.Errorf("JSON call: %v, want the handler's 404", err)
	}
	if out, err := call(ctx, "/t.S/Echo", "proto", []byte("ping")); err != nil || string(out) != "ping" {
		t.Errorf("handler method: %q %v", out, err)
	}
	if n := bridged.Load(); n != 2 {
		t.Fatalf("the handler served %d calls, want 2", n)
	}
}

package envelope

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

func BenchmarkUnaryUnix(b *testing.B)      { benchmarkUnary(b, "unix") }
func BenchmarkUnaryTCP(b *testing.B)       { benchmarkUnary(b, "tcp") }
func BenchmarkUnaryWebSocket(b *testing.B) { benchmarkUnary(b, "ws") }

// benchmarkUnary runs generated-client calls in parallel over one
// connection, the way an SDK process shares it.
func benchmarkUnary(b *testing.B, transport string) {
	fx := newFixture(b, transport, Options{MaxQueued: 4096})
	docs := rampartv1connect.NewDocumentServiceClient(fx.dial(b), "http://envelope")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := connect.NewRequest(&rampartv1.GetRequest{Collection: "c", Id: "x"})
			req.Header().Set("Authorization", "Bearer bench")
			if _, err := docs.Get(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

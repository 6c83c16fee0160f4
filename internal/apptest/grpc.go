package apptest

import (
	"google.golang.org/grpc/credentials"

	"rampart.dev/rampart/internal/transport/grpcbridge"
)

// GRPCClient is a connect.HTTPClient over grpc-go connections to the
// node's listeners, trusting its local CA: Connect clients built with
// connect.WithGRPC on it reach the node as a gRPC library's calls do, so
// through the listener's grpc-go transport. It closes when the test ends.
// Parallel subtests may ask for it at once.
func (h *Harness) GRPCClient() *grpcbridge.Client {
	h.grpcOnce.Do(func() {
		h.grpc = grpcbridge.NewClient(credentials.NewTLS(h.TLSConfig()))
		h.T.Cleanup(func() { h.grpc.Close() })
	})
	return h.grpc
}

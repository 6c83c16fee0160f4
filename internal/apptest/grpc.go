package apptest

import (
	"connectrpc.com/connect"
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

// RPCProtocol is one way a generated client reaches the node's RPC
// surface: the wire protocol its options select and, for GRPCGo, grpc-go's
// transport (GRPCClient), which the listener serves with its own grpc-go
// transport rather than net/http.
type RPCProtocol struct {
	Name   string
	Opts   []connect.ClientOption
	GRPCGo bool
}

// RPCProtocols are the protocols every procedure speaks; gRPC runs twice,
// from net/http's client and from grpc-go's.
var RPCProtocols = []RPCProtocol{
	{Name: "grpc", Opts: []connect.ClientOption{connect.WithGRPC()}},
	{Name: "grpc-web", Opts: []connect.ClientOption{connect.WithGRPCWeb()}},
	{Name: "connect"},
	{Name: "grpc-go", Opts: []connect.ClientOption{connect.WithGRPC()}, GRPCGo: true},
}

// Client is the HTTP client p's calls take: h's grpc-go client for
// GRPCGo, else base.
func (p RPCProtocol) Client(h *Harness, base connect.HTTPClient) connect.HTTPClient {
	if p.GRPCGo {
		return h.GRPCClient()
	}
	return base
}

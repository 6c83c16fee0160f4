package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/transport/envelope"
	"rampart.dev/rampart/internal/transport/grpcbridge"
)

// transports a scenario's measured requests can travel over. rest is the
// REST surface; the others call the protobuf services, each client on its
// own connection. grpc-fixed is grpc-go with fixed flow-control windows,
// as the Go SDK dials: the default grpc-go client pings after every read
// to estimate the bandwidth-delay product.
var transports = []string{"rest", "grpc", "grpc-fixed", "connect", "grpc-web", "ws", "tcp", "unix"}

// rpcClient is one worker's connection to the protobuf services: a
// generated Connect client, or for gRPC the stock grpc-go client.
type rpcClient struct {
	docs  rampartv1connect.DocumentServiceClient
	grpc  *grpc.ClientConn
	close func()
}

// dialRPC opens one connection of transport t. sockets holds the envelope
// listeners' URLs (tcp+tls://..., unix://...); WebSocket is on the public
// listener.
func (e *endpoint) dialRPC(ctx context.Context, t string, sockets map[string]string) (*rpcClient, error) {
	switch t {
	case "grpc", "grpc-fixed":
		// What gRPC users run: grpc-go, one HTTP/2 connection per client.
		opts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(e.tls.Clone()))}
		if t == "grpc-fixed" {
			opts = append(opts, grpcbridge.FixedWindows()...)
		}
		cc, err := grpc.NewClient(strings.TrimPrefix(e.public, "https://"), opts...)
		if err != nil {
			return nil, err
		}
		cc.Connect()
		return &rpcClient{grpc: cc, close: func() { cc.Close() }}, nil
	case "connect", "grpc-web":
		tr := &http.Transport{
			TLSClientConfig: e.tls.Clone(), ForceAttemptHTTP2: true,
			MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true, IdleConnTimeout: 5 * time.Minute,
		}
		var opts []connect.ClientOption
		if t == "grpc-web" {
			// Browsers speak gRPC-Web over HTTP/1.1 as often as not; one
			// keep-alive connection per client as in the REST runs.
			opts = append(opts, connect.WithGRPCWeb())
			tr.ForceAttemptHTTP2 = false
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		hc := &http.Client{Transport: tr}
		return &rpcClient{docs: rampartv1connect.NewDocumentServiceClient(hc, e.public, opts...), close: tr.CloseIdleConnections}, nil
	case "ws", "tcp", "unix":
		u := sockets[t]
		if t == "ws" {
			u = "wss://" + strings.TrimPrefix(e.public, "https://")
		}
		if u == "" {
			return nil, fmt.Errorf("transport %s: give the listener with -%s", t, t)
		}
		c, err := envelope.Dial(ctx, u, e.tls.Clone())
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", u, err)
		}
		return &rpcClient{docs: rampartv1connect.NewDocumentServiceClient(c, "http://envelope"), close: func() { c.Close() }}, nil
	}
	return nil, fmt.Errorf("unknown transport %q", t)
}

// getRPC reads one document as the worker over its RPC connection.
func getRPC(ctx context.Context, w *worker, coll, id string) error {
	if cc := w.rpc.grpc; cc != nil {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+w.token)
		return cc.Invoke(ctx, rampartv1connect.DocumentServiceGetProcedure,
			&rampartv1.GetRequest{Collection: coll, Id: id}, new(rampartv1.Document))
	}
	req := connect.NewRequest(&rampartv1.GetRequest{Collection: coll, Id: id})
	req.Header()["Authorization"] = []string{"Bearer " + w.token}
	_, err := w.rpc.docs.Get(ctx, req)
	return err
}

// x/net's HTTP/2 server is deprecated in favour of net/http's, which has no
// way to take a connection whose first bytes were already read.
//
//lint:file-ignore SA1019 the only HTTP/2 server that serves a replayed connection

package grpcbridge

import (
	"context"
	"crypto/tls"
	"net/http"

	"golang.org/x/net/http2"
)

// Share splits srv's HTTP/2 connections between two servers by their first
// request: gRPC calls go to a bridge Server, everything else to x/net's
// HTTP/2 server (net/http's own, in its exported form), and both serve
// srv.Handler. A connection keeps the server its first request chose;
// gRPC clients do not mix protocols on one connection. Call Share before
// srv serves; srv's Shutdown stops the bridge gracefully too.
func Share(srv *http.Server, opt Options) (*Server, error) {
	h2 := &http2.Server{}
	if err := http2.ConfigureServer(srv, h2); err != nil {
		return nil, err
	}
	b := New(srv.Handler, opt)
	timeout := srv.ReadHeaderTimeout
	srv.TLSNextProto["h2"] = func(hs *http.Server, c *tls.Conn, h http.Handler) {
		conn, grpcCall, err := Sniff(c, timeout)
		if err != nil {
			return // net/http closes c
		}
		if grpcCall {
			b.ServeConn(conn)
			return
		}
		opts := &http2.ServeConnOpts{BaseConfig: hs, Handler: h}
		if bc, ok := h.(interface{ BaseContext() context.Context }); ok {
			opts.Context = bc.BaseContext()
		}
		h2.ServeConn(conn, opts)
	}
	srv.RegisterOnShutdown(b.GracefulStop)
	return b, nil
}

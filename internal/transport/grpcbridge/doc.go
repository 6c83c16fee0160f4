// Package grpcbridge serves gRPC clients with grpc-go's HTTP/2 transport
// and hands its calls, as in-memory HTTP/2 requests, to the handler that
// serves gRPC, gRPC-Web and Connect over net/http. grpc-go's transport
// batches a call's frames in one writer goroutine, where net/http's HTTP/2
// server flushes a unary answer's headers, message and trailers each on its
// own after a goroutine hand-off, which on small calls cost about a quarter
// of the server's CPU.
//
// Options.Unary lets the handler's owner answer unary protobuf calls
// itself, skipping the HTTP emulation; it then owns applying the same
// rules to them.
//
// Sniff looks at the first request of a TLS connection that chose HTTP/2
// and tells gRPC connections from the rest, so both share the listener.
//
// This package must never decide who may do what, nor interpret a request
// or reply message: it moves messages and metadata between grpc-go's
// streams and the handler or Unary, which own every rule.
package grpcbridge

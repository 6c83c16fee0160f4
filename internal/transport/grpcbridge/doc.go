// Package grpcbridge serves gRPC clients with grpc-go's HTTP/2 transport
// and hands every call, as an in-memory HTTP/2 request, to the handler that
// serves gRPC, gRPC-Web and Connect over net/http. grpc-go's transport
// batches a call's frames in one writer goroutine, where net/http's HTTP/2
// server flushes a unary answer's headers, message and trailers each on its
// own after a goroutine hand-off, which on small calls cost about a quarter
// of the server's CPU.
//
// Sniff looks at the first request of a TLS connection that chose HTTP/2
// and tells gRPC connections from the rest, so both share the listener.
//
// This package must never decide who may do what, nor interpret a request
// or reply message: it moves messages and metadata between grpc-go's
// streams and the handler, which owns every rule.
package grpcbridge

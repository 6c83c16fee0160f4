// Package grpcbridge serves gRPC clients with grpc-go's HTTP/2 transport
// and hands every call, as an in-memory HTTP/2 request, to the handler that
// serves gRPC, gRPC-Web and Connect over net/http. grpc-go's transport
// writes a unary answer's headers, message and trailers in one TLS record
// where net/http's HTTP/2 server flushes each on its own, which on small
// calls is most of the cost of a request.
//
// Sniff looks at the first request of a TLS connection that chose HTTP/2
// and tells gRPC connections from the rest, so both share the listener.
//
// This package must never decide who may do what, nor interpret a request
// or reply message: it moves messages and metadata between grpc-go's
// streams and the handler, which owns every rule.
package grpcbridge

// Package envelope carries Rampart's protobuf services over WebSocket, raw
// TCP (TLS) and unix sockets, as length-prefixed rampart.v1.Envelope frames
// with many requests in flight on one connection.
//
// The server dispatches every request to the same http.Handler that serves
// the Connect protocol, as an in-memory Connect request, so authentication,
// limits, ACLs and error mapping live in one place. The client implements
// connect.HTTPClient, so the generated Connect clients run over it unchanged.
//
// This package must never decide who may do what, nor interpret a request
// or reply message: it moves bytes between frames and the Connect handler.
package envelope

// Package client is the Go SDK for Rampart: it signs in, keeps the access
// token fresh, and calls the document, account, API-key and admin services
// over any transport the server offers.
//
//	c, err := client.Dial(ctx, "https://127.0.0.1:8443", client.WithCAFile("ca.crt"))
//	if err != nil { ... }
//	defer c.Close()
//	if err := c.LoginPassword(ctx, "alice", password); err != nil { ... }
//	doc, err := c.Insert(ctx, "notes", map[string]any{"title": "hello"})
//
// URLs name the transport: https:// (the Connect protocol over HTTP/2 or
// HTTP/1.1 with TLS), grpcs:// (gRPC over TLS), grpc:// (gRPC over cleartext
// HTTP/2, for servers run with insecure_http), both on grpc-go's transport
// as gRPC libraries' calls travel, and wss:// (ws:// without
// TLS), tcp+tls:// and unix:// (the envelope protocol, one connection opened
// by Dial). Admin calls go to the admin listener, named with WithAdminURL.
//
// Every error the server answers with is a *Error carrying one of the codes
// of the server's closed set; use IsCode or errors.Is with the Err* values.
//
// The package must never log or print a credential, never weaken TLS on its
// own (there is no switch to skip verification), and never expose the
// server's internal types in its API.
package client

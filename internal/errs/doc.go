// Package errs holds Rampart's closed set of error codes and the one Error type
// every service returns to an edge.
//
// Each code maps to exactly one HTTP status (and, on the RPC edges, one gRPC
// code). Edges translate errors once, with Status or the transport's own
// mapping; services never pick HTTP statuses themselves. Internal errors never
// show their cause to the caller: the edge logs the cause under a correlation
// id and the caller sees only "internal error" and that id.
package errs

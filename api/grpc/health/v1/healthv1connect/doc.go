// Package healthv1connect is the generated Connect code of the standard gRPC
// health service. Regenerate with `go generate ./api`.
package healthv1connect

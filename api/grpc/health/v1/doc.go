// Package healthv1 is the generated Go code of the standard gRPC health
// service (grpc.health.v1), served on both listeners so load balancers and
// stock tools can probe a node. Regenerate with `go generate ./api`.
package healthv1

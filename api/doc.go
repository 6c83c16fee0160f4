// Package api holds Rampart's protobuf definitions and the Go code generated
// from them, which is committed. Regenerate with `go generate ./api` (or
// `make generate`); every tool is pinned, so the output is reproducible.
package api

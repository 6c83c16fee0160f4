// Package api holds Rampart's protobuf definitions and the Go code generated
// from them, which is committed. Regenerate with `go generate ./api` (or
// `make generate`); every tool is pinned, so the output is reproducible.
package api

//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate

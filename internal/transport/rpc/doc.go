// Package rpc serves Rampart's protobuf services over gRPC, gRPC-Web and the
// Connect protocol (connectrpc.com/connect), next to REST on the same
// listeners, plus gRPC server reflection and the standard health service.
//
// It authenticates each call, maps every error once to its protocol code,
// and calls the same document and identity services REST does. It must never
// hold business rules: who may do what is the services' decision.
package rpc

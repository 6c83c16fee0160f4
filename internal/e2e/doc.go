// Package e2e runs end-to-end scenarios against a real node: the ACL matrix
// (one row per caller x document x verb) on every storage engine, with the
// admins' bypass on and off.
//
// The rows are data (matrix.go, scenarios.go) and talk to the node only
// through Caller, a small transport-agnostic client, so every transport runs
// the same rows with the same expectations; rest.go is the REST adapter.
// Expectations are written by hand: this package must never compute what a
// caller may do with internal/acl, which would test that code with itself.
package e2e

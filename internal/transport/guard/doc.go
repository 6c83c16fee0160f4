// Package guard holds what every Rampart edge checks before a call reaches
// a service: the one credential a request carries (Authenticate) and the
// per-address token bucket of anonymous calls (Limiter). REST and the RPC
// protocols share it, so both read credentials alike and one limiter
// instance bounds an address across them.
//
// It must never decide what a caller may do with a resource: that is the
// services' job. It only says who the caller is and whether an anonymous
// call may proceed.
package guard

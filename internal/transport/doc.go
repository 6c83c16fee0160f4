// Package transport groups Rampart's edges: TLS (tlsx), REST (rest) and, in
// time, the RPC and envelope transports. Transports decode, authenticate and
// map errors; they must never hold business logic, which lives in the
// services they call.
package transport

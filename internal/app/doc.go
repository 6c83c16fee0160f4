// Package app is the composition root: it turns a validated configuration
// into a running node (storage engine, bus, services, listeners) and shuts it
// down again. It holds wiring only; it must never hold business rules.
package app

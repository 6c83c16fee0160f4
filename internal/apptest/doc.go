// Package apptest starts a real Rampart node inside a test, on loopback ports
// with TLS from its own local CA, on SQLite or on a private PostgreSQL schema,
// and gives tests HTTPS clients that sign in as users. It must never weaken
// what it starts: the node is the one `rampart serve` runs.
package apptest

// Package cluster is the message bus between Rampart nodes: an embedded NATS
// server by default (in-process, no TCP listener unless asked), or an
// external NATS cluster. Today it carries commit notices, so every node wakes
// its watchers and drops its caches when another node writes; the database
// stays the source of truth. It must never carry a secret or a document.
package cluster

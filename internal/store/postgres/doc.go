// Package postgres opens Rampart's scale-out engine, PostgreSQL 15+ through
// pgx. Every node writes through one group-commit writer, and every write
// transaction first takes a transaction-scoped advisory lock, so change-log
// sequence numbers are committed in order across the whole cluster. It must
// never write outside that lock.
package postgres

// Package sqlite opens Rampart's embedded default engine: one SQLite file in
// WAL mode, written by a single connection with group commit and read by a
// pool. It must never open a second writer: SQLite serialises writers anyway,
// and one writer is what makes group commit and commit-ordered change-log
// sequences free.
package sqlite

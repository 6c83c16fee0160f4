// Package sqlstore implements the store contract once, over database/sql, for
// every SQL engine Rampart supports. Engines (store/sqlite, store/postgres)
// open the connections and pick the dialect; everything else lives here:
// schema, group commit, document writes with their side tables, and reads
// whose access checks are compiled into the statement.
//
// It must never filter rows in Go after loading them, and never write caller
// text into SQL other than through query.Builder parameters or identifiers
// that passed the store's grammar.
package sqlstore

// Package docs is the document service: insert, read, replace, patch and
// delete JSON documents, their versions, queries, counts, distinct values,
// aggregates, watches, and collection settings and indexes.
//
// Every call runs as its caller (acl.Principals). Single-document calls
// check the caller's rights on the document in hand; list-shaped calls hand
// the principals to the store, which compiles the check into the query. The
// service must never return a document the caller cannot read, never reveal
// that such a document exists, and never write to a system collection: those
// belong to the services that own them (identity owns users).
package docs

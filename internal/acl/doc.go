// Package acl defines document rights, ACL entries, the caller's principal
// set, the grant rules, and the SQL predicate that enforces read access
// inside every query.
//
// It must never load rows to filter them afterwards: list-shaped reads get
// their access check from Predicate, compiled into the statement. Effective
// is for single documents already in hand (point reads and writes).
package acl

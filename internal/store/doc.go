// Package store is the storage contract every database engine implements:
// documents with their ACL side table, version history, the change log,
// collections and their indexes, and opaque records for credentials and
// other server-side state.
//
// Guarantees every backend gives (checked by store/storetest):
//   - Write runs its function in one transaction: all of its effects land
//     together or none do, and Write returns only after the commit is durable.
//   - Every document write appends its change-log entry and keeps the ACL
//     side table and history in step inside that same transaction.
//   - Update is compare-and-swap: the updater sees the committed current
//     version and no concurrent writer can slip between read and write.
//   - Versions start at 1 and grow by one per change; times are UTC.
//   - Change-log sequence numbers grow in commit order, so a reader that has
//     seen sequence n never later finds a new entry below n.
//   - The audit log is written only inside Write, so an audited action and
//     its entry commit together; its sequences are gap-free and in commit
//     order, and no method updates or deletes an entry.
//   - List-shaped reads (Find, Count, Distinct, Aggregate) take the caller's
//     principals and enforce read access inside the SQL statement.
//
// The store never imports services and never decides policy: it does not
// know who may write what. Services check rights, then call the store.
package store

// Package audit is Rampart's append-only, hash-chained audit log of
// security-relevant events (DESIGN.md invariant 8): sign-ins, second
// factors, sessions, account and role changes, API keys, signing keys,
// break-glass access and configuration reloads.
//
// Services call Append inside the store write that performs the audited
// action, so the action and its entry commit together or not at all.
// Verify walks the whole chain and names the first entry that does not
// check out; `rampart audit verify` runs it.
//
// It must never log a secret: Append refuses data whose keys look like one
// (see SecretKey). It never updates or deletes an entry.
//
// # Hash chain (format version 1)
//
// Every entry carries PrevHash, the Hash of the entry before it (32 zero
// bytes for entry 1), and
//
//	Hash = SHA-256(PrevHash || seq || at || kind || actor || subject || addr || data)
//
// where || is concatenation and the fields are encoded as:
//
//	seq                       8 bytes, unsigned big-endian
//	at                        8 bytes, signed big-endian: nanoseconds since
//	                          1970-01-01T00:00:00Z
//	kind, actor, subject,     each a 4-byte unsigned big-endian byte length,
//	addr, data                then that many bytes (UTF-8)
//
// data is the entry's Data exactly as stored. Append writes it as compact
// JSON (no insignificant whitespace, no HTML escaping) with the keys of
// every object sorted by their bytes; a verifier hashes the stored bytes
// and never re-encodes them.
//
// An entry is intact when its seq is one more than the previous entry's
// (1 for the first), its PrevHash equals the previous entry's Hash, and its
// Hash equals the recomputed value. A chain can still be cut short at the
// end without breaking; keep Report.Head elsewhere to notice that.
package audit

package store

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"rampart.dev/rampart/internal/errs"
)

// AuditEntry is one entry of the append-only audit log. The store keeps
// every field byte for byte; what the hashes cover is the audit package's
// business, not the store's.
type AuditEntry struct {
	Seq      int64     // 1, 2, 3, ... in commit order, without gaps
	At       time.Time // UTC, nanosecond precision
	Kind     string
	Actor    string
	Subject  string
	Addr     string
	Data     json.RawMessage // a JSON value, kept exactly as given
	PrevHash []byte
	Hash     []byte
}

// AuditQuery selects audit entries. Zero fields do not filter.
type AuditQuery struct {
	Kinds   []string  // any of these kinds
	Actor   string    // exactly this actor
	Subject string    // exactly this subject
	Since   time.Time // At at or after Since
	Until   time.Time // At before Until
	After   int64     // Seq above After: the keyset of the previous page
	Limit   int       // 1 to MaxAuditPage
}

const (
	// MaxAuditPage bounds one page of audit entries.
	MaxAuditPage = 1000
	// MaxAuditKinds bounds how many kinds one query may name.
	MaxAuditKinds = 32
	// MaxAuditText bounds Actor, Subject and Addr in bytes.
	MaxAuditText = 512
)

// Validate reports the first thing wrong with q as an invalid_argument
// error.
func (q AuditQuery) Validate() error {
	if q.Limit < 1 || q.Limit > MaxAuditPage {
		return errs.E(errs.InvalidArgument, "limit must be 1 to %d", MaxAuditPage)
	}
	if q.After < 0 {
		return errs.E(errs.InvalidArgument, "after must be a sequence number of 0 or more")
	}
	if len(q.Kinds) > MaxAuditKinds {
		return errs.E(errs.InvalidArgument, "at most %d kinds per query", MaxAuditKinds)
	}
	for _, k := range q.Kinds {
		if err := ValidAuditKind(k); err != nil {
			return err
		}
	}
	if err := ValidAuditText("actor", q.Actor); err != nil {
		return err
	}
	if err := ValidAuditText("subject", q.Subject); err != nil {
		return err
	}
	for _, tm := range []time.Time{q.Since, q.Until} {
		if !tm.IsZero() && !inAuditRange(tm) {
			return errs.E(errs.InvalidArgument, "since and until must lie between the years 1970 and 2200")
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return errs.E(errs.InvalidArgument, "since must be before until")
	}
	return nil
}

// ValidAuditKind checks an audit kind: 1-64 lower-case letters, digits,
// '_' and '.', starting with a letter, e.g. "login.failure".
func ValidAuditKind(k string) error {
	ok := len(k) > 0 && len(k) <= 64 && k[0] >= 'a' && k[0] <= 'z'
	for i := 0; ok && i < len(k); i++ {
		c := k[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.'
	}
	if !ok {
		return errs.E(errs.InvalidArgument, "audit kind must be 1-64 lower-case letters, digits, '_' or '.', starting with a letter")
	}
	return nil
}

// ValidAuditText checks a text field of an entry or query: valid UTF-8
// without NUL (PostgreSQL text cannot hold it) and at most MaxAuditText
// bytes, so both engines accept exactly the same values.
func ValidAuditText(field, v string) error {
	if len(v) > MaxAuditText || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return errs.E(errs.InvalidArgument, "%s must be valid UTF-8 of at most %d bytes without NUL", field, MaxAuditText)
	}
	return nil
}

// Validate checks what the store needs of an entry it appends.
func (e AuditEntry) Validate() error {
	if err := ValidAuditKind(e.Kind); err != nil {
		return err
	}
	for _, f := range [][2]string{{"actor", e.Actor}, {"subject", e.Subject}, {"addr", e.Addr}} {
		if err := ValidAuditText(f[0], f[1]); err != nil {
			return err
		}
	}
	if !inAuditRange(e.At) {
		return errs.E(errs.InvalidArgument, "audit time %v is out of range", e.At)
	}
	if !json.Valid(e.Data) || !utf8.Valid(e.Data) {
		return errs.E(errs.InvalidArgument, "audit data must be valid UTF-8 JSON")
	}
	return nil
}

// inAuditRange keeps times well inside what UnixNano can represent
// (about 1678 to 2262), where the stored nanoseconds are exact.
func inAuditRange(t time.Time) bool {
	return t.Year() >= 1970 && t.Year() <= 2200
}

package audit

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"

	"rampart.dev/rampart/internal/store"
)

// Problem is what is wrong with a broken entry.
type Problem string

const (
	// SequenceGap: entries are missing before this point.
	SequenceGap Problem = "sequence gap"
	// BrokenLink: PrevHash is not the previous entry's Hash.
	BrokenLink Problem = "broken link"
	// HashMismatch: the entry's fields do not give its Hash.
	HashMismatch Problem = "hash mismatch"
)

// Break names the first entry that does not check out.
type Break struct {
	Seq     int64 // the broken entry; for a gap, the first missing one
	Problem Problem
	Detail  string
}

func (b Break) String() string {
	return fmt.Sprintf("entry %d: %s: %s", b.Seq, b.Problem, b.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	Entries int64  // entries read
	LastSeq int64  // Seq of the newest entry read
	Head    []byte // Hash of the newest entry read; keep it to detect truncation
	Broken  *Break // the first broken entry; nil when the chain is intact
}

// Intact reports whether every entry read checked out.
func (r Report) Intact() bool { return r.Broken == nil }

// Verify reads the whole log in order, a page at a time, and checks every
// sequence number, link and hash. Entries appended while it runs are
// checked too, up to the moment it reads an empty page. The error is for a
// failed read only; a broken chain is reported in Report.Broken.
func Verify(ctx context.Context, r store.Reader) (Report, error) {
	var rep Report
	prev := store.AuditEntry{Hash: genesis}
	for {
		page, err := r.AuditRange(ctx, rep.LastSeq, store.MaxAuditPage)
		if err != nil {
			return rep, fmt.Errorf("read audit log after entry %d: %w", rep.LastSeq, err)
		}
		if len(page) == 0 {
			return rep, nil
		}
		for _, e := range page {
			if rep.Broken == nil {
				rep.Broken = check(prev, e)
			}
			rep.Entries++
			rep.LastSeq, rep.Head = e.Seq, e.Hash
			prev = e
		}
	}
}

// check compares e with the entry before it (or with the genesis entry).
func check(prev, e store.AuditEntry) *Break {
	if e.Seq != prev.Seq+1 {
		detail := fmt.Sprintf("entry %d is missing", prev.Seq+1)
		if e.Seq > prev.Seq+2 {
			detail = fmt.Sprintf("entries %d to %d are missing", prev.Seq+1, e.Seq-1)
		}
		return &Break{Seq: prev.Seq + 1, Problem: SequenceGap, Detail: detail}
	}
	if !bytes.Equal(e.PrevHash, prev.Hash) {
		return &Break{Seq: e.Seq, Problem: BrokenLink,
			Detail: fmt.Sprintf("prev_hash is not the hash of entry %d", prev.Seq)}
	}
	if subtle.ConstantTimeCompare(Hash(e), e.Hash) != 1 {
		return &Break{Seq: e.Seq, Problem: HashMismatch, Detail: "the stored fields do not give the stored hash"}
	}
	return nil
}

package audit_test

import (
	"context"
	"errors"
	"testing"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/store"
)

func TestVerifyEmpty(t *testing.T) {
	st, _ := engines[0].open(t)
	if rep := verify(t, st); !rep.Intact() || rep.Entries != 0 || rep.LastSeq != 0 || rep.Head != nil {
		t.Fatalf("report on an empty log = %+v", rep)
	}
}

// TestVerifyDetectsTampering changes one row behind the store's back, as
// someone with database access could, and expects Verify to name it.
func TestVerifyDetectsTampering(t *testing.T) {
	const n = 10
	cases := []struct {
		name    string
		stmt    string
		row     int64 // the row the statement changes
		problem audit.Problem
		entries int64
	}{
		{"data", `UPDATE %s SET data = '{"n":99,"reason":"test"}' WHERE seq = $1`, 6, audit.HashMismatch, n},
		{"kind", `UPDATE %s SET kind = 'login.success' WHERE seq = $1`, 6, audit.HashMismatch, n},
		{"actor", `UPDATE %s SET actor = 'someone-else' WHERE seq = $1`, 6, audit.HashMismatch, n},
		{"time", `UPDATE %s SET at = at + 1 WHERE seq = $1`, 6, audit.HashMismatch, n},
		{"last entry", `UPDATE %s SET subject = 'x' WHERE seq = $1`, n, audit.HashMismatch, n},
		{"prev hash", `UPDATE %s SET prev_hash = hash WHERE seq = $1`, 6, audit.BrokenLink, n},
		{"delete", `DELETE FROM %s WHERE seq = $1`, 6, audit.SequenceGap, n - 1},
		{"delete first", `DELETE FROM %s WHERE seq = $1`, 1, audit.SequenceGap, n - 1},
	}
	eachEngine(t, func(t *testing.T, open func(*testing.T) (store.Store, *raw)) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st, db := open(t)
				record(t, st, n)
				if rep := verify(t, st); !rep.Intact() {
					t.Fatalf("before tampering: %v", rep.Broken)
				}
				db.exec(t, tc.stmt, tc.row)
				rep := verify(t, st)
				if rep.Intact() || rep.Broken.Seq != tc.row || rep.Broken.Problem != tc.problem || rep.Entries != tc.entries {
					t.Fatalf("report = %+v (%v), want %s at entry %d", rep, rep.Broken, tc.problem, tc.row)
				}
			})
		}
	})
}

// TestVerifyDetectsRehashing: a forger who also recomputes the changed
// entry's hash breaks the next entry's link instead.
func TestVerifyDetectsRehashing(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) (store.Store, *raw)) {
		st, db := open(t)
		entries := record(t, st, 5)
		forged := entries[2]
		forged.Data = []byte(`{"n":2,"reason":"nothing to see"}`)
		db.exec(t, `UPDATE %s SET data = $1, hash = $2 WHERE seq = $3`, string(forged.Data), audit.Hash(forged), forged.Seq)
		rep := verify(t, st)
		if rep.Intact() || rep.Broken.Seq != 4 || rep.Broken.Problem != audit.BrokenLink {
			t.Fatalf("report = %+v (%v), want a broken link at entry 4", rep, rep.Broken)
		}
	})
}

// TestVerifyAcrossPages: the walk carries the chain across page ends.
func TestVerifyAcrossPages(t *testing.T) {
	st, db := engines[0].open(t)
	n := store.MaxAuditPage + 17
	record(t, st, n)
	if rep := verify(t, st); !rep.Intact() || rep.Entries != int64(n) {
		t.Fatalf("report = %+v", rep)
	}
	k := int64(store.MaxAuditPage + 1) // first entry of the second page
	db.exec(t, `DELETE FROM %s WHERE seq = $1`, k)
	if rep := verify(t, st); rep.Intact() || rep.Broken.Seq != k || rep.Broken.Problem != audit.SequenceGap {
		t.Fatalf("report = %+v (%v)", rep, rep.Broken)
	}
}

func TestVerifyReportsReadErrors(t *testing.T) {
	st, _ := engines[0].open(t)
	record(t, st, 3)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := audit.Verify(cctx, st); !errors.Is(err, context.Canceled) {
		t.Fatalf("verify with a cancelled context: %v", err)
	}
}

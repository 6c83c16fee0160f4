package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

var auditBase = time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)

// chained links e to the newest entry the way a log writer would: the
// store checks the number, the suite checks the links it reads back.
func chained(tx store.Tx, e store.AuditEntry) (store.AuditEntry, error) {
	last, err := tx.LastAudit()
	if err != nil {
		return store.AuditEntry{}, err
	}
	e.Seq, e.PrevHash = last.Seq+1, last.Hash
	if e.PrevHash == nil {
		e.PrevHash = make([]byte, sha256.Size)
	}
	h := sha256.New()
	h.Write(e.PrevHash)
	binary.Write(h, binary.BigEndian, e.Seq)
	e.Hash = h.Sum(nil)
	return tx.AppendAudit(e)
}

func auditEvent(kind, actor, subject string, at time.Time) store.AuditEntry {
	return store.AuditEntry{Kind: kind, Actor: actor, Subject: subject, Addr: "192.0.2.1", At: at, Data: []byte(`{}`)}
}

func appendOne(t *testing.T, s store.Store, e store.AuditEntry) store.AuditEntry {
	t.Helper()
	var out store.AuditEntry
	err := s.Write(ctx, func(tx store.Tx) error {
		var err error
		out, err = chained(tx, e)
		return err
	})
	if err != nil {
		t.Fatalf("append audit entry: %v", err)
	}
	return out
}

// auditChain reads the whole log and checks that it is numbered 1..n
// without gaps and that every entry links to the one before.
func auditChain(s store.Store) ([]store.AuditEntry, error) {
	var all []store.AuditEntry
	for {
		page, err := s.AuditRange(ctx, int64(len(all)), 7)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return all, nil
		}
		for _, e := range page {
			want := int64(len(all) + 1)
			if e.Seq != want {
				return nil, fmt.Errorf("entry %d where %d was expected", e.Seq, want)
			}
			prev := make([]byte, sha256.Size)
			if len(all) > 0 {
				prev = all[len(all)-1].Hash
			}
			if !bytes.Equal(e.PrevHash, prev) {
				return nil, fmt.Errorf("entry %d does not link to entry %d", e.Seq, e.Seq-1)
			}
			all = append(all, e)
		}
	}
}

func testAuditAppend(t *testing.T, s store.Store) {
	if err := s.Write(ctx, func(tx store.Tx) error {
		last, err := tx.LastAudit()
		if err != nil || last.Seq != 0 || last.Hash != nil {
			t.Errorf("last entry of an empty log = %+v, %v", last, err)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.AuditRange(ctx, 0, 10); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("empty log = %#v, %v", list, err)
	}
	// The data keeps its exact bytes, spacing and key order included: the
	// hashes cover them.
	data := []byte(`{"z": 1,  "a":["ü","\u0000",null]}`)
	e1 := auditEvent("login.success", "alice", "alice", auditBase)
	e1.Data = data
	got1 := appendOne(t, s, e1)
	if got1.Seq != 1 {
		t.Fatalf("first entry numbered %d", got1.Seq)
	}
	var got2, got3 store.AuditEntry
	if err := s.Write(ctx, func(tx store.Tx) error {
		var err error
		if got2, err = chained(tx, auditEvent("user.create", "alice", "bob", auditBase.Add(time.Second))); err != nil {
			return err
		}
		// A transaction sees its own entries.
		got3, err = chained(tx, auditEvent("user.update", "alice", "bob", auditBase.Add(2*time.Second)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got2.Seq != 2 || got3.Seq != 3 || !bytes.Equal(got3.PrevHash, got2.Hash) {
		t.Fatalf("entries of one write: %+v, %+v", got2, got3)
	}
	all, err := auditChain(s)
	if err != nil || len(all) != 3 {
		t.Fatalf("chain = %d entries, %v", len(all), err)
	}
	r := all[0]
	isUTC(t, "audit time", r.At)
	if !r.At.Equal(auditBase) || string(r.Data) != string(data) || r.Kind != "login.success" ||
		r.Actor != "alice" || r.Subject != "alice" || r.Addr != "192.0.2.1" || !bytes.Equal(r.Hash, got1.Hash) {
		t.Fatalf("read back %+v, appended %+v", r, got1)
	}
	if err := s.Write(ctx, func(tx store.Tx) error {
		last, err := tx.LastAudit()
		if err == nil && (last.Seq != 3 || !bytes.Equal(last.Hash, got3.Hash)) {
			err = fmt.Errorf("last entry = %+v", last)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	testAuditRefusals(t, s)
}

func testAuditRefusals(t *testing.T, s store.Store) {
	refuse := func(name string, code errs.Code, e store.AuditEntry) {
		t.Helper()
		err := s.Write(ctx, func(tx store.Tx) error { _, err := tx.AppendAudit(e); return err })
		if errs.CodeOf(err) != code {
			t.Errorf("%s: got %v, want code %s", name, err, code)
		}
	}
	ok := auditEvent("login.failure", "bob", "bob", auditBase)
	wrongSeq := ok
	wrongSeq.Seq = 2
	refuse("sequence already used", errs.FailedPrecondition, wrongSeq)
	wrongSeq.Seq = 9
	refuse("sequence ahead", errs.FailedPrecondition, wrongSeq)
	bad := func(edit func(*store.AuditEntry)) store.AuditEntry { e := ok; edit(&e); return e }
	refuse("bad kind", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Kind = "Login Failure" }))
	refuse("NUL in actor", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Actor = "a\x00b" }))
	refuse("invalid UTF-8", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Subject = "\xff" }))
	refuse("long addr", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Addr = strings.Repeat("a", store.MaxAuditText+1) }))
	refuse("no data", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Data = nil }))
	refuse("bad data", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.Data = []byte(`{"a":`) }))
	refuse("zero time", errs.InvalidArgument, bad(func(e *store.AuditEntry) { e.At = time.Time{} }))
	if _, err := s.AuditRange(ctx, 0, 0); !errs.Is(err, errs.InvalidArgument) {
		t.Errorf("range with limit 0: %v", err)
	}
	if _, err := s.AuditRange(ctx, 0, store.MaxAuditPage+1); !errs.Is(err, errs.InvalidArgument) {
		t.Errorf("range over the page limit: %v", err)
	}
	if all, err := auditChain(s); err != nil || len(all) != 3 {
		t.Fatalf("refused appends changed the log: %d entries, %v", len(all), err)
	}
}

// testAuditRollback: a failed write leaves no entry and no hole.
func testAuditRollback(t *testing.T, s store.Store) {
	appendOne(t, s, auditEvent("login.success", "alice", "alice", auditBase))
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := chained(tx, auditEvent("user.delete", "alice", "bob", auditBase)); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("failed write returned %v", err)
	}
	if list, err := s.Audit(ctx, store.AuditQuery{Kinds: []string{"user.delete"}, Limit: 10}); err != nil || len(list) != 0 {
		t.Fatalf("rolled-back entry is visible: %+v, %v", list, err)
	}
	if e := appendOne(t, s, auditEvent("user.create", "alice", "bob", auditBase)); e.Seq != 2 {
		t.Fatalf("entry after a rollback numbered %d, want 2", e.Seq)
	}
	if all, err := auditChain(s); err != nil || len(all) != 2 {
		t.Fatalf("chain = %d entries, %v", len(all), err)
	}
}

// testAuditConcurrent: many writers, some failing, share group commits; the
// chain still comes out gap-free and linked, and a reader never sees a hole
// that a later commit fills.
func testAuditConcurrent(t *testing.T, s store.Store) {
	const writers, each = 32, 8
	var kept atomic.Int64
	stop := make(chan struct{})
	var readErr error
	var rd sync.WaitGroup
	rd.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := auditChain(s); err != nil {
				readErr = err
				return
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fail := (w+i)%5 == 0
				err := s.Write(ctx, func(tx store.Tx) error {
					e := auditEvent("config.reload", fmt.Sprintf("w%d", w), fmt.Sprint(i), auditBase)
					if _, err := chained(tx, e); err != nil {
						return err
					}
					if fail {
						return errBoom
					}
					return nil
				})
				switch {
				case fail && !errors.Is(err, errBoom):
					t.Errorf("failing write returned %v", err)
				case !fail && err != nil:
					t.Errorf("write: %v", err)
				case !fail:
					kept.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rd.Wait()
	if readErr != nil {
		t.Fatalf("a reader saw a broken chain: %v", readErr)
	}
	all, err := auditChain(s)
	if err != nil || int64(len(all)) != kept.Load() {
		t.Fatalf("chain = %d entries, %v; want %d", len(all), err, kept.Load())
	}
}

func testAuditQuery(t *testing.T, s store.Store) {
	at := func(m int) time.Time { return auditBase.Add(time.Duration(m) * time.Minute) }
	for _, e := range []store.AuditEntry{
		auditEvent("login.success", "alice", "alice", at(0)),
		auditEvent("login.failure", "bob", "bob", at(1)),
		auditEvent("user.create", "alice", "bob", at(2)),
		auditEvent("login.success", "bob", "bob", at(3)),
		auditEvent("user.delete", "alice", "carol", at(4)),
	} {
		appendOne(t, s, e)
	}
	tests := []struct {
		name string
		q    store.AuditQuery
		want []int64
	}{
		{"everything", store.AuditQuery{}, []int64{1, 2, 3, 4, 5}},
		{"one kind", store.AuditQuery{Kinds: []string{"login.success"}}, []int64{1, 4}},
		{"two kinds", store.AuditQuery{Kinds: []string{"user.delete", "login.success"}}, []int64{1, 4, 5}},
		{"actor", store.AuditQuery{Actor: "alice"}, []int64{1, 3, 5}},
		{"subject", store.AuditQuery{Subject: "bob"}, []int64{2, 3, 4}},
		{"actor and subject", store.AuditQuery{Actor: "alice", Subject: "bob"}, []int64{3}},
		{"since", store.AuditQuery{Since: at(1)}, []int64{2, 3, 4, 5}},
		{"until", store.AuditQuery{Until: at(2)}, []int64{1, 2}},
		{"window", store.AuditQuery{Since: at(1), Until: at(3)}, []int64{2, 3}},
		{"after", store.AuditQuery{After: 2}, []int64{3, 4, 5}},
		{"page", store.AuditQuery{After: 2, Limit: 1}, []int64{3}},
		{"kind and after", store.AuditQuery{Kinds: []string{"login.success"}, After: 1}, []int64{4}},
		{"no match", store.AuditQuery{Actor: "zed"}, []int64{}},
		{"quote in actor", store.AuditQuery{Actor: "x' OR '1'='1"}, []int64{}},
	}
	for _, tc := range tests {
		if tc.q.Limit == 0 {
			tc.q.Limit = 100
		}
		list, err := s.Audit(ctx, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := []int64{}
		for _, e := range list {
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	testAuditQueryRefusals(t, s)
}

func testAuditQueryRefusals(t *testing.T, s store.Store) {
	many := make([]string, store.MaxAuditKinds+1)
	for i := range many {
		many[i] = "login.success"
	}
	for name, q := range map[string]store.AuditQuery{
		"no limit":     {},
		"limit over":   {Limit: store.MaxAuditPage + 1},
		"negative":     {Limit: 1, After: -1},
		"many kinds":   {Limit: 1, Kinds: many},
		"bad kind":     {Limit: 1, Kinds: []string{"login.success", "DROP TABLE"}},
		"empty kind":   {Limit: 1, Kinds: []string{""}},
		"NUL actor":    {Limit: 1, Actor: "a\x00"},
		"long subject": {Limit: 1, Subject: strings.Repeat("s", store.MaxAuditText+1)},
		"empty window": {Limit: 1, Since: auditBase, Until: auditBase},
		"year 1600":    {Limit: 1, Since: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year 9999":    {Limit: 1, Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := s.Audit(ctx, q); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("%s: got %v, want invalid_argument", name, err)
		}
	}
}

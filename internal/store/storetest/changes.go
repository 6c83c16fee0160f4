package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/store"
)

func testChangeLog(t *testing.T, s store.Store) {
	c := store.DefaultCollection("c")
	c.Priority = 2
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
		t.Fatal(err)
	}
	mustCollection(t, s, "other")
	start := lastSeq(t, s)
	insert(t, s, newDoc("c", "d", nil, "alice"))
	insert(t, s, newDoc("other", "x", nil, "alice"))
	if _, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) { return cur, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Delete("c", "d", func(store.Doc) error { return nil })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Changes(ctx, "", start, 100)
	if err != nil || len(all) != 4 {
		t.Fatalf("changes = %+v, %v; want 4", all, err)
	}
	got, err := s.Changes(ctx, "c", start, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op      store.Op
		version int64
	}{{store.OpInsert, 1}, {store.OpUpdate, 2}, {store.OpDelete, 3}}
	if len(got) != len(want) {
		t.Fatalf("changes of c = %+v", got)
	}
	var prev store.Change
	for i, w := range want {
		g := got[i]
		if g.Op != w.op || g.Version != w.version || g.DocID != "d" || g.Collection != "c" || g.Priority != 2 {
			t.Fatalf("change %d = %+v, want %s v%d of c/d, priority 2", i, g, w.op, w.version)
		}
		isUTC(t, "change time", g.At)
		if i > 0 && (g.Seq <= prev.Seq || g.HLC <= prev.HLC) {
			t.Fatalf("change %d does not follow the one before: %+v then %+v", i, prev, g)
		}
		prev = g
	}
	if page, _ := s.Changes(ctx, "", start, 2); len(page) != 2 || page[0].Seq != all[0].Seq {
		t.Fatalf("limited changes = %+v", page)
	}
	if n := lastSeq(t, s); n != all[3].Seq {
		t.Fatalf("last seq = %d, want %d", n, all[3].Seq)
	}
}

// testChangeLogCommitOrder tails the change log while many writers commit and
// checks that the tail never skipped an entry: no entry appears below a
// sequence number the reader has already passed.
func testChangeLogCommitOrder(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	start := lastSeq(t, s)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := tryInsert(s, newDoc("c", fmt.Sprintf("w%d-%d", w, i), nil, "alice")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[int64]bool{}
	after := start
	tail := func() {
		for {
			page, err := s.Changes(ctx, "", after, 50)
			if err != nil {
				t.Error(err)
				return
			}
			for _, c := range page {
				seen[c.Seq] = true
				after = c.Seq
			}
			if len(page) < 50 {
				return
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		tail()
	}
	tail()
	all, err := s.Changes(ctx, "", start, writers*each+10)
	if err != nil || len(all) != writers*each {
		t.Fatalf("changes = %d, %v; want %d", len(all), err, writers*each)
	}
	for _, c := range all {
		if !seen[c.Seq] {
			t.Fatalf("the tail skipped seq %d: it became visible after a higher one", c.Seq)
		}
	}
}

func testACLSideTable(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	d := newDoc("c", "d", nil, "alice")
	d.ACL = acl.List{{ID: "alice", Rights: acl.Read}}
	insert(t, s, d)
	readable := func(p acl.Principals) bool {
		t.Helper()
		r, err := s.Readable(ctx, "c", p, []string{"d", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		return r["d"]
	}
	if !readable(alice) || readable(bob) || !readable(admin) {
		t.Fatal("after insert: want alice and admin to read, bob not")
	}
	setACL := func(l acl.List) {
		t.Helper()
		if _, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) {
			cur.ACL = l
			return cur, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	setACL(acl.List{{ID: "staff", Rights: acl.Read | acl.Update}})
	if readable(alice) || !readable(bob) {
		t.Fatal("after moving the ACL to staff: want bob (a staff member) to read, alice not")
	}
	setACL(acl.List{{ID: acl.RoleUsers, Rights: acl.Read}, {ID: "staff", Rights: acl.Read, Deny: true}})
	if !readable(alice) || readable(bob) {
		t.Fatal("deny for staff: want alice to read and bob denied")
	}
	setACL(acl.List{{ID: acl.RoleUsers, Rights: acl.Read}, {ID: "bob", Rights: acl.Update, Deny: true}})
	if !readable(bob) {
		t.Fatal("a deny of update must not withhold read")
	}
	if err := s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Delete("c", "d", func(store.Doc) error { return nil })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if readable(alice) || readable(admin) {
		t.Fatal("a deleted document is still readable")
	}
	// Nobody has no principals: such a caller reads nothing.
	if r, _ := s.Readable(ctx, "c", acl.Principals{}, []string{"d"}); len(r) != 0 {
		t.Fatal("empty principals read something")
	}
}

func testGroupCommitIsolation(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	var wg sync.WaitGroup
	results := make([]error, 40)
	for i := range results {
		wg.Go(func() {
			results[i] = s.Write(ctx, func(tx store.Tx) error {
				if _, err := tx.Insert(newDoc("c", fmt.Sprintf("d%d", i), nil, "alice")); err != nil {
					return err
				}
				if i%2 == 1 {
					return errBoom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range results {
		_, getErr := s.Get(ctx, "c", fmt.Sprintf("d%d", i))
		switch {
		case i%2 == 0 && (err != nil || getErr != nil):
			t.Fatalf("write %d: %v, get: %v; want committed", i, err, getErr)
		case i%2 == 1 && (err != errBoom || getErr == nil):
			t.Fatalf("write %d: %v, get: %v; want its own error and nothing stored", i, err, getErr)
		}
	}
}

func testConcurrentInserts(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	const clients, each = 64, 10
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				if _, err := tryInsert(s, newDoc("c", fmt.Sprintf("c%d-%d", c, i), map[string]any{"c": c}, "alice")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n, err := s.Count(ctx, "c", admin, emptyFilter)
	if err != nil || n != clients*each {
		t.Fatalf("count = %d, %v; want %d", n, err, clients*each)
	}
}

func testCancelledWrite(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := s.Write(cctx, func(tx store.Tx) error {
		_, err := tx.Insert(newDoc("c", "d", nil, "alice"))
		return err
	})
	if err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if _, err := s.Get(ctx, "c", "d"); err == nil {
		t.Fatal("write with a cancelled context stored its document")
	}
}

func testChanged(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	ch := s.Changed()
	select {
	case <-ch:
		t.Fatal("Changed fired before any commit")
	default:
	}
	insert(t, s, newDoc("c", "d", nil, "alice"))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed did not fire after a commit")
	}
	ch = s.Changed()
	s.Poke()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed did not fire after Poke")
	}
}

package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

func testCRUD(t *testing.T, s store.Store) {
	mustCollection(t, s, "notes")
	in := insert(t, s, newDoc("notes", "n1", map[string]any{"title": "hello", "n": 1}, "alice"))
	if in.Version != 1 || !in.Created.Equal(in.Modified) || in.ModifiedBy != "alice" {
		t.Fatalf("inserted doc = %+v, want version 1, created == modified, modified by alice", in)
	}
	isUTC(t, "created", in.Created)

	got, err := s.Get(ctx, "notes", "n1")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Fields["title"] != "hello" || got.Version != 1 || !got.Created.Equal(in.Created) || len(got.ACL) != 1 {
		t.Fatalf("get = %+v, want the inserted document", got)
	}
	isUTC(t, "read back created", got.Created)

	err = s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Insert(newDoc("notes", "n1", nil, "bob"))
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate insert: %v, want ErrExists", err)
	}
	wantCode(t, err, errs.Conflict)

	up, err := update(t, s, "notes", "n1", func(d store.Doc) (store.Doc, error) {
		d.Fields["title"] = "changed"
		d.ModifiedBy = "bob"
		return d, nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if up.Version != 2 || !up.Created.Equal(in.Created) || up.CreatedBy != "alice" || up.ModifiedBy != "bob" || up.Modified.Before(in.Modified) {
		t.Fatalf("updated = %+v, want version 2 keeping creation fields", up)
	}
	if got, _ := s.Get(ctx, "notes", "n1"); got.Fields["title"] != "changed" || got.Version != 2 {
		t.Fatalf("after update get = %+v", got)
	}
	sameMeta(t, s, "notes", "n1")
	// The encoding a write hands back is the new one, not the one read.
	for _, d := range []store.Doc{up, in} {
		raw, err := d.JSON()
		want, _ := d.MarshalJSON()
		var a, b map[string]any
		if err != nil || json.Unmarshal(raw, &a) != nil || json.Unmarshal(want, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("JSON() of a written document = %s, want %s", raw, want)
		}
	}

	var deleted store.Doc
	err = s.Write(ctx, func(tx store.Tx) error {
		var err error
		deleted, err = tx.Delete("notes", "n1", func(store.Doc) error { return nil })
		return err
	})
	if err != nil || deleted.Version != 2 {
		t.Fatalf("delete = %+v, %v", deleted, err)
	}
	if _, err := s.Get(ctx, "notes", "n1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	tomb, err := s.Tombstone(ctx, "notes", "n1")
	if err != nil || tomb.Version != 2 || len(tomb.ACL) != 1 || tomb.ACL[0].ID != "alice" {
		t.Fatalf("tombstone = %+v, %v; want version 2 with alice's ACL", tomb, err)
	}
	if _, err := update(t, s, "notes", "n1", func(d store.Doc) (store.Doc, error) { return d, nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of deleted doc: %v, want ErrNotFound", err)
	}

	// The id can be used again; it starts at version 1 with no history.
	again := insert(t, s, newDoc("notes", "n1", map[string]any{"title": "again"}, "alice"))
	if again.Version != 1 {
		t.Fatalf("re-inserted version = %d", again.Version)
	}
	if _, err := s.GetVersion(ctx, "notes", "n1", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old life's version 2: %v, want ErrNotFound", err)
	}
}

func testInsertNeedsCollection(t *testing.T, s store.Store) {
	before := lastSeq(t, s)
	err := s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Insert(newDoc("missing", "x", nil, "alice"))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("insert into missing collection: %v, want ErrNotFound", err)
	}
	if lastSeq(t, s) != before {
		t.Fatal("change log moved on a failed insert")
	}
}

func testAtomicMultiInsert(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "taken", nil, "alice"))
	before := lastSeq(t, s)
	err := s.Write(ctx, func(tx store.Tx) error {
		for _, id := range []string{"a", "b", "taken"} {
			if _, err := tx.Insert(newDoc("c", id, nil, "alice")); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("batch with a duplicate: %v, want ErrExists", err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := s.Get(ctx, "c", id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s present after failed batch: %v", id, err)
		}
	}
	if lastSeq(t, s) != before {
		t.Fatal("change log moved on a failed batch")
	}
	if r, _ := s.Readable(ctx, "c", alice, []string{"a", "b"}); len(r) != 0 {
		t.Fatalf("ACL rows of a failed batch are readable: %v", r)
	}
}

func testRollback(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "keep", map[string]any{"v": 1}, "alice"))
	before := lastSeq(t, s)
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Insert(newDoc("c", "gone", nil, "alice")); err != nil {
			return err
		}
		if _, err := tx.Update("c", "keep", func(d store.Doc) (store.Doc, error) {
			d.Fields["v"] = 2
			return d, nil
		}); err != nil {
			return err
		}
		if err := tx.PutRecord(store.Record{Kind: "k", ID: "r"}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("write = %v, want the function's error", err)
	}
	if _, err := s.Get(ctx, "c", "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled back insert is visible: %v", err)
	}
	if d, _ := s.Get(ctx, "c", "keep"); num(d.Fields["v"]) != 1 || d.Version != 1 {
		t.Fatalf("rolled back update is visible: %+v", d)
	}
	if _, err := s.Record(ctx, "k", "r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled back record is visible: %v", err)
	}
	if lastSeq(t, s) != before {
		t.Fatal("change log moved on a rolled back write")
	}
}

func testCompareAndSwap(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "d", map[string]any{"v": 1}, "alice"))
	stale := errs.E(errs.FailedPrecondition, "version mismatch")
	_, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) {
		if cur.Version != 7 {
			return store.Doc{}, stale
		}
		return cur, nil
	})
	if !errors.Is(err, stale) {
		t.Fatalf("updater error = %v, want it returned as is", err)
	}
	if d, _ := s.Get(ctx, "c", "d"); d.Version != 1 {
		t.Fatalf("refused update changed the version to %d", d.Version)
	}
	// The updater cannot forge identity, version or creation fields.
	up, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) {
		cur.ID, cur.Version, cur.CreatedBy = "other", 99, "mallory"
		return cur, nil
	})
	if err != nil || up.ID != "d" || up.Version != 2 || up.CreatedBy != "alice" {
		t.Fatalf("forging update = %+v, %v", up, err)
	}
}

func testHistory(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "d", map[string]any{"v": 1}, "alice"))
	for i := 2; i <= 4; i++ {
		if _, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) {
			cur.Fields["v"] = i
			return cur, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for v := int64(1); v <= 4; v++ {
		d, err := s.GetVersion(ctx, "c", "d", v)
		if err != nil || d.Version != v || num(d.Fields["v"]) != float64(v) {
			t.Fatalf("version %d = %+v, %v", v, d, err)
		}
	}
	for _, v := range []int64{0, -1, 5, 1 << 40} {
		if _, err := s.GetVersion(ctx, "c", "d", v); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("version %d: %v, want ErrNotFound", v, err)
		}
	}
}

func testHistoryOff(t *testing.T, s store.Store) {
	c := store.DefaultCollection("c")
	c.History = false
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
		t.Fatal(err)
	}
	insert(t, s, newDoc("c", "d", map[string]any{"v": 1}, "alice"))
	if _, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) { return cur, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetVersion(ctx, "c", "d", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("version 1 with history off: %v, want ErrNotFound", err)
	}
	if d, err := s.GetVersion(ctx, "c", "d", 2); err != nil || d.Version != 2 {
		t.Fatalf("current version via GetVersion = %+v, %v", d, err)
	}
}

// testNoLostUpdates has many writers increment one field through Update.
func testNoLostUpdates(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "ctr", map[string]any{"n": 0}, "alice"))
	const writers = 50
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			err := s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.Update("c", "ctr", func(d store.Doc) (store.Doc, error) {
					d.Fields["n"] = int(num(d.Fields["n"])) + 1
					return d, nil
				})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d, err := s.Get(ctx, "c", "ctr")
	if err != nil || num(d.Fields["n"]) != writers || d.Version != writers+1 {
		t.Fatalf("counter = %+v, %v; want n=%d at version %d", d, err, writers, writers+1)
	}
}

// testSettingsChange: a write right after a settings change follows the new
// settings, however the engine caches them.
func testSettingsChange(t *testing.T, s store.Store) {
	c := mustCollection(t, s, "c")
	insert(t, s, newDoc("c", "d", map[string]any{"v": 1}, "alice"))
	touch := func() {
		t.Helper()
		if _, err := update(t, s, "c", "d", func(cur store.Doc) (store.Doc, error) { return cur, nil }); err != nil {
			t.Fatal(err)
		}
	}
	touch() // v2; v1 kept
	c.History = false
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
		t.Fatal(err)
	}
	touch() // v3; v2 must not be kept
	if _, err := s.GetVersion(ctx, "c", "d", 1); err != nil {
		t.Fatalf("version 1, kept while history was on: %v", err)
	}
	if _, err := s.GetVersion(ctx, "c", "d", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("version 2 kept after history was switched off: %v", err)
	}
	// Within one transaction the new settings are seen at once.
	c.History = true
	err := s.Write(ctx, func(tx store.Tx) error {
		if err := tx.PutCollection(c); err != nil {
			return err
		}
		_, err := tx.Update("c", "d", func(cur store.Doc) (store.Doc, error) { return cur, nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetVersion(ctx, "c", "d", 3); err != nil {
		t.Fatalf("version 3 not kept by a write that switched history on first: %v", err)
	}
}

// testSettingsReadYourWrites: once a settings write is acknowledged, the
// writer's next read sees it, though another reader keeps the cache warm
// meanwhile.
func testSettingsReadYourWrites(t *testing.T, s store.Store) {
	c := mustCollection(t, s, "c")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				s.Collection(ctx, "c")
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for i := range 200 {
		c.Priority = i%9 + 1
		if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
			t.Fatal(err)
		}
		got, err := s.Collection(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if got.Priority != c.Priority {
			t.Fatalf("write %d: read priority %d after writing %d", i, got.Priority, c.Priority)
		}
	}
}

// sameMeta: GetMeta reads what Get reads, reserved fields and JSON alike,
// without decoding the fields, and its Map and MarshalJSON still hold
// every field.
func sameMeta(t *testing.T, s store.Store, coll, id string) {
	t.Helper()
	full, err := s.Get(ctx, coll, id)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := s.GetMeta(ctx, coll, id)
	if err != nil {
		t.Fatalf("get meta: %v", err)
	}
	if meta.Fields != nil {
		t.Errorf("GetMeta decoded the fields: %v", meta.Fields)
	}
	fullJSON, _ := full.JSON()
	metaJSON, _ := meta.JSON()
	marshaled, _ := meta.MarshalJSON()
	if string(metaJSON) != string(fullJSON) || string(marshaled) != string(fullJSON) {
		t.Errorf("GetMeta JSON %s / %s, Get JSON %s", metaJSON, marshaled, fullJSON)
	}
	if !reflect.DeepEqual(meta.Map(), full.Map()) {
		t.Errorf("GetMeta Map %v, Get Map %v", meta.Map(), full.Map())
	}
	type reserved struct {
		Collection, ID, CreatedBy, ModifiedBy string
		Version                               int64
		ACL                                   string
		Created, Modified                     time.Time
	}
	of := func(d store.Doc) reserved {
		return reserved{d.Collection, d.ID, d.CreatedBy, d.ModifiedBy, d.Version, fmt.Sprint(d.ACL), d.Created, d.Modified}
	}
	if got, want := of(meta), of(full); got != want {
		t.Errorf("GetMeta = %+v\nGet     = %+v", got, want)
	}
	if _, err := s.GetMeta(ctx, coll, "missing-"+id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMeta of a missing document: %v, want ErrNotFound", err)
	}
}

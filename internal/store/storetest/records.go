package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"rampart.dev/rampart/internal/store"
)

func testRecords(t *testing.T, s store.Store) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(r store.Record) {
		t.Helper()
		if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutRecord(r) }); err != nil {
			t.Fatal(err)
		}
	}
	put(store.Record{Kind: "password", ID: "u1", Owner: "u1", Data: []byte("hash-1"), Expires: exp})
	put(store.Record{Kind: "session", ID: "s2", Owner: "u1", Data: []byte{0, 1, 2}})
	put(store.Record{Kind: "session", ID: "s1", Owner: "u1", Data: []byte{}})
	put(store.Record{Kind: "session", ID: "s3", Owner: "u2"})

	r, err := s.Record(ctx, "password", "u1")
	if err != nil || string(r.Data) != "hash-1" || !r.Expires.Equal(exp) || r.Owner != "u1" {
		t.Fatalf("record = %+v, %v", r, err)
	}
	isUTC(t, "record updated", r.Updated)
	list, err := s.Records(ctx, "session", "u1")
	if err != nil || len(list) != 2 || list[0].ID != "s1" || list[1].ID != "s2" || len(list[1].Data) != 3 {
		t.Fatalf("records of u1 = %+v, %v", list, err)
	}
	put(store.Record{Kind: "password", ID: "u1", Owner: "u1", Data: []byte("hash-2")})
	if r, _ := s.Record(ctx, "password", "u1"); string(r.Data) != "hash-2" || !r.Expires.IsZero() {
		t.Fatalf("replaced record = %+v", r)
	}
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.DeleteRecord("session", "s1") }); err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.DeleteRecord("session", "s1") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Record(ctx, "session", "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted record: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.UpdateRecord("session", "missing", func(r store.Record) (store.Record, error) { return r, nil })
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of missing record: %v, want ErrNotFound", err)
	}
}

// testRecordCounter is the shape of a failed-login counter: a parallel burst
// of increments must count every one.
func testRecordCounter(t *testing.T, s store.Store) {
	if err := s.Write(ctx, func(tx store.Tx) error {
		return tx.PutRecord(store.Record{Kind: "counter", ID: "c", Data: []byte{0}})
	}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.UpdateRecord("counter", "c", func(r store.Record) (store.Record, error) {
					r.Data = []byte{r.Data[0] + 1}
					return r, nil
				})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if r, _ := s.Record(ctx, "counter", "c"); r.Data[0] != n {
		t.Fatalf("counter = %d after %d parallel increments", r.Data[0], n)
	}
}

func testCollections(t *testing.T, s store.Store) {
	c := store.DefaultCollection("b")
	c.Priority, c.History, c.EncryptedFields = 1, false, []string{"ssn"}
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
		t.Fatal(err)
	}
	mustCollection(t, s, "a")
	got, err := s.Collection(ctx, "b")
	if err != nil || got.Priority != 1 || got.History || len(got.EncryptedFields) != 1 || len(got.CreateACL) != 1 {
		t.Fatalf("collection = %+v, %v", got, err)
	}
	isUTC(t, "collection created", got.Created)
	all, err := s.Collections(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "a" || all[1].Name != "b" {
		t.Fatalf("collections = %+v, %v", all, err)
	}
	if _, err := s.Collection(ctx, "zzz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing collection: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(store.DefaultCollection("bad name'--")) })
	if err == nil {
		t.Fatal("collection with an invalid name was stored")
	}
}

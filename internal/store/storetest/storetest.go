package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CRUD", testCRUD},
		{"InsertNeedsCollection", testInsertNeedsCollection},
		{"AtomicMultiInsert", testAtomicMultiInsert},
		{"RollbackOnError", testRollback},
		{"CompareAndSwap", testCompareAndSwap},
		{"NoLostUpdates", testNoLostUpdates},
		{"History", testHistory},
		{"HistoryOff", testHistoryOff},
		{"SettingsChange", testSettingsChange},
		{"SettingsReadYourWrites", testSettingsReadYourWrites},
		{"ChangeLog", testChangeLog},
		{"ChangeLogCommitOrder", testChangeLogCommitOrder},
		{"ACLSideTable", testACLSideTable},
		{"GroupCommitIsolation", testGroupCommitIsolation},
		{"ConcurrentInserts", testConcurrentInserts},
		{"CancelledWrite", testCancelledWrite},
		{"Changed", testChanged},
		{"Records", testRecords},
		{"RecordCounter", testRecordCounter},
		{"Collections", testCollections},
		{"Indexes", testIndexes},
		{"UniqueIndex", testUniqueIndex},
		{"Find", testFind},
		{"FindPages", testFindPages},
		{"CountDistinctAggregate", testCountDistinctAggregate},
		{"ReadPredicate", testReadPredicate},
		{"Audit", testAuditAppend},
		{"AuditRollback", testAuditRollback},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditQuery", testAuditQuery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// Principals used across the suite.
var (
	alice = acl.NewPrincipals("alice", nil, true)
	bob   = acl.NewPrincipals("bob", []string{"staff"}, true)
	admin = acl.NewPrincipals("root", []string{acl.RoleAdmins}, true)
)

func mustCollection(t *testing.T, s store.Store, name string) store.Collection {
	t.Helper()
	c := store.DefaultCollection(name)
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.PutCollection(c) }); err != nil {
		t.Fatalf("put collection %s: %v", name, err)
	}
	return c
}

func newDoc(coll, id string, fields map[string]any, owner string) store.Doc {
	return store.Doc{
		Collection: coll, ID: id, CreatedBy: owner, Fields: fields,
		ACL: acl.List{{ID: owner, Rights: acl.All}},
	}
}

func insert(t *testing.T, s store.Store, d store.Doc) store.Doc {
	t.Helper()
	out, err := tryInsert(s, d)
	if err != nil {
		t.Fatalf("insert %s/%s: %v", d.Collection, d.ID, err)
	}
	return out
}

// tryInsert is insert for goroutines, which must not call t.Fatal.
func tryInsert(s store.Store, d store.Doc) (store.Doc, error) {
	var out store.Doc
	err := s.Write(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Insert(d)
		return err
	})
	return out, err
}

func update(t *testing.T, s store.Store, coll, id string, fn func(store.Doc) (store.Doc, error)) (store.Doc, error) {
	t.Helper()
	var out store.Doc
	err := s.Write(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Update(coll, id, fn)
		return err
	})
	return out, err
}

func lastSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatalf("last seq: %v", err)
	}
	return n
}

func num(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, _ := n.Float64()
		return f
	case float64:
		return n
	case int:
		return float64(n)
	}
	return -1
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("got error %v (code %q), want code %q", err, errs.CodeOf(err), code)
	}
}

func isUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.IsZero() || tm.Location() != time.UTC {
		t.Fatalf("%s = %v, want a UTC time", what, tm)
	}
}

var errBoom = errors.New("boom")

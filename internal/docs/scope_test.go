package docs_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/store/sqlite"
)

var ctx = context.Background()

func engines() map[string]func(*testing.T) store.Store {
	return map[string]func(*testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "db"), Origin: "test"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) store.Store { return pgtest.Open(t) },
	}
}

// A caller narrowed to some collections (an API key's scope) sees nothing
// elsewhere and may write nothing there, on every entry point.
func TestCollectionScope(t *testing.T) {
	for name, open := range engines() {
		t.Run(name, func(t *testing.T) {
			s := docs.New(open(t), docs.Options{AutoCreate: true, WatchPoll: 10 * time.Millisecond})
			bob := acl.NewPrincipals("bob", nil, true)
			for _, c := range []string{"inside", "outside"} {
				if _, err := s.Insert(ctx, bob, c, []byte(`{"_id":"d1","n":1}`)); err != nil {
					t.Fatal(err)
				}
			}
			key := bob
			key.Collections = []string{"inside"}
			wantScopedReads(t, s, key)
			wantScopedWrites(t, s, key)
			if _, err := s.Get(ctx, key, "inside", "d1"); err != nil {
				t.Fatalf("get inside the scope: %v", err)
			}
			if _, err := s.Insert(ctx, key, "inside", []byte(`{"n":2}`)); err != nil {
				t.Fatalf("insert inside the scope: %v", err)
			}
		})
	}
}

func wantScopedReads(t *testing.T, s *docs.Service, p acl.Principals) {
	t.Helper()
	if _, err := s.Get(ctx, p, "outside", "d1"); !errs.Is(err, errs.NotFound) {
		t.Errorf("get outside: %v, want not_found", err)
	}
	if _, err := s.GetVersion(ctx, p, "outside", "d1", 1); !errs.Is(err, errs.NotFound) {
		t.Errorf("get version outside: %v, want not_found", err)
	}
	if res, err := s.Query(ctx, p, "outside", docs.QueryRequest{}); err != nil || len(res.Documents) != 0 {
		t.Errorf("query outside: %d documents, %v; want none", len(res.Documents), err)
	}
	if n, err := s.Count(ctx, p, "outside", nil); err != nil || n != 0 {
		t.Errorf("count outside: %d, %v; want 0", n, err)
	}
	if v, err := s.Distinct(ctx, p, "outside", "n", nil); err != nil || len(v) != 0 {
		t.Errorf("distinct outside: %s, %v; want none", v, err)
	}
	if v, err := s.Aggregate(ctx, p, "outside", json.RawMessage(`[{"$count":"n"}]`)); err != nil || len(v) != 0 {
		t.Errorf("aggregate outside: %s, %v; want none", v, err)
	}
	// A watch from the start of the log sees the insert inside, never the
	// one outside.
	for coll, want := range map[string]int{"inside": 1, "outside": 0} {
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		seen := 0
		who := func(context.Context) (acl.Principals, error) { return p, nil }
		_ = s.Watch(wctx, who, coll, 0, func(docs.Event) error { seen++; return nil })
		cancel()
		if seen != want {
			t.Errorf("watch %s: %d events, want %d", coll, seen, want)
		}
	}
}

func wantScopedWrites(t *testing.T, s *docs.Service, p acl.Principals) {
	t.Helper()
	for what, err := range map[string]error{
		"insert":  func() error { _, err := s.Insert(ctx, p, "outside", []byte(`{"n":2}`)); return err }(),
		"replace": func() error { _, err := s.Replace(ctx, p, "outside", "d1", []byte(`{"n":3}`), 0); return err }(),
		"patch":   func() error { _, err := s.Patch(ctx, p, "outside", "d1", []byte(`{"n":3}`), 0); return err }(),
		"delete":  s.Delete(ctx, p, "outside", "d1", 0),
	} {
		if !errs.Is(err, errs.PermissionDenied) {
			t.Errorf("%s outside: %v, want permission_denied", what, err)
		}
	}
}

// A rights mask caps what the caller holds on every document, admins
// included.
func TestRightsMask(t *testing.T) {
	for name, open := range engines() {
		t.Run(name, func(t *testing.T) {
			s := docs.New(open(t), docs.Options{AutoCreate: true})
			root := acl.NewPrincipals("root", []string{acl.RoleAdmins}, true)
			for _, p := range []acl.Principals{acl.NewPrincipals("bob", nil, true), root} {
				if _, err := s.Insert(ctx, p, "things", []byte(`{"_id":"`+p.User+`"}`)); err != nil {
					t.Fatal(err)
				}
				ro := p
				ro.Mask = acl.Read
				if _, err := s.Get(ctx, ro, "things", p.User); err != nil {
					t.Fatalf("%s read-only get: %v", p.User, err)
				}
				if res, _ := s.Query(ctx, ro, "things", docs.QueryRequest{}); len(res.Documents) == 0 {
					t.Fatalf("%s read-only query found nothing", p.User)
				}
				if _, err := s.Insert(ctx, ro, "things", []byte(`{}`)); !errs.Is(err, errs.PermissionDenied) {
					t.Fatalf("%s read-only insert: %v, want permission_denied", p.User, err)
				}
				if _, err := s.Patch(ctx, ro, "things", p.User, []byte(`{"n":1}`), 0); !errs.Is(err, errs.PermissionDenied) {
					t.Fatalf("%s read-only patch: %v, want permission_denied", p.User, err)
				}
				if err := s.Delete(ctx, ro, "things", p.User, 0); !errs.Is(err, errs.PermissionDenied) {
					t.Fatalf("%s read-only delete: %v, want permission_denied", p.User, err)
				}
				wo := p
				wo.Mask = acl.Update
				if res, _ := s.Query(ctx, wo, "things", docs.QueryRequest{}); len(res.Documents) != 0 {
					t.Fatalf("%s query without the read right found %d documents", p.User, len(res.Documents))
				}
			}
		})
	}
}

package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

var emptyFilter query.Filter

func filter(t *testing.T, raw string) query.Filter {
	t.Helper()
	f, err := query.ParseFilter([]byte(raw), query.DefaultLimits())
	if err != nil {
		t.Fatalf("parse filter %s: %v", raw, err)
	}
	return f
}

func sortKeys(t *testing.T, raw string) []query.SortKey {
	t.Helper()
	k, err := query.ParseSort([]byte(raw), query.DefaultLimits())
	if err != nil {
		t.Fatalf("parse sort %s: %v", raw, err)
	}
	return k
}

// seed inserts n documents: i, group i%3, and a readable-by list that
// alternates between alice only and everyone.
func seed(t *testing.T, s store.Store, n int) {
	t.Helper()
	mustCollection(t, s, "items")
	err := s.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			d := newDoc("items", fmt.Sprintf("i%03d", i), map[string]any{"i": i, "group": fmt.Sprintf("g%d", i%3)}, "alice")
			if i%2 == 0 {
				d.ACL = append(d.ACL, acl.Entry{ID: acl.RoleUsers, Rights: acl.Read})
			}
			if _, err := tx.Insert(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ids(docs []store.Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func testFind(t *testing.T, s store.Store) {
	seed(t, s, 30)
	docs, err := s.Find(ctx, "items", bob, store.Find{Filter: filter(t, `{"group":"g0"}`), Sort: sortKeys(t, `{"i":-1}`), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	// bob reads only even i; g0 is i%3 == 0: 0, 6, 12, 18, 24.
	if want := []string{"i024", "i018", "i012", "i006", "i000"}; !slices.Equal(ids(docs), want) {
		t.Fatalf("bob's g0 docs = %v, want %v", ids(docs), want)
	}
	docs, err = s.Find(ctx, "items", alice, store.Find{Filter: filter(t, `{"i":{"$lt":4}}`), Limit: 100})
	if err != nil || !slices.Equal(ids(docs), []string{"i000", "i001", "i002", "i003"}) {
		t.Fatalf("alice's i<4 = %v, %v", ids(docs), err)
	}
	nobody := acl.NewPrincipals("nobody", nil, true)
	nobody.IDs = []string{"nobody"} // not even in the users role
	if docs, err := s.Find(ctx, "items", nobody, store.Find{Limit: 100}); err != nil || len(docs) != 0 {
		t.Fatalf("nobody's docs = %v, %v", ids(docs), err)
	}
	if _, err := s.Find(ctx, "bad'name", alice, store.Find{Limit: 10}); errs.CodeOf(err) != errs.InvalidArgument {
		t.Fatalf("find in an invalid collection name: %v", err)
	}
}

func testFindPages(t *testing.T, s store.Store) {
	seed(t, s, 25)
	keys := sortKeys(t, `{"group":1,"i":-1}`)
	all, err := s.Find(ctx, "items", alice, store.Find{Sort: keys, Limit: 100})
	if err != nil || len(all) != 25 {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	// Pages read with MetaOnly, as queries answered as stored read them:
	// the cursor still finds the sort keys through Map.
	var paged []store.Doc
	var after *query.Cursor
	for range 10 {
		page, err := s.Find(ctx, "items", alice, store.Find{Sort: keys, Limit: 4, After: after, MetaOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if len(page) < 4 {
			break
		}
		last := page[len(page)-1]
		c := query.CursorAfter(keys, last.Map(), last.ID)
		after = &c
	}
	if !slices.Equal(ids(paged), ids(all)) {
		t.Fatalf("paged = %v\nwant    %v", ids(paged), ids(all))
	}
	for i, d := range paged {
		got, _ := d.JSON()
		want, _ := all[i].JSON()
		if d.Fields != nil || string(got) != string(want) || d.Version != all[i].Version || len(d.ACL) != len(all[i].ACL) {
			t.Fatalf("MetaOnly result %s (fields %v), want %s", got, d.Fields, want)
		}
	}
}

func testCountDistinctAggregate(t *testing.T, s store.Store) {
	seed(t, s, 30)
	for _, tc := range []struct {
		p    acl.Principals
		want int64
	}{{alice, 30}, {bob, 15}, {admin, 30}} {
		n, err := s.Count(ctx, "items", tc.p, emptyFilter)
		if err != nil || n != tc.want {
			t.Fatalf("count for %s = %d, %v; want %d", tc.p.User, n, err, tc.want)
		}
	}
	if n, _ := s.Count(ctx, "items", bob, filter(t, `{"group":"g1"}`)); n != 5 {
		t.Fatalf("bob's g1 count = %d, want 5", n)
	}
	vals, err := s.Distinct(ctx, "items", bob, query.MustPath("group"), filter(t, `{"i":{"$lt":3}}`), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vals {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Fatalf("distinct value %s: %v", v, err)
		}
		got = append(got, s)
	}
	// bob reads i 0 and 2 of i<3: groups g0 and g2.
	if !slices.Equal(got, []string{"g0", "g2"}) {
		t.Fatalf("bob's distinct groups = %v", got)
	}
	p, err := query.ParsePipeline([]byte(`[{"$group":{"_id":"$group","n":{"$sum":1}}},{"$sort":{"_id":1}}]`), query.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Aggregate(ctx, "items", bob, p)
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		ID string  `json:"_id"`
		N  float64 `json:"n"`
	}
	for _, r := range rows {
		var v struct {
			ID string  `json:"_id"`
			N  float64 `json:"n"`
		}
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatalf("aggregate row %s: %v", r, err)
		}
		res = append(res, v)
	}
	if len(res) != 3 || res[0].ID != "g0" || res[0].N != 5 || res[1].N != 5 || res[2].N != 5 {
		t.Fatalf("bob's groups = %+v, want g0..g2 with 5 each", res)
	}
}

// testReadPredicate checks deny-wins and role membership inside queries.
func testReadPredicate(t *testing.T, s store.Store) {
	mustCollection(t, s, "c")
	docs := []struct {
		id  string
		acl acl.List
	}{
		{"staff-only", acl.List{{ID: "staff", Rights: acl.Read}}},
		{"users-but-not-bob", acl.List{{ID: acl.RoleUsers, Rights: acl.Read}, {ID: "bob", Rights: acl.Read, Deny: true}}},
		{"users-deny-staff-update", acl.List{{ID: acl.RoleUsers, Rights: acl.Read}, {ID: "staff", Rights: acl.Update, Deny: true}}},
		{"alice-update-only", acl.List{{ID: "alice", Rights: acl.Update}}},
	}
	for _, d := range docs {
		doc := newDoc("c", d.id, nil, "root")
		doc.ACL = d.acl
		insert(t, s, doc)
	}
	for _, tc := range []struct {
		p    acl.Principals
		want []string
	}{
		{alice, []string{"users-but-not-bob", "users-deny-staff-update"}},
		{bob, []string{"staff-only", "users-deny-staff-update"}},
		{admin, []string{"alice-update-only", "staff-only", "users-but-not-bob", "users-deny-staff-update"}},
		{acl.NewPrincipals("root", []string{acl.RoleAdmins}, false), []string{"users-but-not-bob", "users-deny-staff-update"}},
	} {
		got, err := s.Find(ctx, "c", tc.p, store.Find{Limit: 10})
		if err != nil || !slices.Equal(ids(got), tc.want) {
			t.Fatalf("%s (bypass %v) reads %v, %v; want %v", tc.p.User, tc.p.Bypass, ids(got), err, tc.want)
		}
	}
}

func testIndexes(t *testing.T, s store.Store) {
	seed(t, s, 10)
	write := func(fn func(tx store.Tx) error) error { return s.Write(ctx, fn) }
	ix := store.Index{Collection: "items", Name: "by_group", Fields: []query.Path{query.MustPath("group"), query.MustPath("i")}}
	if err := write(func(tx store.Tx) error { return tx.CreateIndex(ix) }); err != nil {
		t.Fatalf("create index: %v", err)
	}
	if err := write(func(tx store.Tx) error { return tx.CreateIndex(ix) }); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate index: %v, want ErrExists", err)
	}
	list, err := s.Indexes(ctx, "items")
	if err != nil || len(list) != 1 || list[0].Name != "by_group" || len(list[0].Fields) != 2 || list[0].Fields[1].String() != "i" {
		t.Fatalf("indexes = %+v, %v", list, err)
	}
	// Queries keep working with the index in place.
	if n, _ := s.Count(ctx, "items", admin, filter(t, `{"group":"g1"}`)); n != 3 {
		t.Fatalf("count with index = %d, want 3", n)
	}
	bad := store.Index{Collection: "items", Name: "x'; DROP TABLE documents; --", Fields: []query.Path{query.MustPath("a")}}
	if err := write(func(tx store.Tx) error { return tx.CreateIndex(bad) }); errs.CodeOf(err) != errs.InvalidArgument {
		t.Fatalf("index with a hostile name: %v", err)
	}
	if err := write(func(tx store.Tx) error { return tx.DropIndex("items", "by_group") }); err != nil {
		t.Fatal(err)
	}
	if err := write(func(tx store.Tx) error { return tx.DropIndex("items", "by_group") }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second drop: %v, want ErrNotFound", err)
	}
	if list, _ := s.Indexes(ctx, "items"); len(list) != 0 {
		t.Fatalf("indexes after drop = %+v", list)
	}
}

func testUniqueIndex(t *testing.T, s store.Store) {
	mustCollection(t, s, "u")
	insert(t, s, newDoc("u", "a", map[string]any{"email": "a@x"}, "alice"))
	insert(t, s, newDoc("u", "b", map[string]any{"email": "b@x"}, "alice"))
	ix := store.Index{Collection: "u", Name: "email", Fields: []query.Path{query.MustPath("email")}, Unique: true}
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.CreateIndex(ix) }); err != nil {
		t.Fatal(err)
	}
	_, err := tryInsert(s, newDoc("u", "c", map[string]any{"email": "a@x"}, "alice"))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate unique value on insert: %v, want ErrExists", err)
	}
	// A refused update leaves the transaction usable for the next write.
	err = s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Update("u", "b", func(d store.Doc) (store.Doc, error) {
			d.Fields["email"] = "a@x"
			return d, nil
		})
		if !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("duplicate unique value on update: %v, want ErrExists", err)
		}
		_, err = tx.Insert(newDoc("u", "d", map[string]any{"email": "d@x"}, "alice"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Get(ctx, "u", "b"); d.Fields["email"] != "b@x" || d.Version != 1 {
		t.Fatalf("refused update changed b: %+v", d)
	}
	if _, err := s.Get(ctx, "u", "d"); err != nil {
		t.Fatalf("write after a refused update was lost: %v", err)
	}
	insert(t, s, newDoc("u", "e", map[string]any{"name": "dup"}, "alice"))
	insert(t, s, newDoc("u", "f", map[string]any{"name": "dup"}, "alice"))
	ix2 := store.Index{Collection: "u", Name: "name", Fields: []query.Path{query.MustPath("name")}, Unique: true}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.CreateIndex(ix2) })
	if errs.CodeOf(err) != errs.FailedPrecondition {
		t.Fatalf("unique index over duplicates: %v, want failed_precondition", err)
	}
	if list, _ := s.Indexes(ctx, "u"); len(list) != 1 {
		t.Fatalf("the refused index was registered: %+v", list)
	}
}

package query

import (
	"encoding/base64"
	"sort"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

// sortSpecs cover missing and null values, mixed types, nested paths,
// descending keys, several keys and _id.
var sortSpecs = []string{
	`{"a": 1}`,
	`{"a": -1}`,
	`{"b": 1}`,
	`{"b": -1}`,
	`{"n.x": 1}`,
	`{"n.x": -1, "b": 1}`,
	`{"flag": 1, "a": -1}`,
	`{"flag": -1, "b": -1}`,
	`{"tags.0": 1}`,
	`{"s": -1}`,
	`{"_id": -1}`,
	`{"flag": 1, "_id": -1}`,
	`{"nope": 1}`,
}

// goOrder sorts docs with CompareDocs.
func goOrder(keys []SortKey, docs []testDoc) []string {
	sorted := append([]testDoc(nil), docs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return CompareDocs(keys, sorted[i].m, sorted[i].id, sorted[j].m, sorted[j].id) < 0
	})
	out := make([]string, len(sorted))
	for i, d := range sorted {
		out[i] = d.id
	}
	return out
}

func sqlOrder(t testing.TB, e engine, keys []SortKey) []string {
	b := NewBuilder(e.d).S("SELECT d.id FROM docs d ")
	CompileOrderBy(b, keys, "d.body", "d.id")
	return queryStrings(t, e, b)
}

func TestSortDifferential(t *testing.T) {
	docs := fixtureDocs(t)
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for _, spec := range sortSpecs {
			keys, err := ParseSort([]byte(spec), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sqlOrder(t, e, keys), goOrder(keys, docs); !equalStrings(got, want) {
				t.Errorf("%s\n  %s: %v\n  Go:     %v", spec, e.name, got, want)
			}
		}
	})
}

// TestSortOrderExpected pins the cross-type order itself.
func TestSortOrderExpected(t *testing.T) {
	docs := makeDocs(t, []string{
		`{"v": true}`, `{"v": "b"}`, `{"v": [1]}`, `{"v": 2}`, `{}`, `{"v": {"x": 1}}`,
		`{"v": false}`, `{"v": null}`, `{"v": "B"}`, `{"v": -1.5}`, `{"v": []}`, `{"v": 10}`,
	})
	keys := []SortKey{{Path: MustPath("v")}}
	want := []string{"d05", "d08", "d10", "d04", "d12", "d09", "d02", "d06", "d03", "d11", "d07", "d01"}
	if got := goOrder(keys, docs); !equalStrings(got, want) {
		t.Fatalf("ascending: got %v, want %v", got, want)
	}
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		if got := sqlOrder(t, e, keys); !equalStrings(got, want) {
			t.Errorf("ascending: got %v, want %v", got, want)
		}
		desc := []SortKey{{Path: MustPath("v"), Desc: true}}
		if got, want := sqlOrder(t, e, desc), goOrder(desc, docs); !equalStrings(got, want) {
			t.Errorf("descending: got %v, want %v", got, want)
		}
	})
}

// TestKeysetPagination pages through every sort with small pages, through
// Encode and DecodeCursor, and expects the full order.
func TestKeysetPagination(t *testing.T) {
	docs := fixtureDocs(t)
	byID := map[string]testDoc{}
	for _, d := range docs {
		byID[d.id] = d
	}
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for _, spec := range append(sortSpecs, `{}`) {
			keys, err := ParseSort([]byte(spec), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			want := goOrder(keys, docs)
			for _, size := range []int{1, 3, 7} {
				if got := pageThrough(t, e, keys, size, byID); !equalStrings(got, want) {
					t.Errorf("%s by %d\n  got:  %v\n  want: %v", spec, size, got, want)
				}
			}
		}
	})
}

func pageThrough(t *testing.T, e engine, keys []SortKey, size int, byID map[string]testDoc) []string {
	var out []string
	var after *Cursor
	for page := 0; page < 100; page++ {
		b := NewBuilder(e.d).S("SELECT d.id FROM docs d WHERE ")
		if after == nil {
			b.S("1 = 1")
		} else {
			CompileAfter(b, keys, *after, "d.body", "d.id")
		}
		b.S(" ")
		CompileOrderBy(b, keys, "d.body", "d.id")
		b.S(" LIMIT ").Param(size)
		ids := queryStrings(t, e, b)
		out = append(out, ids...)
		if len(ids) < size {
			return out
		}
		last := byID[ids[len(ids)-1]]
		c, err := DecodeCursor(CursorAfter(keys, last.m, last.id).Encode(), keys)
		if err != nil {
			t.Fatalf("decode cursor: %v", err)
		}
		after = &c
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestCursorRoundTrip(t *testing.T) {
	keys := []SortKey{{Path: MustPath("a")}, {Path: MustPath("n.x"), Desc: true}, {Path: MustPath("o")}, {Path: MustPath("_id")}}
	doc := decodeDoc(t, `{"a": "x'y", "n": {"x": 2.5}, "o": {"deep": [1, 2]}}`)
	c := CursorAfter(keys, doc, "id-1")
	got, err := DecodeCursor(c.Encode(), keys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`"x'y"`, `2.5`, `{}`, `"id-1"`}
	for i, v := range got.Values {
		if string(v) != want[i] {
			t.Errorf("value %d: got %s, want %s", i, v, want[i])
		}
	}
	if got.ID != "id-1" {
		t.Errorf("id: got %q", got.ID)
	}
	missing := CursorAfter(keys, map[string]any{}, "id-2")
	if string(missing.Values[0]) != "null" {
		t.Errorf("missing value: got %s, want null", missing.Values[0])
	}
}

func TestCursorWithoutKeys(t *testing.T) {
	for _, c := range []Cursor{{ID: "x"}, CursorAfter(nil, map[string]any{"a": 1}, "x")} {
		got, err := DecodeCursor(c.Encode(), nil)
		if err != nil || got.ID != "x" || len(got.Values) != 0 {
			t.Errorf("%+v: got %+v, %v", c, got, err)
		}
	}
}

func TestDecodeCursorHostile(t *testing.T) {
	keys := []SortKey{{Path: MustPath("a")}}
	idKeys := []SortKey{{Path: MustPath("_id")}}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		in   string
		keys []SortKey
	}{
		{"", keys},
		{"!!!not base64", keys},
		{enc(`garbage`), keys},
		{enc(`[]`), keys},
		{enc(`{"v": [1]}`), keys},
		{enc(`{"v": [1], "id": ""}`), keys},
		{enc(`{"v": [1, 2], "id": "x"}`), keys},
		{enc(`{"v": [], "id": "x"}`), keys},
		{enc(`{"v": [1], "id": 5}`), keys},
		{enc(`{"v": [1], "id": "x", "extra": 1}`), keys},
		{enc(`{"v": [1e999], "id": "x"}`), keys},
		{enc(`{"v": [1], "id": "x"} trailing`), keys},
		{enc(`{"v": [1], "id": "x\u0000"}`), keys},
		{enc(`{"v": [1], "id": "x"}`), idKeys},
		{enc("{\"v\": [\"\xff\"], \"id\": \"x\"}"), keys},
		{enc(`{"v": [[[[[[1]]]]]], "id": "x"}`), keys},
		{string(make([]byte, 200000)), keys},
	}
	for _, c := range cases {
		if _, err := DecodeCursor(c.in, c.keys); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%.60q: got %v, want invalid_argument", c.in, err)
		}
	}
}

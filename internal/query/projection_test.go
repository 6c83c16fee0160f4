package query

import (
	"encoding/json"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

func TestProjectionApply(t *testing.T) {
	doc := `{"_id": "x", "_type": "note", "a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "s", "g": {"h": {"i": 1}}}`
	cases := []struct{ spec, want string }{
		{``, doc},
		{`{}`, doc},
		{`{"a": 1}`, `{"_id": "x", "a": 1}`},
		{`{"a": 1, "b.c": 1}`, `{"_id": "x", "a": 1, "b": {"c": 2}}`},
		{`{"a": true, "_id": 0}`, `{"a": 1}`},
		{`{"_id": 1}`, `{"_id": "x"}`},
		{`{"missing": 1, "f.x": 1, "g.h.z": 1}`, `{"_id": "x", "g": {"h": {}}}`},
		{`{"_type": 1}`, `{"_id": "x", "_type": "note"}`},
		{`{"a": 0}`, `{"_id": "x", "_type": "note", "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "s", "g": {"h": {"i": 1}}}`},
		{`{"b.c": 0, "g.h.i": 0, "e": false}`, `{"_id": "x", "_type": "note", "a": 1, "b": {"d": 3}, "f": "s", "g": {"h": {}}}`},
		{`{"_id": 0}`, `{"_type": "note", "a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "s", "g": {"h": {"i": 1}}}`},
		{`{"_id": 0, "_type": 0, "f.x": 0}`, `{"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2], "f": "s", "g": {"h": {"i": 1}}}`},
	}
	for _, c := range cases {
		p, err := ParseProjection([]byte(c.spec), DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		in := decodeDoc(t, doc)
		got := p.Apply(in)
		if !sameJSON(any(got), decodeAny(t, c.want)) {
			b, _ := json.Marshal(got)
			t.Errorf("%s: got %s, want %s", c.spec, b, c.want)
		}
		if !sameJSON(any(in), decodeAny(t, doc)) {
			t.Errorf("%s: Apply changed its input", c.spec)
		}
	}
}

func TestParseProjectionHostile(t *testing.T) {
	bad := []string{
		`[]`, `1`, `"a"`, `{"a": 1, "b": 0}`, `{"a": 2}`, `{"a": "1"}`, `{"a": null}`, `{"a": {"b": 1}}`,
		`{"a": 1, "a.b": 1}`, `{"a.b": 0, "a": 0}`, `{"$a": 1}`, `{"a'); --": 1}`, `{"a..b": 1}`,
		`{"tags.0": 1}`, `{"a": 1, "a": 1}`, "{\"\xff\": 1}", `{"_id": 1, "a": 0}`,
	}
	for _, in := range bad {
		if _, err := ParseProjection([]byte(in), DefaultLimits()); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%s: got %v, want invalid_argument", in, err)
		}
	}
}

// TestMatchGoNumbers checks Match on documents decoded without UseNumber.
func TestMatchGoNumbers(t *testing.T) {
	doc := map[string]any{"a": 2.0, "b": int64(3), "c": []any{1, 2.5}, "d": map[string]any{"e": 1}}
	cases := map[string]bool{
		`{"a": 2}`:                          true,
		`{"a": {"$gt": 1.5}}`:               true,
		`{"b": 3}`:                          true,
		`{"b": {"$in": [1, 3]}}`:            true,
		`{"c": [1, 2.5]}`:                   true,
		`{"c.1": {"$lt": 3}}`:               true,
		`{"d": {"e": 1.0}}`:                 true,
		`{"a": "2"}`:                        false,
		`{"c": {"$elemMatch": {"$gt": 2}}}`: true,
	}
	for in, want := range cases {
		f, err := ParseFilter([]byte(in), DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(doc); got != want {
			t.Errorf("%s: got %v, want %v", in, got, want)
		}
	}
}

func TestValueExpr(t *testing.T) {
	docs := makeDocs(t, []string{`{"a": {"b": 1}}`, `{"a": {"b": null}}`, `{"a": 1}`, `{"tags": 5}`, `{"tags": ["x"]}`})
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for _, c := range []struct{ path, want string }{
			{"a.b", `1 null - - -`},
			{"tags.0", `- - - - "x"`},
			{"a", `{"b":1} {"b":null} 1 - -`},
		} {
			b := NewBuilder(e.d).S("SELECT COALESCE(CAST(", ValueExpr(e.d, "d.body", MustPath(c.path)), " AS TEXT), '-') FROM docs d ORDER BY d.id")
			got := queryStrings(t, e, b)
			want := splitFields(c.want)
			for i := range got {
				if got[i] != "-" {
					got[i] = compactJSON(t, got[i])
				}
			}
			if !equalStrings(got, want) {
				t.Errorf("%s: got %v, want %v", c.path, got, want)
			}
		}
	})
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' {
			out, cur = append(out, cur), ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

func compactJSON(t *testing.T, s string) string {
	b, err := json.Marshal(decodeAny(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

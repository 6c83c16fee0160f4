package query

import (
	"context"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

// FuzzQueryCompile parses raw filters; whatever parses must compile for
// both dialects and run on SQLite with the same answer as Match, and
// whatever does not must fail with a typed invalid_argument error.
func FuzzQueryCompile(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `{"a": 1}`, `{"a": {"$gt": 1, "$lt": "z"}}`, `{"a": null}`,
		`{"$or": [{"a": {"$in": [1, "x", null, true]}}, {"b": {"$exists": false}}]}`,
		`{"$nor": [{"tags.0": "red"}]}`, `{"s": {"$regex": "^h.*o$", "$options": "im"}}`,
		`{"items": {"$elemMatch": {"name": "bolt", "qty": {"$gte": 2}}}}`,
		`{"nums": {"$elemMatch": {"$not": {"$lt": 3}}}}`, `{"a": {"$not": {"$regex": "\\d"}}}`,
		`{"a": [1, 2]}`, `{"a": {"k": 1}}`, `{"$where": "1"}`, `{"a'); DROP TABLE docs; --": 1}`,
		`{"a": {"$regex": "("}}`, "{\"a\": \"\xff\"}", `{"a": 1e999}`, `[1]`,
		`{"a": {"$in": [[1]]}}`, `{"$and": [{"$or": [{"$nor": [{"a": {"$ne": 1}}]}]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	docs := fixtureDocs(f)
	e := sqliteEngine(f, docs)
	f.Fuzz(func(t *testing.T, raw []byte) {
		flt, err := ParseFilter(raw, DefaultLimits())
		if err != nil {
			if errs.CodeOf(err) != errs.InvalidArgument {
				t.Fatalf("%q: untyped or unexpected error %v", raw, err)
			}
			return
		}
		for _, d := range []Dialect{SQLite, Postgres} {
			b := NewBuilder(d)
			flt.Compile(b, "d.body")
			checkPlaceholders(t, d, b)
		}
		if got, want := fuzzIDs(t, e, flt), matchIDs(flt, docs); !equalStrings(got, want) {
			t.Fatalf("%s: sqlite %v, Match %v", raw, got, want)
		}
	})
}

func fuzzIDs(t *testing.T, e engine, f Filter) []string {
	b := NewBuilder(e.d).S("SELECT d.id FROM docs d WHERE ")
	f.Compile(b, "d.body")
	b.S(" ORDER BY d.id")
	rows, err := e.db.QueryContext(context.Background(), b.SQL(), b.Args()...)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, b.SQL())
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query: %v\n%s", err, b.SQL())
	}
	return out
}

// checkPlaceholders counts placeholders against bound arguments.
func checkPlaceholders(t *testing.T, d Dialect, b *Builder) {
	n := strings.Count(b.SQL(), "?")
	if d == Postgres {
		n = 0
		for i := range b.Args() {
			if strings.Contains(b.SQL(), "$"+itoa(i+1)) {
				n++
			}
		}
	}
	if n != len(b.Args()) {
		t.Fatalf("%s: %d placeholders for %d arguments: %s", d, n, len(b.Args()), b.SQL())
	}
}

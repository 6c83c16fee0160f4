package query

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

// The property tests generate random filters over the fixture documents and
// require SQLite (and PostgreSQL, when configured) to agree with Match.

var propPaths = []string{"a", "b", "n", "n.x", "n.y", "n.z.deep", "tags", "tags.0", "tags.1", "items", "items.0.qty", "nums", "flag", "s", "nope", "a.k", "a.0"}

var propRegexes = []string{"^a", "e$", "an", "^$", "\\d", "^[A-Z]", "(?i)apple", "l+", "o.w", "\\bw", "^h.*d$", "[^a-z]"}

// propValues are the scalars and whole values filters compare with: every
// value at a generated path in the fixtures, plus a few of their own.
func propValues(docs []testDoc) []any {
	vals := []any{json.Number("0"), json.Number("1"), json.Number("-1"), json.Number("2.5"), json.Number("1000"),
		"", "red", "apple", "zz", "A", true, false, nil}
	for _, d := range docs {
		for _, p := range propPaths {
			if v, ok := resolve(d.m, MustPath(p)); ok {
				vals = append(vals, v)
			}
		}
	}
	return vals
}

type filterGen struct {
	vals    []any
	scalars []any
	ordered []any // numbers and strings
}

func newFilterGen(docs []testDoc) *filterGen {
	g := &filterGen{vals: propValues(docs)}
	for _, v := range g.vals {
		switch kindOf(v) {
		case kNumber, kString:
			g.ordered = append(g.ordered, v)
			g.scalars = append(g.scalars, v)
		case kNull, kBool:
			g.scalars = append(g.scalars, v)
		}
	}
	return g
}

func (g *filterGen) filter(t *rapid.T, depth int) map[string]any {
	if depth < 2 && rapid.IntRange(0, 3).Draw(t, "logical") == 0 {
		op := rapid.SampledFrom([]string{"$and", "$or", "$nor"}).Draw(t, "op")
		n := rapid.IntRange(1, 3).Draw(t, "n")
		kids := make([]any, n)
		for i := range kids {
			kids[i] = g.filter(t, depth+1)
		}
		return map[string]any{op: kids}
	}
	out := map[string]any{}
	for i, n := 0, rapid.IntRange(1, 2).Draw(t, "fields"); i < n; i++ {
		out[rapid.SampledFrom(propPaths).Draw(t, "path")] = g.condition(t, depth)
	}
	return out
}

// condition is what follows a field name: a value or an operator map.
func (g *filterGen) condition(t *rapid.T, depth int) any {
	if rapid.IntRange(0, 4).Draw(t, "implicit") == 0 {
		return g.literal(t)
	}
	ops := map[string]any{}
	for i, n := 0, rapid.IntRange(1, 2).Draw(t, "ops"); i < n; i++ {
		op, v := g.operator(t, depth)
		ops[op] = v
	}
	return ops
}

func (g *filterGen) literal(t *rapid.T) any {
	v := rapid.SampledFrom(g.vals).Draw(t, "value")
	if m, ok := v.(map[string]any); ok && hasDollarKey(m) {
		return nil
	}
	return v
}

func hasDollarKey(m map[string]any) bool {
	for k := range m {
		if len(k) > 0 && k[0] == '$' {
			return true
		}
	}
	return false
}

func (g *filterGen) operator(t *rapid.T, depth int) (string, any) {
	switch op := rapid.SampledFrom([]string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$elemMatch", "$not"}).Draw(t, "operator"); op {
	case "$eq", "$ne":
		return op, g.literal(t)
	case "$gt", "$gte", "$lt", "$lte":
		return op, rapid.SampledFrom(g.ordered).Draw(t, "bound")
	case "$in", "$nin":
		return op, rapid.SliceOfN(rapid.SampledFrom(g.scalars), 0, 4).Draw(t, "list")
	case "$exists":
		return op, rapid.Bool().Draw(t, "exists")
	case "$regex":
		return op, rapid.SampledFrom(propRegexes).Draw(t, "regex")
	case "$elemMatch":
		if rapid.Bool().Draw(t, "elemDoc") {
			return op, map[string]any{rapid.SampledFrom([]string{"name", "qty", "c"}).Draw(t, "elemField"): g.condition(t, depth+1)}
		}
		inner, v := g.scalarOperator(t)
		return op, map[string]any{inner: v}
	default:
		inner, v := g.scalarOperator(t)
		return op, map[string]any{inner: v}
	}
}

func (g *filterGen) scalarOperator(t *rapid.T) (string, any) {
	switch op := rapid.SampledFrom([]string{"$eq", "$gt", "$lte", "$in", "$regex", "$exists"}).Draw(t, "inner"); op {
	case "$eq":
		return op, rapid.SampledFrom(g.scalars).Draw(t, "v")
	case "$gt", "$lte":
		return op, rapid.SampledFrom(g.ordered).Draw(t, "v")
	case "$in":
		return op, rapid.SliceOfN(rapid.SampledFrom(g.scalars), 1, 3).Draw(t, "v")
	case "$regex":
		return op, rapid.SampledFrom(propRegexes).Draw(t, "v")
	default:
		return op, rapid.Bool().Draw(t, "v")
	}
}

func TestFilterProperty(t *testing.T) {
	docs := fixtureDocs(t)
	engines := []engine{sqliteEngine(t, docs)}
	if pg, ok := optionalPostgres(t, docs); ok {
		engines = append(engines, pg)
	}
	gen := newFilterGen(docs)
	rapid.Check(t, func(rt *rapid.T) {
		for i := 0; i < 5; i++ {
			raw, err := json.Marshal(gen.filter(rt, 0))
			if err != nil {
				rt.Fatal(err)
			}
			f, err := ParseFilter(raw, DefaultLimits())
			if err != nil {
				rt.Fatalf("parse %s: %v", raw, err)
			}
			want := matchIDs(f, docs)
			for _, e := range engines {
				if got := filterIDs(t, e, f); !equalStrings(got, want) {
					rt.Fatalf("%s\n  %s: %v\n  Match:  %v", raw, e.name, got, want)
				}
			}
		}
	})
}

package query

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

var orderObjects = []string{
	`{"customer": "ann", "amount": 10, "status": "paid", "items": ["a", "b"], "region": {"c": "eu"}}`,
	`{"customer": "bob", "amount": 5.5, "status": "paid", "region": {"c": "us"}}`,
	`{"customer": "ann", "amount": 20, "status": "open", "region": {"c": "eu"}}`,
	`{"customer": "cat", "amount": "n/a", "status": "void"}`,
	`{"customer": "bob", "status": "open", "region": {"c": "us"}}`,
	`{"customer": null, "amount": 7, "status": "paid"}`,
	`{"amount": 3, "status": "paid"}`,
	`{"customer": "ann", "amount": 1.5, "status": "paid", "region": {"c": "us"}}`,
}

var pipelineCases = []struct{ pipeline, want string }{
	{`[{"$match": {"status": "paid"}}, {"$group": {"_id": "$customer", "total": {"$sum": "$amount"}, "n": {"$sum": 1}}}, {"$sort": {"total": -1}}]`,
		`[{"_id": "ann", "total": 11.5, "n": 2}, {"_id": null, "total": 10, "n": 2}, {"_id": "bob", "total": 5.5, "n": 1}]`},
	{`[{"$group": {"_id": null, "avg": {"$avg": "$amount"}, "min": {"$min": "$amount"}, "max": {"$max": "$amount"}, "c": {"$count": {}}}}]`,
		`[{"_id": null, "avg": 7.833333333333333, "min": 1.5, "max": "n/a", "c": 8}]`},
	{`[{"$group": {"_id": {"c": "$customer", "s": "$status"}, "n": {"$sum": 1}}}, {"$sort": {"_id.c": 1, "_id.s": 1}}]`,
		`[{"_id": {"c": null, "s": "paid"}, "n": 2}, {"_id": {"c": "ann", "s": "open"}, "n": 1}, {"_id": {"c": "ann", "s": "paid"}, "n": 2},
		  {"_id": {"c": "bob", "s": "open"}, "n": 1}, {"_id": {"c": "bob", "s": "paid"}, "n": 1}, {"_id": {"c": "cat", "s": "void"}, "n": 1}]`},
	{`[{"$match": {"customer": "ann"}}, {"$sort": {"amount": 1}}, {"$group": {"_id": "$customer", "all": {"$push": "$amount"}, "items": {"$push": "$items"}}}]`,
		`[{"_id": "ann", "all": [1.5, 10, 20], "items": [["a", "b"]]}]`},
	{`[{"$sort": {"amount": -1}}, {"$limit": 3}, {"$project": {"customer": 1, "amount": 1, "_id": 0}}]`,
		`[{"customer": "cat", "amount": "n/a"}, {"customer": "ann", "amount": 20}, {"customer": "ann", "amount": 10}]`},
	{`[{"$match": {"status": "open"}}, {"$count": "open"}]`, `[{"open": 2}]`},
	{`[{"$match": {"status": "nope"}}, {"$count": "n"}]`, `[]`},
	{`[{"$match": {"customer": {"$in": ["cat", null]}}}, {"$project": {"who": "$customer", "c": "$region.c", "region.c": 1}}]`,
		`[{"_id": "d04", "who": "cat"}, {"_id": "d06", "who": null}, {"_id": "d07"}]`},
	{`[{"$match": {"customer": "ann"}}, {"$project": {"who": "$customer", "c": "$region.c", "region.c": 1}}, {"$limit": 1}]`,
		`[{"_id": "d01", "who": "ann", "c": "eu", "region": {"c": "eu"}}]`},
	{`[{"$match": {"_id": "d02"}}, {"$project": {"region": 0, "status": 0}}]`,
		`[{"_id": "d02", "customer": "bob", "amount": 5.5}]`},
	{`[{"$match": {"_id": "d02"}}, {"$project": {"_id": 0, "region.c": 0}}]`,
		`[{"customer": "bob", "amount": 5.5, "status": "paid", "region": {}}]`},
	{`[{"$group": {"_id": "$region.c", "n": {"$sum": 1}, "first": {"$min": "$customer"}, "last": {"$max": "$customer"}}}]`,
		`[{"_id": null, "n": 3, "first": "cat", "last": "cat"}, {"_id": "eu", "n": 2, "first": "ann", "last": "ann"}, {"_id": "us", "n": 3, "first": "ann", "last": "bob"}]`},
	{`[{"$match": {"amount": {"$gt": 100}}}, {"$group": {"_id": null, "n": {"$sum": 1}}}]`, `[]`},
	{`[{"$sort": {"customer": 1, "amount": -1}}, {"$limit": 4}, {"$project": {"_id": 1}}]`,
		`[{"_id": "d06"}, {"_id": "d07"}, {"_id": "d03"}, {"_id": "d01"}]`},
	{`[{"$group": {"_id": "$status", "n": {"$sum": 1}}}, {"$match": {"n": {"$gte": 2}}}, {"$sort": {"n": -1, "_id": 1}}]`,
		`[{"_id": "paid", "n": 5}, {"_id": "open", "n": 2}]`},
	{`[{"$group": {"_id": "$status", "sum": {"$sum": "$missing"}, "avg": {"$avg": "$missing"}, "m": {"$max": "$missing"}, "p": {"$push": "$missing"}}}, {"$limit": 1}]`,
		`[{"_id": "open", "sum": 0, "avg": null, "m": null, "p": []}]`},
	{`[]`, ``},
}

func TestPipelineExpected(t *testing.T) {
	docs := makeDocs(t, orderObjects)
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for _, c := range pipelineCases {
			got := runPipeline(t, e, c.pipeline, allDocs, 1000)
			want := c.want
			if want == "" { // the empty pipeline returns the documents by _id
				want = bodiesJSON(docs)
			}
			if !sameJSON(got, decodeAny(t, want)) {
				t.Errorf("%s\n  %s: %s\n  want: %s", c.pipeline, e.name, mustJSON(got), want)
			}
		}
	})
}

// TestPipelineDifferential runs pipelines over the main fixtures and
// compares the engines with each other.
func TestPipelineDifferential(t *testing.T) {
	pipelines := []string{
		`[{"$group": {"_id": "$a", "n": {"$sum": 1}, "s": {"$sum": "$n.x"}, "mn": {"$min": "$b"}, "mx": {"$max": "$n.x"}, "p": {"$push": "$b"}}}]`,
		`[{"$group": {"_id": "$flag", "n": {"$count": {}}, "avg": {"$avg": "$a"}}}]`,
		`[{"$group": {"_id": "$tags.0", "n": {"$sum": 1}}}]`,
		`[{"$group": {"_id": {"f": "$flag", "t": "$n.y"}, "ids": {"$push": "$_id"}}}]`,
		`[{"$match": {"a": {"$type": 1}}}]`,
		`[{"$sort": {"a": -1, "b": 1}}, {"$limit": 10}, {"$project": {"a": 1, "n.x": 1}}]`,
		`[{"$match": {"b": {"$regex": "a"}}}, {"$sort": {"s": 1}}, {"$project": {"s": 0, "items": 0, "n": 0}}]`,
		`[{"$sort": {"n.x": 1}}, {"$group": {"_id": null, "xs": {"$push": "$n.x"}, "lo": {"$min": "$n"}, "hi": {"$max": "$tags"}}}]`,
		`[{"$project": {"first": "$tags.0", "deep": "$n.z.deep"}}, {"$match": {"first": {"$exists": true}}}, {"$count": "n"}]`,
	}
	docs := fixtureDocs(t)
	results := map[string][]any{}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var e engine
			if name == "sqlite" {
				e = sqliteEngine(t, docs)
			} else {
				e = postgresEngine(t, docs)
			}
			for i, p := range pipelines {
				if _, err := ParsePipeline([]byte(p), DefaultLimits()); err != nil {
					continue // the $type case is refused, which the hostile test checks
				}
				got := runPipeline(t, e, p, allDocs, 1000)
				if len(got) == 0 {
					t.Errorf("%s: no rows", p)
				}
				key := fmt.Sprint(i)
				if prev, ok := results[key]; ok && !sameJSON(got, prev) {
					t.Errorf("%s\n  postgres: %s\n  sqlite:   %s", p, mustJSON(got), mustJSON(prev))
				}
				results[key] = got
			}
		})
	}
}

// TestPipelineReadsOnlySource checks that a pipeline sees only what the
// source yields, as the store's access predicate restricts it.
func TestPipelineReadsOnlySource(t *testing.T) {
	docs := makeDocs(t, orderObjects)
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		src := func(b *Builder) {
			b.S("SELECT d.body AS body FROM docs d WHERE d.id <> ").Param("d01").S(" AND d.id <> ").Param("d03")
		}
		got := runPipeline(t, e, `[{"$group": {"_id": "$customer", "n": {"$sum": 1}}}, {"$match": {"_id": "ann"}}]`, src, 1000)
		if !sameJSON(got, decodeAny(t, `[{"_id": "ann", "n": 1}]`)) {
			t.Errorf("got %s", mustJSON(got))
		}
		if got := runPipeline(t, e, `[{"$sort": {"amount": 1}}]`, allDocs, 3); len(got) != 3 {
			t.Errorf("maxRows 3: got %d rows", len(got))
		}
	})
}

// TestPipelineWidestGroup runs a $group with the most fields allowed.
func TestPipelineWidestGroup(t *testing.T) {
	group := func(n int) string {
		s := `{"_id": {`
		for i := 0; i < n; i++ {
			s += fmt.Sprintf(`%s"k%d": "$customer"`, map[bool]string{true: ", "}[i > 0], i)
		}
		s += `}`
		for i := 0; i < n; i++ {
			s += fmt.Sprintf(`, "a%d": {"$max": "$amount"}`, i)
		}
		return `[{"$group": ` + s + `}}, {"$count": "n"}]`
	}
	if _, err := ParsePipeline([]byte(group(maxFields)), DefaultLimits()); errs.CodeOf(err) != errs.InvalidArgument {
		t.Errorf("%d fields: got %v, want invalid_argument", maxFields, err)
	}
	docs := makeDocs(t, orderObjects)
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		got := runPipeline(t, e, group(maxFields-1), allDocs, 10)
		if !sameJSON(got, decodeAny(t, `[{"n": 4}]`)) {
			t.Errorf("got %s", mustJSON(got))
		}
	})
}

func TestParsePipelineHostile(t *testing.T) {
	bad := []string{
		`{}`, `1`, `[1]`, `[{}]`, `[{"$match": {}, "$limit": 1}]`,
		`[{"$lookup": {"from": "users"}}]`, `[{"$unionWith": "users"}]`, `[{"$graphLookup": {}}]`,
		`[{"$out": "x"}]`, `[{"$merge": "x"}]`, `[{"$facet": {}}]`, `[{"$function": {}}]`,
		`[{"$addFields": {"a": 1}}]`, `[{"$match": {"$where": "1"}}]`, `[{"$match": 1}]`,
		`[{"$match": {"a": {"$type": 1}}}]`,
		`[{"$limit": 0}]`, `[{"$limit": -1}]`, `[{"$limit": 100001}]`, `[{"$limit": 1.5}]`, `[{"$limit": "1"}]`,
		`[{"$sort": {}}]`, `[{"$sort": {"a": 2}}]`,
		`[{"$count": ""}]`, `[{"$count": "$x"}]`, `[{"$count": "a.b"}]`, `[{"$count": 1}]`,
		`[{"$project": {}}]`, `[{"$project": {"a": 1, "b": 0}}]`, `[{"$project": {"a": "literal"}}]`,
		`[{"$project": {"a": 2}}]`, `[{"$project": {"a.b": "$c"}}]`, `[{"$project": {"a": 1, "a.b": 1}}]`,
		`[{"$project": {"a": "$$ROOT"}}]`, `[{"$project": {"x": "$a'); DROP TABLE docs; --"}}]`,
		`[{"$project": {"tags.0": 1}}]`,
		`[{"$group": {}}]`, `[{"$group": {"_id": 1}}]`, `[{"$group": {"_id": "a"}}]`,
		`[{"$group": {"_id": null, "n": {"$sum": 2}}}]`, `[{"$group": {"_id": null, "n": {"$first": "$a"}}}]`,
		`[{"$group": {"_id": null, "n": {"$sum": 1, "$avg": "$a"}}}]`, `[{"$group": {"_id": null, "n": 1}}]`,
		`[{"$group": {"_id": null, "$n": {"$sum": 1}}}]`, `[{"$group": {"_id": null, "n": {"$count": 1}}}]`,
		`[{"$group": {"_id": {"a": "b"}}}]`, `[{"$group": {"_id": {}}}]`, `[{"$group": {"_id": null, "n": {"$avg": "a"}}}]`,
		`[` + repeatStage(17) + `]`,
		"[{\"$count\": \"\xff\"}]",
	}
	for _, in := range bad {
		if _, err := ParsePipeline([]byte(in), DefaultLimits()); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%.80s: got %v, want invalid_argument", in, err)
		}
	}
	if _, err := ParsePipeline([]byte(`[`+repeatStage(16)+`]`), DefaultLimits()); err != nil {
		t.Errorf("16 stages: %v", err)
	}
}

func repeatStage(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += `{"$limit": 10}`
	}
	return s
}

func allDocs(b *Builder) { b.S("SELECT d.body AS body FROM docs d") }

func runPipeline(t *testing.T, e engine, pipeline string, source func(*Builder), maxRows int) []any {
	t.Helper()
	p, err := ParsePipeline([]byte(pipeline), DefaultLimits())
	if err != nil {
		t.Fatalf("parse %s: %v", pipeline, err)
	}
	b := NewBuilder(e.d)
	p.Compile(b, source, maxRows)
	rows, err := e.db.QueryContext(context.Background(), b.SQL(), b.Args()...)
	if err != nil {
		t.Fatalf("%s: %s: %v\nSQL: %s", e.name, pipeline, err, b.SQL())
	}
	defer rows.Close()
	out := []any{}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		out = append(out, decodeAny(t, string(body)))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %s: %v", e.name, pipeline, err)
	}
	return out
}

func bodiesJSON(docs []testDoc) string {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, d := range docs {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString(d.body)
	}
	buf.WriteString("]")
	return buf.String()
}

func decodeAny(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// sameJSON compares decoded JSON, numbers by value within float rounding,
// since the engines format averages differently.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return math.Abs(fx-fy) <= 1e-9*math.Max(1, math.Abs(fx))
	}
	return a == b
}

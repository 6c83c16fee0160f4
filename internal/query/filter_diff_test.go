package query

import (
	"strings"
	"testing"
)

// diffFilters are run on SQLite, PostgreSQL and Match, which must agree.
var diffFilters = []string{
	`{}`,
	`{"a": 1}`,
	`{"a": 1.0}`,
	`{"a": 2, "b": "apple"}`,
	`{"a": "1"}`,
	`{"a": true}`,
	`{"a": false}`,
	`{"a": null}`,
	`{"a": [1, 2]}`,
	`{"a": {"k": 1}}`,
	`{"a": {}}`,
	`{"a": []}`,
	`{"n.x": 1}`,
	`{"n.z.deep": true}`,
	`{"n": null}`,
	`{"n": {}}`,
	`{"tags": ["red", "blue"]}`,
	`{"tags": "red"}`,
	`{"tags.0": "red"}`,
	`{"tags.1": "red"}`,
	`{"tags.0.0": "red"}`,
	`{"items.0.name": "bolt"}`,
	`{"a": {"$eq": 2}}`,
	`{"a": {"$ne": 2}}`,
	`{"a": {"$ne": null}}`,
	`{"a": {"$eq": null}}`,
	`{"b": {"$ne": "apple"}}`,
	`{"a": {"$gt": 2}}`,
	`{"a": {"$gte": 2, "$lt": 8}}`,
	`{"a": {"$lte": 0}}`,
	`{"a": {"$lt": -1}}`,
	`{"a": {"$gt": "a"}}`,
	`{"a": {"$lt": "b"}}`,
	`{"b": {"$gte": "a", "$lt": "b"}}`,
	`{"b": {"$gt": "Z"}}`,
	`{"b": {"$lt": "a"}}`,
	`{"n.x": {"$gt": 0}}`,
	`{"a": {"$gt": 1e10}}`,
	`{"a": {"$in": [1, 2, "1"]}}`,
	`{"a": {"$in": [null, 0]}}`,
	`{"a": {"$in": [true, "apple"]}}`,
	`{"a": {"$in": [false]}}`,
	`{"a": {"$in": []}}`,
	`{"a": {"$nin": [1, 2, 3]}}`,
	`{"a": {"$nin": [null]}}`,
	`{"b": {"$in": ["apple", "fig", "nope"]}}`,
	`{"a": {"$exists": true}}`,
	`{"a": {"$exists": false}}`,
	`{"flag": {"$exists": true}}`,
	`{"n.x": {"$exists": true}}`,
	`{"tags.2": {"$exists": true}}`,
	`{"s": {"$regex": "^hello"}}`,
	`{"s": {"$regex": "^hello", "$options": "i"}}`,
	`{"s": {"$regex": "kelvin", "$options": "i"}}`,
	`{"s": {"$regex": "^second", "$options": "m"}}`,
	`{"s": {"$regex": "line$", "$options": "m"}}`,
	`{"s": {"$regex": "line.second"}}`,
	`{"s": {"$regex": "line.second", "$options": "s"}}`,
	`{"s": {"$regex": "\\bcat\\b"}}`,
	`{"s": {"$regex": "\\Bor"}}`,
	`{"s": {"$regex": "\\d+"}}`,
	`{"s": {"$regex": "^\\w+$"}}`,
	`{"s": {"$regex": "[^a-z ]"}}`,
	`{"s": {"$regex": "é|ï"}}`,
	`{"s": {"$regex": "^$"}}`,
	`{"s": {"$regex": "(ab|cd){1,2}c?\\d{3}"}}`,
	`{"s": {"$regex": "\\p{Lu}{3}"}}`,
	`{"b": {"$regex": "^a"}}`,
	`{"a": {"$regex": "1"}}`,
	`{"s": {"$regex": "."}}`,
	`{"s": {"$regex": "[[:upper:]]"}}`,
	`{"tags": {"$elemMatch": {"$eq": "red"}}}`,
	`{"nums": {"$elemMatch": {"$gt": 2, "$lt": 10}}}`,
	`{"nums": {"$elemMatch": {"$in": [0, 100]}}}`,
	`{"tags": {"$elemMatch": {"$regex": "^r"}}}`,
	`{"tags": {"$elemMatch": {"$eq": null}}}`,
	`{"tags": {"$elemMatch": {"$exists": true}}}`,
	`{"tags": {"$elemMatch": {"$elemMatch": {"$eq": "red"}}}}`,
	`{"tags": {"$elemMatch": {"$ne": "red"}}}`,
	`{"items": {"$elemMatch": {"name": "bolt"}}}`,
	`{"items": {"$elemMatch": {"name": "bolt", "qty": {"$gt": 2}}}}`,
	`{"items": {"$elemMatch": {"name": null}}}`,
	`{"items": {"$elemMatch": {"qty": {"$exists": false}}}}`,
	`{"items": {"$elemMatch": {"$or": [{"qty": 0}, {"name": "washer"}]}}}`,
	`{"tags": {"$elemMatch": {"c": "red"}}}`,
	`{"a": {"$not": {"$gt": 2}}}`,
	`{"b": {"$not": {"$regex": "^a"}}}`,
	`{"a": {"$not": {"$in": [1, 2]}, "$exists": true}}`,
	`{"$or": [{"a": 1}, {"b": "fig"}]}`,
	`{"$or": [{"a": {"$gt": 5}}, {"flag": true}], "b": {"$regex": "a"}}`,
	`{"$and": [{"a": {"$gt": 0}}, {"a": {"$lt": 5}}]}`,
	`{"$nor": [{"a": {"$exists": false}}, {"a": null}]}`,
	`{"$nor": [{"a": {"$gt": 0}}, {"b": {"$regex": "e"}}]}`,
	`{"$or": [{"$and": [{"n.x": {"$gte": 1}}, {"n.y": "q"}]}, {"tags.0": "blue"}]}`,
	`{"flag": false}`,
	`{"flag": {"$ne": true}}`,
	`{"nums": [1, 2, 3]}`,
	`{"n.y": {"$in": ["p", "q"]}, "flag": {"$exists": true}}`,
	`{"x": {"$exists": true}, "a": null}`,
	`{"a.k": 1}`,
	`{"a.0": 1}`,
	`{"a.1.0": 2}`,
}

func TestFilterDifferential(t *testing.T) {
	docs := fixtureDocs(t)
	lim := DefaultLimits()
	filters := make([]Filter, len(diffFilters))
	want := make([][]string, len(diffFilters))
	for i, s := range diffFilters {
		f, err := ParseFilter([]byte(s), lim)
		if err != nil {
			t.Fatalf("parse %s: %v", s, err)
		}
		filters[i], want[i] = f, matchIDs(f, docs)
	}
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for i, f := range filters {
			got := filterIDs(t, e, f)
			if !equalStrings(got, want[i]) {
				t.Errorf("%s\n  %s: %v\n  Match:  %v", diffFilters[i], e.name, got, want[i])
			}
		}
	})
}

// TestMatchExpected pins Match itself to hand-checked answers, so the
// differential test cannot pass with all three wrong in the same way.
func TestMatchExpected(t *testing.T) {
	docs := fixtureDocs(t)
	cases := []struct{ filter, want string }{
		{`{"a": 1}`, "d01 d16"},
		{`{"a": "1"}`, "d06"},
		{`{"a": true}`, "d07"},
		{`{"a": null}`, "d09 d10 d33 d34"},
		{`{"a": {"$ne": null}}`, "-d09 -d10 -d33 -d34"},
		{`{"a": [1, 2]}`, "d11"},
		{`{"tags": "red"}`, "d05"},
		{`{"tags.0": "red"}`, "d01 d04 d20 d37"},
		{`{"a": {"$gt": 1e10}}`, "d19"},
		{`{"a": {"$lt": "b"}}`, "d06 d27 d28 d29 d30"},
		{`{"a": {"$in": [null, 0]}}`, "d05 d09 d10 d33 d34"},
		{`{"a": {"$exists": false}}`, "d10 d33 d34"},
		{`{"s": {"$regex": "kelvin", "$options": "i"}}`, "d13 d14"},
		{`{"s": {"$regex": "^second", "$options": "m"}}`, "d11"},
		{`{"s": {"$regex": "line.second"}}`, ""},
		{`{"s": {"$regex": "line.second", "$options": "s"}}`, "d11"},
		{`{"s": {"$regex": "\\bcat\\b"}}`, "d16"},
		{`{"items": {"$elemMatch": {"name": "bolt", "qty": {"$gt": 2}}}}`, "d01 d09"},
		{`{"items": {"$elemMatch": {"name": null}}}`, "d23 d25"},
		{`{"tags": {"$elemMatch": {"$elemMatch": {"$eq": "red"}}}}`, "d08"},
		{`{"nums": {"$elemMatch": {"$gt": 2, "$lt": 10}}}`, "d04 d06 d13 d35 d40"},
		{`{"$nor": [{"a": {"$exists": false}}, {"a": null}]}`, "-d09 -d10 -d33 -d34"},
		{`{"flag": {"$ne": true}}`, "-d01 -d16 -d20 -d35"},
	}
	for _, c := range cases {
		f, err := ParseFilter([]byte(c.filter), DefaultLimits())
		if err != nil {
			t.Fatalf("parse %s: %v", c.filter, err)
		}
		if got, want := matchIDs(f, docs), expandIDs(c.want, docs); !equalStrings(got, want) {
			t.Errorf("%s: got %v, want %v", c.filter, got, want)
		}
	}
}

// expandIDs reads "d01 d02" as those ids, and "-d01 -d02" as every id but
// those.
func expandIDs(s string, docs []testDoc) []string {
	fields := strings.Fields(s)
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "-") {
		return append([]string{}, fields...)
	}
	skip := map[string]bool{}
	for _, f := range fields {
		skip[strings.TrimPrefix(f, "-")] = true
	}
	out := []string{}
	for _, d := range docs {
		if !skip[d.id] {
			out = append(out, d.id)
		}
	}
	return out
}

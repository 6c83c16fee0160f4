package query

import (
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

func TestParseFilterValid(t *testing.T) {
	cases := []struct {
		in    string
		empty bool
	}{
		{``, true},
		{`null`, true},
		{`  {}  `, true},
		{`{"a": 1}`, false},
		{`{"a.b.c": {"$gt": 1, "$lt": 5}}`, false},
		{`{"tags.0": "x"}`, false},
		{`{"_id": "abc", "_type": "note"}`, false},
		{`{"a-b_c": {"$in": [1, "x", null, true]}}`, false},
		{`{"$or": [{"a": 1}, {"$and": [{"b": 2}, {"c": {"$exists": false}}]}]}`, false},
		{`{"$nor": [{}]}`, false},
		{`{"s": {"$regex": "^a.*b$", "$options": "ims"}}`, false},
		{`{"s": {"$not": {"$regex": "x"}}}`, false},
		{`{"items": {"$elemMatch": {"name": "x", "qty": {"$gt": 2}}}}`, false},
		{`{"items": {"$elemMatch": {"$gt": 5}}}`, false},
		{`{"a": {"b": {"$c": 1}}}`, false}, // a literal object compared whole
		{`{"a": {"$in": []}}`, false},
		{`{"a": {"$eq": [1, {"b": [2]}]}}`, false},
	}
	for _, c := range cases {
		f, err := ParseFilter([]byte(c.in), DefaultLimits())
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if f.IsEmpty() != c.empty {
			t.Errorf("%q: IsEmpty = %v", c.in, f.IsEmpty())
		}
	}
}

func nested(n int) string {
	return strings.Repeat(`{"$or": [`, n) + `{"a": 1}` + strings.Repeat(`]}`, n)
}

func bigIn(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = "1"
	}
	return `{"a": {"$in": [` + strings.Join(vals, ",") + `]}}`
}

// hostileFilters must each fail with invalid_argument.
var hostileFilters = []string{
	`{"$where": "this.a == 1"}`,
	`{"$function": {"body": "x"}}`,
	`{"$expr": {"$eq": ["$a", 1]}}`,
	`{"$text": {"$search": "x"}}`,
	`{"$jsonSchema": {}}`,
	`{"$comment": "x"}`,
	`{"a": {"$where": "1"}}`,
	`{"a": {"$foo": 1}}`,
	`{"a": {"$gt": 1, "b": 2}}`,
	`{"$foo": 1}`,
	`{"$eq": 1}`,
	`[]`,
	`[{"a": 1}]`,
	`"a"`,
	`1`,
	`true`,
	`{"a": 1`,
	`{"a": 1} {"b": 2}`,
	`{"a": 1, "a": 2}`,
	"{\"a\": \"\xff\xfe\"}",
	"{\"\xc3\x28\": 1}",
	`{"a": "x\u0000y"}`,
	`{"a": 1e999}`,
	`{"a'); DROP TABLE docs; --": 1}`,
	`{"a\"b": 1}`,
	`{"a;b": 1}`,
	`{"a b": 1}`,
	`{"a..b": 1}`,
	`{".a": 1}`,
	`{"a.": 1}`,
	`{"": 1}`,
	`{"a.$b": 1}`,
	`{"a.99999999999": 1}`,
	`{"` + strings.Repeat("x", 65) + `": 1}`,
	`{"` + strings.Repeat("a.", 16) + `a": 1}`,
	`{"a": {"$gt": true}}`,
	`{"a": {"$gt": null}}`,
	`{"a": {"$lt": [1]}}`,
	`{"a": {"$gte": {"x": 1}}}`,
	`{"a": {"$in": 1}}`,
	`{"a": {"$in": [[1]]}}`,
	`{"a": {"$nin": [{"x": 1}]}}`,
	`{"a": {"$exists": 1}}`,
	`{"a": {"$exists": "yes"}}`,
	`{"a": {"$regex": 1}}`,
	`{"a": {"$regex": "("}}`,
	`{"a": {"$regex": "a{1000}"}}`,
	`{"a": {"$regex": "a{300}"}}`,
	`{"a": {"$regex": "(?<name>x)\\1"}}`,
	`{"a": {"$regex": "x", "$options": "x"}}`,
	`{"a": {"$regex": "x", "$options": 1}}`,
	`{"a": {"$options": "i"}}`,
	`{"a": {"$regex": "` + strings.Repeat("a", 257) + `"}}`,
	`{"a": {"$not": 1}}`,
	`{"a": {"$not": {}}}`,
	`{"a": {"$not": {"b": 1}}}`,
	`{"a": {"$elemMatch": 1}}`,
	`{"a": {"$elemMatch": {}}}`,
	`{"a": {"$elemMatch": {"$gt": 1, "b": 2}}}`,
	`{"a": {"$elemMatch": {"$where": "1"}}}`,
	`{"a": {"$elemMatch": {"b": {"$where": "1"}}}}`,
	`{"$and": []}`,
	`{"$or": {}}`,
	`{"$or": [1]}`,
	`{"$nor": "x"}`,
	`{"$and": [{"$where": "1"}]}`,
	nested(100),
	nested(8),
	`{"a": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	`{"a": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
	bigIn(1001),
	`{"a": "` + strings.Repeat("x", 70000) + `"}`,
}

func TestParseFilterHostile(t *testing.T) {
	for _, in := range hostileFilters {
		_, err := ParseFilter([]byte(in), DefaultLimits())
		if code := errs.CodeOf(err); code != errs.InvalidArgument {
			t.Errorf("%.80q: got %v (code %q), want invalid_argument", in, err, code)
		}
	}
}

func TestParseFilterNamesOperator(t *testing.T) {
	for _, op := range []string{"$where", "$function", "$expr", "$lookup"} {
		_, err := ParseFilter([]byte(`{"`+op+`": 1}`), DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), op) {
			t.Errorf("%s: error %v does not name the operator", op, err)
		}
	}
}

func TestParseFilterLimits(t *testing.T) {
	lim := Limits{MaxBytes: 100, MaxDepth: 3, MaxNodes: 4, MaxIn: 2, MaxRegex: 3, MaxStages: 1}
	cases := []struct {
		in string
		ok bool
	}{
		{`{"a": 1, "b": 2, "c": 3, "d": 4}`, true},
		{`{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}`, false},
		{`{"a": {"$in": [1, 2]}}`, true},
		{`{"a": {"$in": [1, 2, 3]}}`, false},
		{`{"a": {"$regex": "abc"}}`, true},
		{`{"a": {"$regex": "abcd"}}`, false},
		{`{"$or": [{"$or": [{"a": 1}]}]}`, true},
		{`{"$or": [{"$or": [{"$or": [{"a": 1}]}]}]}`, false},
		{`{"a": [[1]]}`, true},
		{`{"a": [[[1]]]}`, false},
		{`{"a": "` + strings.Repeat("x", 100) + `"}`, false},
	}
	for _, c := range cases {
		_, err := ParseFilter([]byte(c.in), lim)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.in, err)
		}
		if !c.ok && errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%s: got %v, want invalid_argument", c.in, err)
		}
	}
}

func TestParseSort(t *testing.T) {
	keys, err := ParseSort([]byte(`{"b": -1, "a.c": 1, "_id": -1}`), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := []SortKey{{MustPath("b"), true}, {MustPath("a.c"), false}, {MustPath("_id"), true}}
	if len(keys) != len(want) {
		t.Fatalf("got %v", keys)
	}
	for i := range want {
		if keys[i].Path.String() != want[i].Path.String() || keys[i].Desc != want[i].Desc {
			t.Errorf("key %d: got %v, want %v", i, keys[i], want[i])
		}
	}
	for _, empty := range []string{``, `null`, `{}`} {
		if keys, err := ParseSort([]byte(empty), DefaultLimits()); err != nil || len(keys) != 0 {
			t.Errorf("%q: %v %v", empty, keys, err)
		}
	}
	bad := []string{
		`[]`, `1`, `{"a": 2}`, `{"a": 0}`, `{"a": "1"}`, `{"a": true}`, `{"a": 1.0}`,
		`{"a'--": 1}`, `{"$a": 1}`, `{"a": 1, "a": -1}`, `{"a": {"b": 1}}`,
		`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1}`,
		"{\"\xff\": 1}",
	}
	for _, in := range bad {
		if _, err := ParseSort([]byte(in), DefaultLimits()); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%q: got %v, want invalid_argument", in, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	p, err := ParsePath("tags.0.name")
	if err != nil || !p.IsIndex(1) || p.IsIndex(0) || p.IsIndex(2) {
		t.Fatalf("got %v %v", p, err)
	}
	for _, bad := range []string{"", "a..b", "a.", "$a", "a'b", "a b", "a.1234567890"} {
		if _, err := ParsePath(bad); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%q: got %v, want invalid_argument", bad, err)
		}
	}
}

// TestZeroLimitsMeanDefaults checks a Limits left zero still bounds input.
func TestZeroLimitsMeanDefaults(t *testing.T) {
	if _, err := ParseFilter([]byte(`{"a": 1}`), Limits{}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{nested(100), bigIn(1001), `{"a": {"$regex": "` + strings.Repeat("a", 257) + `"}}`} {
		if _, err := ParseFilter([]byte(in), Limits{}); errs.CodeOf(err) != errs.InvalidArgument {
			t.Errorf("%.40s: got %v, want invalid_argument", in, err)
		}
	}
	if _, err := ParsePipeline([]byte(`[`+repeatStage(17)+`]`), Limits{}); errs.CodeOf(err) != errs.InvalidArgument {
		t.Errorf("17 stages: got %v, want invalid_argument", err)
	}
}

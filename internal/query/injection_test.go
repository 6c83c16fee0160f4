package query

import (
	"encoding/json"
	"testing"
)

var injectionStrings = []string{
	`'); DROP TABLE docs; --`,
	`' OR '1'='1`,
	`" OR 1=1 --`,
	`1; DELETE FROM docs`,
	`it's; DROP TABLE docs; --`,
	`$1`, `?`, `%`, `_`, `\`, `'`, `''`, `\'; SELECT pg_sleep(1); --`,
	`) OR 1=1 OR (`, `*/ OR 1=1 /*`, `'::jsonb) OR true --`,
}

// TestInjection sends SQL fragments as values through every operator: they
// match literally, and the table is untouched.
func TestInjection(t *testing.T) {
	docs := fixtureDocs(t)
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		for _, s := range injectionStrings {
			q, _ := json.Marshal(s)
			v := string(q)
			for _, filter := range []string{
				`{"s": ` + v + `}`,
				`{"b": {"$ne": ` + v + `}}`,
				`{"s": {"$gt": ` + v + `}}`,
				`{"s": {"$in": [` + v + `, 1]}}`,
				`{"tags": {"$elemMatch": {"$eq": ` + v + `}}}`,
				`{"items": {"$elemMatch": {"name": ` + v + `}}}`,
				`{"a": [` + v + `]}`,
				`{"a": {"k": ` + v + `}}`,
			} {
				checkInjection(t, e, filter, docs)
			}
			rx, _ := json.Marshal(regexpQuote(s))
			checkInjection(t, e, `{"s": {"$regex": `+string(rx)+`}}`, docs)
		}
	})
}

func checkInjection(t *testing.T, e engine, filter string, docs []testDoc) {
	t.Helper()
	f, err := ParseFilter([]byte(filter), DefaultLimits())
	if err != nil {
		t.Fatalf("%s: %v", filter, err)
	}
	if got, want := filterIDs(t, e, f), matchIDs(f, docs); !equalStrings(got, want) {
		t.Errorf("%s: %s matched %v, Match %v", filter, e.name, got, want)
	}
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM docs`).Scan(&n); err != nil || n != len(docs) {
		t.Fatalf("after %s: count %d, %v", filter, n, err)
	}
}

// TestInjectionMatchesLiterally checks the one fixture holding an injection
// string is found by equality, and only it.
func TestInjectionMatchesLiterally(t *testing.T) {
	docs := fixtureDocs(t)
	f, err := ParseFilter([]byte(`{"s": "it's; DROP TABLE docs; --"}`), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	forEachEngine(t, docs, func(t *testing.T, e engine) {
		if got := filterIDs(t, e, f); !equalStrings(got, []string{"d17"}) {
			t.Errorf("got %v, want [d17]", got)
		}
	})
}

func regexpQuote(s string) string {
	out := ""
	for _, r := range s {
		if r < 0x80 && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ') {
			out += `\`
		}
		out += string(r)
	}
	return out
}

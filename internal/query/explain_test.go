package query

import (
	"context"
	"strings"
	"testing"
)

// indexFilters must be answered from an expression index built with
// IndexExpr: equality, ranges and $in on a top-level path.
var indexFilters = []struct {
	path, filter string
}{
	{"a", `{"a": 5}`},
	{"a", `{"a": "x"}`},
	{"a", `{"a": {"$gt": 5}}`},
	{"a", `{"a": {"$gte": 1, "$lt": 9}}`},
	{"a", `{"a": {"$in": [1, 2, 3]}}`},
	{"n.x", `{"n.x": 5}`},
	{"n.x", `{"n.x": {"$lte": 2}}`},
	{"tags.0", `{"tags.0": "red"}`},
}

func TestIndexUseSQLite(t *testing.T) {
	e := sqliteEngine(t, fixtureDocs(t))
	for i, c := range indexFilters {
		name := "ix_" + itoa(i)
		mustExec(t, e.db, "CREATE INDEX "+name+" ON docs("+IndexExpr(SQLite, "body", MustPath(c.path))+")")
		plan := explain(t, e, "EXPLAIN QUERY PLAN ", c.filter)
		if !strings.Contains(plan, "INDEX "+name) {
			t.Errorf("%s does not use %s:\n%s", c.filter, name, plan)
		}
		mustExec(t, e.db, "DROP INDEX "+name)
	}
}

func TestIndexUsePostgres(t *testing.T) {
	e := postgresEngine(t, fixtureDocs(t))
	e.db.SetMaxOpenConns(1) // keeps enable_seqscan on the one connection
	// A tiny table is cheaper to scan; make the planner show whether it
	// can use the index at all.
	mustExec(t, e.db, "SET enable_seqscan = off")
	for i, c := range indexFilters {
		name := "ix_" + itoa(i)
		mustExec(t, e.db, "CREATE INDEX "+name+" ON docs(("+IndexExpr(Postgres, "body", MustPath(c.path))+"))")
		plan := explain(t, e, "EXPLAIN ", c.filter)
		if !strings.Contains(plan, " "+name) {
			t.Errorf("%s does not use %s:\n%s", c.filter, name, plan)
		}
		mustExec(t, e.db, "DROP INDEX "+name)
	}
}

func explain(t *testing.T, e engine, prefix, filter string) string {
	t.Helper()
	f, err := ParseFilter([]byte(filter), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(e.d).S(prefix, "SELECT d.id FROM docs d WHERE ")
	f.Compile(b, "d.body")
	rows, err := e.db.QueryContext(context.Background(), b.SQL(), b.Args()...)
	if err != nil {
		t.Fatalf("%s: %v", b.SQL(), err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if s, ok := v.(string); ok {
				lines = append(lines, s)
			}
		}
	}
	return strings.Join(lines, "\n")
}

func TestIndexExprShape(t *testing.T) {
	cases := []struct {
		d    Dialect
		path string
		want string
	}{
		{SQLite, "a", `json_extract(body, '$."a"')`},
		{SQLite, "a.b-c.0", `json_extract(body, '$."a"."b-c"[0]')`},
		{Postgres, "a", `(body -> 'a')`},
		{Postgres, "a.b-c.0", `(body -> 'a' -> 'b-c' -> 0)`},
	}
	for _, c := range cases {
		if got := IndexExpr(c.d, "body", MustPath(c.path)); got != c.want {
			t.Errorf("%s %s: got %s, want %s", c.d, c.path, got, c.want)
		}
	}
	// A filter compiled over d.body uses IndexExpr(d.body) verbatim.
	f, _ := ParseFilter([]byte(`{"a.b": 1}`), DefaultLimits())
	for _, d := range []Dialect{SQLite, Postgres} {
		b := NewBuilder(d)
		f.Compile(b, "d.body")
		if want := IndexExpr(d, "d.body", MustPath("a.b")) + " = "; !strings.Contains(b.SQL(), want) {
			t.Errorf("%s: %s lacks %s", d, b.SQL(), want)
		}
	}
}

package query

import "strconv"

// $group runs in up to three CTEs: rqNk adds the group key columns, rqNw
// adds one window column per $min/$max (the first value in sort order, so
// both engines pick the same one), and rqN aggregates.
//
// SQLite groups by (rank, json_extract value), so 1 and 1.0 fall together as
// in PostgreSQL, which groups by jsonb equality. Missing keys group as null.
// Groups come out in the sort order of their keys, ties by first appearance.

func (pc *pipeCompiler) group(st groupStage) {
	prev := pc.cur()
	base := "rq" + strconv.Itoa(pc.n+1)
	pc.b.S(", ", base, "k AS (SELECT t.body AS body, t.ord AS ord")
	for i, f := range st.key {
		pc.keyColumns(i, f.path)
	}
	pc.b.S(" FROM ", prev, " AS t)")
	from := base + "k"
	if hasWindows(st.accs) {
		pc.windows(st, base)
		from = base + "w"
	}
	pc.open()
	pc.b.S("SELECT ")
	pc.groupObject(st)
	pc.b.S(" AS body, ")
	pc.groupTail(st, from)
}

func hasWindows(accs []accumulator) bool {
	for _, a := range accs {
		if a.op == "$min" || a.op == "$max" {
			return true
		}
	}
	return false
}

func col(prefix string, i int) string { return prefix + strconv.Itoa(i) }

func (pc *pipeCompiler) keyColumns(i int, p Path) {
	if pc.b.D == Postgres {
		r := pgDialect{}.child(pgRef{expr: "t.body"}, p).(pgRef)
		pc.b.S(", COALESCE(", r.safe(), ", 'null'::jsonb) AS ", col("k", i))
		return
	}
	c := newSortCol(SQLite, "t.body", p)
	s := c.r.(sqliteRef)
	pc.b.S(", ", c.rank, " AS ", col("kr", i), ", ", s.extract(), " AS ", col("kv", i))
	pc.b.S(", IFNULL(t.body -> ", s.path(), ", 'null') AS ", col("kj", i))
}

// groupCols lists the columns that identify a group.
func (pc *pipeCompiler) groupCols(st groupStage, alias string) []string {
	var out []string
	for i := range st.key {
		if pc.b.D == Postgres {
			out = append(out, alias+"."+col("k", i))
		} else {
			out = append(out, alias+"."+col("kr", i), alias+"."+col("kv", i))
		}
	}
	return out
}

func (pc *pipeCompiler) windows(st groupStage, base string) {
	b := pc.b
	b.S(", ", base, "w AS (SELECT k.*")
	for j, a := range st.accs {
		if a.op != "$min" && a.op != "$max" {
			continue
		}
		c := newSortCol(b.D, "k.body", a.path)
		b.S(", first_value(", pc.jsonValue(c.r), ") OVER (")
		if cols := pc.groupCols(st, "k"); len(cols) > 0 {
			b.S("PARTITION BY ", joinStrings(cols), " ")
		}
		desc := a.op == "$max"
		b.S("ORDER BY (", c.rank, " = 0) ASC, ", c.rank, dir(desc))
		for _, v := range c.vals {
			b.S(", ", v, dir(desc))
		}
		b.S(", k.ord ASC) AS ", col("m", j))
	}
	b.S(" FROM ", base, "k AS k)")
}

// jsonValue is the value at r as JSON (text on SQLite), NULL when missing.
func (pc *pipeCompiler) jsonValue(r ref) string {
	if pc.b.D == Postgres {
		return r.(pgRef).safe()
	}
	s := r.(sqliteRef)
	return s.doc + " -> " + s.path()
}

func joinStrings(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

func (pc *pipeCompiler) groupObject(st groupStage) {
	pc.b.S(pc.objectFunc(), "(").Literal(idField).S(", ")
	pc.groupKeyJSON(st)
	for j, a := range st.accs {
		pc.b.S(", ").Literal(a.name).S(", ")
		pc.accumulate(j, a)
	}
	pc.b.S(")")
}

func (pc *pipeCompiler) groupKeyJSON(st groupStage) {
	switch {
	case len(st.key) == 0:
		pc.b.S(pc.nullJSON())
	case st.key[0].name == "":
		pc.b.S(pc.keyJSON(0))
	default:
		pc.b.S(pc.objectFunc(), "(")
		for i, f := range st.key {
			if i > 0 {
				pc.b.S(", ")
			}
			pc.b.Literal(f.name).S(", ", pc.keyJSON(i))
		}
		pc.b.S(")")
	}
}

func (pc *pipeCompiler) nullJSON() string {
	if pc.b.D == Postgres {
		return "'null'::jsonb"
	}
	return "json('null')"
}

// keyJSON is key column i of a group as a JSON value.
func (pc *pipeCompiler) keyJSON(i int) string {
	if pc.b.D == Postgres {
		return "g." + col("k", i)
	}
	return "json(min(g." + col("kj", i) + "))"
}

func (pc *pipeCompiler) accumulate(j int, a accumulator) {
	if a.op == "$count" {
		pc.b.S("count(*)")
		return
	}
	if pc.b.D == Postgres {
		pc.pgAccumulate(j, a)
	} else {
		pc.sqliteAccumulate(j, a)
	}
}

func (pc *pipeCompiler) sqliteAccumulate(j int, a accumulator) {
	r := sqliteDialect{}.child(sqliteRef{doc: "g.body", suffix: "$"}, a.path).(sqliteRef)
	num := "CASE WHEN " + r.guard(sqliteNumberTypes) + " THEN " + r.extract() + " END"
	switch a.op {
	case "$sum":
		pc.b.S("IFNULL(sum(", num, "), 0)")
	case "$avg":
		pc.b.S("avg(", num, ")")
	case "$min", "$max":
		pc.b.S("json(min(g.", col("m", j), "))")
	case "$push":
		pc.b.S("json(json_group_array(json(", pc.jsonValue(r), ") ORDER BY g.ord) FILTER (WHERE ", r.typ(), " IS NOT NULL))")
	}
}

func (pc *pipeCompiler) pgAccumulate(j int, a accumulator) {
	e := pgDialect{}.child(pgRef{expr: "g.body"}, a.path).(pgRef).safe()
	num := "CASE WHEN jsonb_typeof(" + e + ") = 'number' THEN (" + e + ")::numeric END"
	switch a.op {
	case "$sum":
		pc.b.S("COALESCE(sum(", num, "), 0)")
	case "$avg":
		pc.b.S("avg(", num, ")")
	case "$min", "$max":
		pc.b.S("(array_agg(g.", col("m", j), "))[1]")
	case "$push":
		pc.b.S("COALESCE(jsonb_agg(", e, " ORDER BY g.ord) FILTER (WHERE ", e, " IS NOT NULL), '[]'::jsonb)")
	}
}

// groupTail writes the ordinal, FROM and grouping of the aggregate CTE.
func (pc *pipeCompiler) groupTail(st groupStage, from string) {
	b := pc.b
	if len(st.key) == 0 {
		b.S("1 AS ord FROM ", from, " AS g HAVING count(*) > 0")
		return
	}
	b.S("row_number() OVER (ORDER BY ")
	for i := range st.key {
		c := pc.keySortCol(i)
		b.S(c.rank, " ASC")
		for _, v := range c.vals {
			b.S(", ", v, " ASC")
		}
		b.S(", ")
	}
	b.S("min(g.ord) ASC) AS ord FROM ", from, " AS g GROUP BY ", joinStrings(pc.groupCols(st, "g")))
}

// keySortCol sorts groups by key column i, read back as JSON.
func (pc *pipeCompiler) keySortCol(i int) sortCol {
	if pc.b.D == Postgres {
		return newSortCol(Postgres, "g."+col("k", i), nil)
	}
	return newSortCol(SQLite, "min(g."+col("kj", i)+")", nil)
}

package query

import "strconv"

// Pipeline SQL is one statement of common table expressions, one per stage,
// each with columns body (the document: JSON text on SQLite, jsonb on
// PostgreSQL) and ord (its position). Every stage reads only the one before
// it, and the first reads only the caller's source query, so no stage can
// reach a document the source does not yield. Written in stage order, the
// text also keeps SQLite's positional parameters in order.

// Compile appends one statement that runs the pipeline over the documents
// source yields. source writes a complete "SELECT <json> AS body FROM ...
// WHERE ..." query, access checks included; its documents should carry
// _id, which orders them before the first $sort. The statement returns one
// column, body, in pipeline order, at most maxRows rows.
func (p Pipeline) Compile(b *Builder, source func(b *Builder), maxRows int) {
	pc := &pipeCompiler{b: b}
	b.S("WITH rq0 AS (SELECT src.body AS body, row_number() OVER (ORDER BY ")
	pc.sortTerms([]SortKey{{Path: Path{idField}}}, "src.body")
	b.S(") AS ord FROM (")
	source(b)
	b.S(") AS src)")
	for _, st := range p.stages {
		pc.stage(st)
	}
	b.S(" SELECT t.body AS body FROM ", pc.cur(), " AS t ORDER BY t.ord LIMIT ").Param(max(maxRows, 0))
}

type pipeCompiler struct {
	b *Builder
	n int // index of the latest CTE
}

func (pc *pipeCompiler) cur() string { return "rq" + strconv.Itoa(pc.n) }

// open starts the next CTE and returns the name of the one it reads.
func (pc *pipeCompiler) open() string {
	prev := pc.cur()
	pc.n++
	pc.b.S(", ", pc.cur(), " AS (")
	return prev
}

func (pc *pipeCompiler) stage(st any) {
	switch st := st.(type) {
	case matchStage:
		prev := pc.open()
		pc.b.S("SELECT t.body AS body, t.ord AS ord FROM ", prev, " AS t WHERE ")
		st.f.Compile(pc.b, "t.body")
	case sortStage:
		prev := pc.open()
		pc.b.S("SELECT t.body AS body, row_number() OVER (ORDER BY ")
		pc.sortTerms(st.keys, "t.body")
		pc.b.S(", t.ord ASC) AS ord FROM ", prev, " AS t")
	case limitStage:
		prev := pc.open()
		pc.b.S("SELECT t.body AS body, t.ord AS ord FROM ", prev, " AS t ORDER BY t.ord LIMIT ").Param(st.n)
	case countStage:
		prev := pc.open()
		pc.b.S("SELECT ", pc.objectFunc(), "(").Literal(st.name)
		pc.b.S(", count(*)) AS body, 1 AS ord FROM ", prev, " AS t HAVING count(*) > 0")
	case projectStage:
		pc.project(st)
	case groupStage:
		pc.group(st)
	}
	pc.b.S(")")
}

func (pc *pipeCompiler) objectFunc() string {
	if pc.b.D == Postgres {
		return "jsonb_build_object"
	}
	return "json_object"
}

// sortTerms writes the ORDER BY terms of keys over body; _id here is the
// document field, there being no id column.
func (pc *pipeCompiler) sortTerms(keys []SortKey, body string) {
	for i, k := range keys {
		if i > 0 {
			pc.b.S(", ")
		}
		c := newSortCol(pc.b.D, body, k.Path)
		pc.b.S(c.rank, dir(k.Desc))
		for _, v := range c.vals {
			pc.b.S(", ", v, dir(k.Desc))
		}
	}
}

func (pc *pipeCompiler) project(st projectStage) {
	prev := pc.open()
	pc.b.S("SELECT ")
	if len(st.drop) > 0 {
		pc.dropFields(st.drop, "t.body")
	} else {
		pc.keepFields(projectTree(st), "t.body")
	}
	pc.b.S(" AS body, t.ord AS ord FROM ", prev, " AS t")
}

func (pc *pipeCompiler) dropFields(paths []Path, body string) {
	if pc.b.D == Postgres {
		pc.b.S("(", body)
		for _, p := range paths {
			pc.b.S(" #- ").Literal("{" + joinPath(p, ",") + "}")
		}
		pc.b.S(")")
		return
	}
	pc.b.S("json_remove(", body)
	for _, p := range paths {
		pc.b.S(", ").Literal(sqliteJSONPath("$", p))
	}
	pc.b.S(")")
}

func joinPath(p Path, sep string) string {
	s := ""
	for i, seg := range p {
		if i > 0 {
			s += sep
		}
		s += seg
	}
	return s
}

package query

// outNode is one field of a $project output: a leaf copies the value at
// src, an inner node is an object built from its kids when the input holds
// an object at path.
type outNode struct {
	name string
	src  Path
	path Path
	kids []*outNode
}

func projectTree(st projectStage) []*outNode {
	var roots []*outNode
	if !st.dropID && !st.keepsID() {
		roots = addOutNode(roots, Path{idField}, Path{idField}, nil)
	}
	for _, f := range st.keep {
		roots = addOutNode(roots, f.out, f.src, nil)
	}
	return roots
}

func addOutNode(nodes []*outNode, out, src, prefix Path) []*outNode {
	path := append(append(Path(nil), prefix...), out[0])
	if len(out) == 1 {
		return append(nodes, &outNode{name: out[0], src: src, path: path})
	}
	for _, n := range nodes {
		if n.name == out[0] && n.kids != nil {
			n.kids = addOutNode(n.kids, out[1:], src, path)
			return nodes
		}
	}
	n := &outNode{name: out[0], path: path}
	n.kids = addOutNode(nil, out[1:], src, path)
	return append(nodes, n)
}

// keepFields writes the JSON object holding nodes, taken from body. A
// missing input field is left out of the output, not set to null.
func (pc *pipeCompiler) keepFields(nodes []*outNode, body string) {
	if pc.b.D == Postgres {
		pc.pgObject(nodes, body)
		return
	}
	pc.sqliteObject(nodes, body)
}

// sqliteObject aggregates (key, JSON text) rows, skipping NULL ones, since
// json_object cannot leave a key out.
func (pc *pipeCompiler) sqliteObject(nodes []*outNode, body string) {
	b := pc.b
	b.S("(SELECT json_group_object(p.k, json(p.v)) FROM (")
	for i, n := range nodes {
		if i > 0 {
			b.S(" UNION ALL ")
		}
		b.S("SELECT ").Literal(n.name).S(" AS k, ")
		if n.kids == nil {
			b.S(body, " -> ").Literal(sqliteJSONPath("$", n.src))
		} else {
			b.S("CASE WHEN json_type(", body, ", ").Literal(sqliteJSONPath("$", n.path)).S(") = 'object' THEN ")
			pc.sqliteObject(n.kids, body)
			b.S(" END")
		}
		b.S(" AS v")
	}
	b.S(") AS p WHERE p.v IS NOT NULL)")
}

// pgObject concatenates one-key objects, empty for missing fields.
func (pc *pipeCompiler) pgObject(nodes []*outNode, body string) {
	b := pc.b
	b.S("('{}'::jsonb")
	for _, n := range nodes {
		b.S(" || CASE WHEN ")
		if n.kids == nil {
			r := pgDialect{}.child(pgRef{expr: body}, n.src).(pgRef)
			b.S(r.present(), " THEN jsonb_build_object(").Literal(n.name).S(", ", r.expr, ")")
		} else {
			b.S("jsonb_typeof(", pgPathExpr(body, n.path), ") = 'object' THEN jsonb_build_object(").Literal(n.name).S(", ")
			pc.pgObject(n.kids, body)
			b.S(")")
		}
		b.S(" ELSE '{}'::jsonb END")
	}
	b.S(")")
}

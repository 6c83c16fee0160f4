package query

import (
	"strconv"
	"strings"
)

// IndexExpr is the SQL expression for path p of the JSON document in
// column body: what CREATE INDEX ... ON documents(<IndexExpr>) indexes, and
// what compiled filters compare for equality, ranges and $in on that path.
//
//	SQLite:     json_extract(body, '$."a"."b"[0]')
//	PostgreSQL: (body -> 'a' -> 'b' -> 0)
func IndexExpr(d Dialect, body string, p Path) string {
	if d == Postgres {
		return pgPathExpr(body, p)
	}
	return "json_extract(" + body + ", " + QuoteLiteral(sqliteJSONPath("$", p)) + ")"
}

// sqliteJSONPath appends p to an SQLite JSON path.
func sqliteJSONPath(prefix string, p Path) string {
	var sb strings.Builder
	sb.WriteString(prefix)
	for i, seg := range p {
		if p.IsIndex(i) {
			n, _ := strconv.Atoi(seg)
			sb.WriteString("[" + strconv.Itoa(n) + "]")
		} else {
			sb.WriteString(`."` + seg + `"`)
		}
	}
	return sb.String()
}

// pgPathExpr applies p to a jsonb expression with ->.
func pgPathExpr(base string, p Path) string {
	var sb strings.Builder
	sb.WriteString("(" + base)
	for i, seg := range p {
		sb.WriteString(" -> ")
		if p.IsIndex(i) {
			n, _ := strconv.Atoi(seg)
			sb.WriteString(strconv.Itoa(n))
		} else {
			sb.WriteString(QuoteLiteral(seg))
		}
	}
	sb.WriteString(")")
	return sb.String()
}

// Compile appends f as a boolean SQL expression over the JSON document in
// column (or expression) body. The expression is never NULL, so callers may
// negate it. Caller values become bound parameters.
func (f Filter) Compile(b *Builder, body string) {
	if f.root == nil {
		b.S("1 = 1")
		return
	}
	c := newCompiler(b)
	c.expr(f.root.(expr), c.d.root(body))
}

// ref locates a value inside a document; each dialect has its own kind.
type ref any

// dialect renders the value-level predicates. Every method writes a
// two-valued boolean expression.
type dialect interface {
	root(body string) ref
	child(r ref, p Path) ref
	exists(b *Builder, r ref)
	nullOrMissing(b *Builder, r ref)
	eq(b *Builder, r ref, v value)
	cmp(b *Builder, r ref, op string, v value)
	in(b *Builder, r ref, vals []value)
	regex(b *Builder, r ref, rx *regex)
	// elemMatch writes "some element of the array at r satisfies inner";
	// objects limits it to object elements.
	elemMatch(b *Builder, r ref, alias string, objects bool, inner func(el ref))
}

type compiler struct {
	b     *Builder
	d     dialect
	elems int // nesting of $elemMatch, for unique aliases
}

func newCompiler(b *Builder) *compiler {
	return &compiler{b: b, d: dialectFor(b.D)}
}

func dialectFor(d Dialect) dialect {
	if d == Postgres {
		return pgDialect{}
	}
	return sqliteDialect{}
}

func (c *compiler) expr(e expr, root ref) {
	switch e := e.(type) {
	case andExpr:
		c.joinExprs(e, " AND ", "1 = 1", root)
	case orExpr:
		c.joinExprs(e, " OR ", "1 = 0", root)
	case norExpr:
		c.b.S("NOT ")
		c.joinExprs(e, " OR ", "1 = 0", root)
	case condExpr:
		c.pred(e.p, c.d.child(root, e.path))
	}
}

func (c *compiler) joinExprs(es []expr, op, empty string, root ref) {
	if len(es) == 0 {
		c.b.S("(", empty, ")")
		return
	}
	c.b.S("(")
	for i, e := range es {
		if i > 0 {
			c.b.S(op)
		}
		c.expr(e, root)
	}
	c.b.S(")")
}

func (c *compiler) pred(p pred, r ref) {
	switch p := p.(type) {
	case predAnd:
		c.b.S("(")
		for i, k := range p {
			if i > 0 {
				c.b.S(" AND ")
			}
			c.pred(k, r)
		}
		c.b.S(")")
	case predNot:
		c.b.S("(NOT ")
		c.pred(p.p, r)
		c.b.S(")")
	default:
		c.leaf(p, r)
	}
}

func (c *compiler) leaf(p pred, r ref) {
	switch p := p.(type) {
	case predEq:
		if p.v.kind == kNull {
			c.d.nullOrMissing(c.b, r)
		} else {
			c.d.eq(c.b, r, p.v)
		}
	case predCmp:
		c.d.cmp(c.b, r, p.op, p.v)
	case predIn:
		c.in(p, r)
	case predExists:
		c.exists(p.want, r)
	case predRegex:
		c.d.regex(c.b, r, p.rx)
	case predElem:
		c.elemMatch(r, false, func(el ref) { c.pred(p.p, el) })
	case predElemDoc:
		c.elemMatch(r, true, func(el ref) { c.expr(p.f, el) })
	}
}

func (c *compiler) exists(want bool, r ref) {
	if !want {
		c.b.S("(NOT ")
		defer c.b.S(")")
	}
	c.d.exists(c.b, r)
}

// in splits null out of the list: it matches a missing value, which no
// equality test does.
func (c *compiler) in(p predIn, r ref) {
	var vals []value
	hasNull := false
	for _, v := range p.vals {
		if v.kind == kNull {
			hasNull = true
		} else {
			vals = append(vals, v)
		}
	}
	switch {
	case hasNull && len(vals) > 0:
		c.b.S("(")
		c.d.nullOrMissing(c.b, r)
		c.b.S(" OR ")
		c.d.in(c.b, r, vals)
		c.b.S(")")
	case hasNull:
		c.d.nullOrMissing(c.b, r)
	case len(vals) > 0:
		c.d.in(c.b, r, vals)
	default:
		c.b.S("(1 = 0)")
	}
}

func (c *compiler) elemMatch(r ref, objects bool, inner func(el ref)) {
	c.elems++
	alias := "je" + strconv.Itoa(c.elems)
	c.d.elemMatch(c.b, r, alias, objects, inner)
	c.elems--
}

// splitByKind groups $in values by JSON kind, keeping their order.
func splitByKind(vals []value) map[kind][]value {
	m := map[kind][]value{}
	for _, v := range vals {
		m[v.kind] = append(m[v.kind], v)
	}
	return m
}

// ValueExpr is the value at path p of the JSON document in body, as JSON
// (text on SQLite, jsonb on PostgreSQL), or SQL NULL when it is missing.
// A JSON null is the JSON text null, not SQL NULL.
func ValueExpr(d Dialect, body string, p Path) string {
	if d == Postgres {
		return pgDialect{}.child(pgRef{expr: body}, p).(pgRef).safe()
	}
	return "(" + body + " -> " + QuoteLiteral(sqliteJSONPath("$", p)) + ")"
}

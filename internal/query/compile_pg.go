package query

import "strings"

// PostgreSQL stores documents as jsonb. jsonb equality is already typed
// (1 = 1.0, true <> 1, "1" <> 1), so equality needs no type guard; ranges
// and regexes still need jsonb_typeof. "E IS NOT NULL AND ..." keeps every
// predicate two-valued without hiding E from expression indexes.

type pgRef struct {
	expr string
	// guards hold when every digit segment of the path indexed an array:
	// on a scalar, -> 0 returns the scalar itself.
	guards []string
}

func (r pgRef) present() string {
	return strings.Join(append([]string{r.expr + " IS NOT NULL"}, r.guards...), " AND ")
}

// safe is the value or NULL, usable where an index does not matter.
func (r pgRef) safe() string {
	if len(r.guards) == 0 {
		return r.expr
	}
	return "(CASE WHEN " + strings.Join(r.guards, " AND ") + " THEN " + r.expr + " END)"
}

type pgDialect struct{}

func (pgDialect) root(body string) ref { return pgRef{expr: body} }

func (pgDialect) child(r ref, p Path) ref {
	base := r.(pgRef)
	out := pgRef{expr: pgPathExpr(base.expr, p), guards: base.guards}
	for i := range p {
		if p.IsIndex(i) {
			out.guards = append(out.guards, "jsonb_typeof("+pgPathExpr(base.expr, p[:i])+") = 'array'")
		}
	}
	return out
}

func (pgDialect) exists(b *Builder, r ref) {
	b.S("(", r.(pgRef).present(), ")")
}

func (pgDialect) nullOrMissing(b *Builder, r ref) {
	p := r.(pgRef)
	b.S("(NOT (", p.present(), ") OR ", p.expr, " = 'null'::jsonb)")
}

// pgBind binds a value as canonical JSON text cast to jsonb, which any
// driver sends unchanged.
func pgBind(b *Builder, v value) {
	b.Param(v.json).S("::text::jsonb")
}

func (pgDialect) eq(b *Builder, r ref, v value) {
	p := r.(pgRef)
	b.S("(", p.present(), " AND ", p.expr, " = ")
	pgBind(b, v)
	b.S(")")
}

// cmp compares strings as text in the "C" collation, byte order like
// SQLite and Go, whatever the database's collation is.
func (pgDialect) cmp(b *Builder, r ref, op string, v value) {
	p := r.(pgRef)
	if v.kind == kNumber {
		b.S("(", p.present(), " AND jsonb_typeof(", p.expr, ") = 'number' AND ", p.expr, " ", sqlOp(op), " ")
		pgBind(b, v)
		b.S(")")
		return
	}
	b.S("(", p.present(), " AND jsonb_typeof(", p.expr, ") = 'string' AND (", p.expr, " #>> '{}') COLLATE \"C\" ", sqlOp(op), " ")
	b.Param(v.v.(string)).S(")")
}

func (pgDialect) in(b *Builder, r ref, vals []value) {
	p := r.(pgRef)
	b.S("(", p.present(), " AND ", p.expr, " IN (")
	for i, v := range vals {
		if i > 0 {
			b.S(", ")
		}
		pgBind(b, v)
	}
	b.S("))")
}

func (pgDialect) regex(b *Builder, r ref, rx *regex) {
	p := r.(pgRef)
	b.S("(", p.present(), " AND jsonb_typeof(", p.expr, ") = 'string' AND (", p.expr, " #>> '{}') ~ ")
	b.Param(rx.pg).S(")")
}

// elemMatch feeds jsonb_array_elements an empty array unless the value is
// an array, since it raises an error on anything else.
func (pgDialect) elemMatch(b *Builder, r ref, alias string, objects bool, inner func(el ref)) {
	p := r.(pgRef)
	b.S("EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN ", p.present(), " AND jsonb_typeof(", p.expr,
		") = 'array' THEN ", p.expr, " ELSE '[]'::jsonb END) AS ", alias, "(v) WHERE ")
	if objects {
		b.S("jsonb_typeof(", alias, ".v) = 'object' AND ")
	}
	inner(pgRef{expr: alias + ".v"})
	b.S(")")
}

package query

// SQLite stores documents as JSON text. json_extract gives SQL values that
// lose the JSON type (true is 1, an array is text), so every comparison is
// paired with a json_type guard. Guards are wrapped in IFNULL so a missing
// value yields false, never NULL: guard AND comparison is then two-valued,
// because the comparison is only NULL when the guard is false.

type sqliteRef struct {
	doc    string // SQL expression of the JSON document
	base   string // SQL expression of a JSON path, or "" for a constant path
	suffix string // constant JSON path text appended to base
}

// path is the SQL expression of the JSON path.
func (r sqliteRef) path() string {
	switch {
	case r.base == "":
		return QuoteLiteral(r.suffix)
	case r.suffix == "":
		return r.base
	}
	return r.base + " || " + QuoteLiteral(r.suffix)
}

func (r sqliteRef) typ() string     { return "json_type(" + r.doc + ", " + r.path() + ")" }
func (r sqliteRef) extract() string { return "json_extract(" + r.doc + ", " + r.path() + ")" }

// guard is the two-valued test that the value has one of the JSON types.
func (r sqliteRef) guard(types string) string {
	return "IFNULL(" + r.typ() + ", '') IN (" + types + ")"
}

const sqliteNumberTypes = "'integer', 'real'"

// sqliteTypes lists the json_type names of a value kind.
func sqliteTypes(v value) string {
	switch v.kind {
	case kNumber:
		return sqliteNumberTypes
	case kString:
		return "'text'"
	case kArray:
		return "'array'"
	case kObject:
		return "'object'"
	case kBool:
		if v.v.(bool) {
			return "'true'"
		}
		return "'false'"
	}
	return "'null'"
}

type sqliteDialect struct{}

func (sqliteDialect) root(body string) ref { return sqliteRef{doc: body, suffix: "$"} }

func (sqliteDialect) child(r ref, p Path) ref {
	s := r.(sqliteRef)
	s.suffix = sqliteJSONPath(s.suffix, p)
	return s
}

func (sqliteDialect) exists(b *Builder, r ref) {
	b.S("(", r.(sqliteRef).typ(), " IS NOT NULL)")
}

func (sqliteDialect) nullOrMissing(b *Builder, r ref) {
	b.S("(IFNULL(", r.(sqliteRef).typ(), ", 'null') = 'null')")
}

func (sqliteDialect) eq(b *Builder, r ref, v value) {
	s := r.(sqliteRef)
	b.S("(", s.guard(sqliteTypes(v)), " AND ", s.extract(), " = ")
	sqliteBind(b, v)
	b.S(")")
}

// sqliteBind binds v as json_extract returns it: booleans as 1 or 0 (a
// constant, not caller text), containers as canonical JSON text.
func sqliteBind(b *Builder, v value) {
	switch v.kind {
	case kNumber:
		b.Param(v.num.bind())
	case kString:
		b.Param(v.v.(string))
	case kBool:
		if v.v.(bool) {
			b.S("1")
		} else {
			b.S("0")
		}
	default:
		b.Param(v.json)
	}
}

func (sqliteDialect) cmp(b *Builder, r ref, op string, v value) {
	s := r.(sqliteRef)
	b.S("(", s.guard(sqliteTypes(v)), " AND ", s.extract(), " ", sqlOp(op), " ")
	sqliteBind(b, v)
	b.S(")")
}

func sqlOp(op string) string {
	switch op {
	case "$gt":
		return ">"
	case "$gte":
		return ">="
	case "$lt":
		return "<"
	}
	return "<="
}

func (sqliteDialect) in(b *Builder, r ref, vals []value) {
	s := r.(sqliteRef)
	kinds := splitByKind(vals)
	var groups [][]value
	for _, k := range []kind{kNumber, kString, kBool} {
		groups = append(groups, sqliteInGroups(k, kinds[k])...)
	}
	b.S("(")
	for i, g := range groups {
		if i > 0 {
			b.S(" OR ")
		}
		b.S("(", s.guard(sqliteTypes(g[0])), " AND ", s.extract(), " IN (")
		for j, v := range g {
			if j > 0 {
				b.S(", ")
			}
			sqliteBind(b, v)
		}
		b.S("))")
	}
	b.S(")")
}

// sqliteInGroups splits values sharing one json_type guard: all numbers,
// all strings, and each boolean on its own (true and false differ in type).
func sqliteInGroups(k kind, vals []value) [][]value {
	if len(vals) == 0 {
		return nil
	}
	if k != kBool {
		return [][]value{vals}
	}
	var out [][]value
	for _, want := range []bool{true, false} {
		for _, v := range vals {
			if v.v.(bool) == want {
				out = append(out, []value{v})
				break
			}
		}
	}
	return out
}

func (sqliteDialect) regex(b *Builder, r ref, rx *regex) {
	s := r.(sqliteRef)
	b.S("(", s.guard("'text'"), " AND ", SQLiteRegexpFunc, "(")
	b.Param(rx.pattern).S(", ").Param(rx.flags)
	b.S(", ", s.extract(), ") = 1)")
}

// elemMatch uses CASE so json_each only ever walks an array: SQLite does
// not promise to evaluate AND operands in order.
func (sqliteDialect) elemMatch(b *Builder, r ref, alias string, objects bool, inner func(el ref)) {
	s := r.(sqliteRef)
	b.S("(CASE WHEN ", s.guard("'array'"), " THEN EXISTS (SELECT 1 FROM json_each(", s.doc, ", ", s.path(), ") AS ", alias, " WHERE ")
	if objects {
		b.S(alias, ".type = 'object' AND ")
	}
	inner(sqliteRef{doc: s.doc, base: s.path() + " || '[' || " + alias + ".key || ']'"})
	b.S(") ELSE 0 END)")
}

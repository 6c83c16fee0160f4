package query

import (
	"strconv"
	"strings"
)

// Dialect selects the SQL flavour a statement is compiled for.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// Builder accumulates one SQL statement and its bound arguments. Every value
// that came from a caller goes through Param; only identifiers that passed a
// strict grammar (collection names, field paths) are written as literals, by
// Literal.
type Builder struct {
	D    Dialect
	sb   strings.Builder
	args []any
}

// NewBuilder starts an empty statement for d.
func NewBuilder(d Dialect) *Builder { return &Builder{D: d} }

// S appends raw SQL text written by Rampart itself.
func (b *Builder) S(parts ...string) *Builder {
	for _, p := range parts {
		b.sb.WriteString(p)
	}
	return b
}

// Param appends a placeholder bound to v.
func (b *Builder) Param(v any) *Builder {
	b.args = append(b.args, v)
	if b.D == Postgres {
		b.sb.WriteByte('$')
		b.sb.WriteString(strconv.Itoa(len(b.args)))
	} else {
		b.sb.WriteByte('?')
	}
	return b
}

// Params appends a comma-separated placeholder list bound to vs.
func (b *Builder) Params(vs ...any) *Builder {
	for i, v := range vs {
		if i > 0 {
			b.sb.WriteString(", ")
		}
		b.Param(v)
	}
	return b
}

// Literal appends s as a quoted SQL string literal. Callers pass only
// identifiers that already passed a strict grammar; doubling quotes is
// defence in depth, not the protection.
func (b *Builder) Literal(s string) *Builder {
	b.sb.WriteString(QuoteLiteral(s))
	return b
}

// SQL is the statement text so far.
func (b *Builder) SQL() string { return b.sb.String() }

// Args are the bound values in placeholder order.
func (b *Builder) Args() []any { return b.args }

// QuoteLiteral renders s as an SQL string literal valid on both dialects.
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

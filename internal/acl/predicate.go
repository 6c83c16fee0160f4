package acl

import (
	"strconv"

	"rampart.dev/rampart/internal/query"
)

// SideTable is the table that mirrors every document's ACL, one row per
// (collection, doc_id, principal, deny), so access checks are index lookups.
const SideTable = "doc_acl"

// Predicate appends a boolean SQL expression that holds when p has the single
// right want on the document whose collection and id columns are doc.collection
// and doc.id: some allow entry for one of p's principals grants it and no deny
// entry for one of them withholds it. Bypassing admins get a
// tautology. A caller with no principals, or whose Mask leaves out want,
// matches nothing.
func Predicate(b *query.Builder, p Principals, want Right, doc string) {
	if p.Mask != 0 && !p.Mask.Has(want) {
		b.S("1 = 0")
		return
	}
	if p.Bypass {
		b.S("1 = 1")
		return
	}
	if want == 0 || want&(want-1) != 0 {
		panic("acl: Predicate takes exactly one right")
	}
	if len(p.IDs) == 0 {
		b.S("1 = 0")
		return
	}
	b.S("(EXISTS (")
	entries(b, p, want, doc, false)
	b.S(") AND NOT EXISTS (")
	entries(b, p, want, doc, true)
	b.S("))")
}

func entries(b *query.Builder, p Principals, want Right, doc string, deny bool) {
	flag := "0"
	if deny {
		flag = "1"
	}
	b.S("SELECT 1 FROM ", SideTable, " a WHERE a.collection = ", doc, ".collection AND a.doc_id = ", doc,
		".id AND a.deny = ", flag, " AND (a.rights & ", strconv.Itoa(int(want)), ") <> 0")
	principalIn(b, p.IDs)
}

func principalIn(b *query.Builder, ids []string) {
	if b.D == query.Postgres {
		b.S(" AND a.principal = ANY(").Param(ids).S(")")
		return
	}
	// The unary plus keeps SQLite from probing the primary key once per
	// principal: scanning the document's few entries and testing each is
	// several times cheaper per row.
	b.S(" AND +a.principal IN (")
	for i, id := range ids {
		if i > 0 {
			b.S(", ")
		}
		b.Param(id)
	}
	b.S(")")
}

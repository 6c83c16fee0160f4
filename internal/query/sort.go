package query

import (
	"encoding/json"
	"fmt"
)

// SortKey orders by one path.
type SortKey struct {
	Path Path
	Desc bool
}

// idField is the sort key that orders by the id column.
const idField = "_id"

func (k SortKey) isID() bool { return len(k.Path) == 1 && k.Path[0] == idField }

// ParseSort parses {"path": 1 | -1, ...}; key order is sort order. Empty
// input and null give no keys.
func ParseSort(raw []byte, lim Limits) ([]SortKey, error) {
	if emptyInput(raw) {
		return nil, nil
	}
	if err := checkRaw(raw, lim.orDefaults().MaxBytes, "sort"); err != nil {
		return nil, err
	}
	v, err := decodeJSON(raw, 2, "sort")
	if err != nil || v == nil {
		return nil, err
	}
	return parseSortValue(v)
}

func parseSortValue(v any) ([]SortKey, error) {
	obj, ok := v.(object)
	if !ok {
		return nil, invalid("sort must be a JSON object")
	}
	if len(obj) > MaxSortKeys {
		return nil, invalid("sort has more than %d keys", MaxSortKeys)
	}
	keys := make([]SortKey, 0, len(obj))
	for _, m := range obj {
		p, err := ParsePath(m.Key)
		if err != nil {
			return nil, err
		}
		n, _ := m.Value.(json.Number)
		if n != "1" && n != "-1" {
			return nil, invalid("sort direction of %.64q must be 1 or -1", m.Key)
		}
		keys = append(keys, SortKey{Path: p, Desc: n == "-1"})
	}
	return keys, nil
}

// Sort order, the same on both engines and in CompareDocs: missing and null
// first, then numbers by value, strings by bytes, objects, arrays, and
// booleans (false first). Objects and arrays tie among themselves. Descending
// reverses all of it. Ties fall to the id, ascending.

const (
	sqliteRank = "CASE json_type(%[1]s) WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2 " +
		"WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END"
	pgRank = "CASE jsonb_typeof(%[1]s) WHEN 'number' THEN 1 WHEN 'string' THEN 2 " +
		"WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'boolean' THEN 5 ELSE 0 END"
)

// sortCol is how one path sorts: by rank, then by the values.
type sortCol struct {
	rank string
	vals []string
	r    ref
}

func newSortCol(d Dialect, body string, p Path) sortCol {
	r := dialectFor(d).child(dialectFor(d).root(body), p)
	if d == Postgres {
		e := r.(pgRef).safe()
		return sortCol{r: r, rank: fmt.Sprintf(pgRank, e), vals: []string{
			"CASE WHEN jsonb_typeof(" + e + ") IN ('number', 'boolean') THEN " + e + " END",
			"(CASE WHEN jsonb_typeof(" + e + ") = 'string' THEN " + e + " #>> '{}' END) COLLATE \"C\"",
		}}
	}
	s := r.(sqliteRef)
	args := s.doc + ", " + s.path()
	return sortCol{r: r, rank: fmt.Sprintf(sqliteRank, args), vals: []string{
		"CASE WHEN " + s.typ() + " IN ('object', 'array') THEN NULL ELSE " + s.extract() + " END",
	}}
}

// idTerm is the id column compared by bytes on both engines. On PostgreSQL
// declare the column COLLATE "C" so this order can use its index.
func idTerm(d Dialect, id string) string {
	if d == Postgres {
		return id + ` COLLATE "C"`
	}
	return id
}

func dir(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

// CompileOrderBy appends "ORDER BY ..." for keys over the JSON document in
// body, ending with the id column ascending as tie-breaker. An _id key
// orders by the id column.
func CompileOrderBy(b *Builder, keys []SortKey, body, id string) {
	b.S("ORDER BY ")
	for _, k := range keys {
		writeSortTerms(b, k, body, id)
		b.S(", ")
	}
	b.S(idTerm(b.D, id), " ASC")
}

func writeSortTerms(b *Builder, k SortKey, body, id string) {
	if k.isID() {
		b.S(idTerm(b.D, id), dir(k.Desc))
		return
	}
	c := newSortCol(b.D, body, k.Path)
	b.S(c.rank, dir(k.Desc))
	for _, v := range c.vals {
		b.S(", ", v, dir(k.Desc))
	}
}

// CompareDocs orders two documents as CompileOrderBy does: negative when a
// comes first. Documents may omit _id; the ids are passed apart.
func CompareDocs(keys []SortKey, a map[string]any, aID string, b map[string]any, bID string) int {
	for _, k := range keys {
		var c int
		if k.isID() {
			c = cmpOrdered(aID, bID)
		} else {
			va, _ := resolve(a, k.Path)
			vb, _ := resolve(b, k.Path)
			c = compareSortValues(va, vb)
		}
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmpOrdered(aID, bID)
}

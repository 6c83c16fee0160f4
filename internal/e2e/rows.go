package e2e

import (
	"fmt"
	"slices"
	"strings"
)

// Row is one caller x document x verb. Its steps run in order; the last one
// is what the row is about, earlier ones set the stage or look at effects.
type Row struct {
	User, Doc, Verb string // the subtest path
	Steps           []Step
}

// Step is one call and what must come of it.
type Step struct {
	As   string // caller name; asAdmin for the admin surface
	Call Call
	Want Want
}

// asAdmin runs a step on the admin surface as root.
const asAdmin = "admin"

// Call verbs: each maps to one Caller (or Admin) method.
const (
	vInsert     = "insert"
	vGet        = "get"
	vVersion    = "version"
	vQuery      = "query"
	vCount      = "count"
	vDistinct   = "distinct"
	vAggregate  = "aggregate"
	vReplace    = "replace"
	vPatch      = "patch"
	vDelete     = "delete"
	vWatch      = "watch"
	vSetMembers = "set-members"
)

// Call is a transport-agnostic request. ID and Members may name a principal
// as "@name", which resolves to its id.
type Call struct {
	Verb     string
	Coll, ID string
	Version  int64
	Body     map[string]any
	ACL      []Ace // when non-nil, sent as the body's _acl
	Filter   any
	Field    string
	Pipeline any
	Members  []string
}

// Want is what a step must return. Nil and zero fields are not checked,
// except Code, where "" means success. Besides these, every refused write
// must leave its document as it was, every allowed one must move it on, and
// every not_found read must look exactly like one of a missing document.
type Want struct {
	Code    string
	IDs     []string // as a set; []string{} for none
	Values  []string // canonical JSON, as a set
	Count   *int64
	Events  []string // "op id vN", in order
	Version int64
	ACL     []Ace // the returned document's _acl, as a set
	// NoCollection must not exist after the step.
	NoCollection string
}

// Error codes (DESIGN.md section 4).
const (
	codeOK       = ""
	codeInvalid  = "invalid_argument"
	codeDenied   = "permission_denied"
	codeNotFound = "not_found"
)

func count(n int) *int64 { v := int64(n); return &v }

// AllRows is every row for one setting of the admins' bypass.
func AllRows(bypass bool) []Row {
	rows := MatrixRows(bypass)
	rows = append(rows, EscapeRows(bypass)...)
	rows = append(rows, SystemRows()...)
	rows = append(rows, GrantRows(bypass)...)
	rows = append(rows, MembershipRows()...)
	return rows
}

// MatrixRows are the caller x document x verb rows over Docs, plus the
// caller x collection rows (query, count, distinct, aggregate, watch).
func MatrixRows(bypass bool) []Row {
	var rows []Row
	for _, user := range Callers {
		rows = append(rows, collectionRows(user, bypass)...)
		for _, d := range Docs {
			rows = append(rows, docRows(user, d, bypass)...)
		}
	}
	return rows
}

func single(user, doc, verb string, call Call, want Want) Row {
	return Row{User: user, Doc: doc, Verb: verb, Steps: []Step{{As: user, Call: call, Want: want}}}
}

// docRows: reads on the shared document, writes on the row's own copy.
func docRows(user string, d DocSpec, bypass bool) []Row {
	read := d.may("read", user, bypass)
	seen, found, v2, v1 := []string{}, codeNotFound, int64(0), int64(0)
	if read {
		seen, found, v2, v1 = []string{d.ID}, codeOK, 2, 1
	}
	matchID := []any{map[string]any{"$match": map[string]any{"_id": d.ID}}}
	rows := []Row{
		single(user, d.ID, "get", Call{Verb: vGet, Coll: Coll, ID: d.ID}, Want{Code: found, IDs: seen, Version: v2}),
		single(user, d.ID, "version", Call{Verb: vVersion, Coll: Coll, ID: d.ID, Version: 1}, Want{Code: found, IDs: seen, Version: v1}),
		single(user, d.ID, "aggregate-match", Call{Verb: vAggregate, Coll: Coll, Pipeline: matchID}, Want{IDs: seen}),
	}
	update := writeCode(read, d.may("update", user, bypass))
	del := writeCode(read, d.may("delete", user, bypass))
	rows = append(rows,
		single(user, d.ID, "replace", Call{Verb: vReplace, Coll: WriteColl, ID: copyID(d.ID, user, "replace"), Body: content(d, 2)}, Want{Code: update}),
		single(user, d.ID, "patch", Call{Verb: vPatch, Coll: WriteColl, ID: copyID(d.ID, user, "patch"), Body: map[string]any{"rev": 2}}, Want{Code: update}),
		single(user, d.ID, "delete", Call{Verb: vDelete, Coll: WriteColl, ID: copyID(d.ID, user, "delete")}, Want{Code: del}),
	)
	return rows
}

// writeCode is the documented answer to a write: hidden documents are not
// found, visible ones without the right are forbidden.
func writeCode(read, right bool) string {
	switch {
	case !read:
		return codeNotFound
	case !right:
		return codeDenied
	}
	return codeOK
}

// content is a matrix document's body at revision rev.
func content(d DocSpec, rev int) map[string]any {
	return map[string]any{"kind": d.Kind, "tag": d.tag(), "rev": rev}
}

var kindA = map[string]any{"kind": "a"}

func collectionRows(user string, bypass bool) []Row {
	docs := readable(user, bypass)
	ids, idsA, tags := []string{}, []string{}, []string{}
	groups := map[string]int{}
	for _, d := range docs {
		ids = append(ids, d.ID)
		tags = append(tags, fmt.Sprintf("%q", d.tag()))
		groups[d.Kind]++
		if d.Kind == "a" {
			idsA = append(idsA, d.ID)
		}
	}
	perKind := []GroupCount{}
	for _, k := range []string{"a", "b"} {
		if groups[k] > 0 {
			perKind = append(perKind, GroupCount{k, groups[k]})
		}
	}
	group := []any{
		map[string]any{"$group": map[string]any{"_id": "$kind", "n": map[string]any{"$sum": 1}}},
		map[string]any{"$sort": map[string]any{"_id": 1}},
	}
	const all = "all"
	return []Row{
		single(user, all, "query", Call{Verb: vQuery, Coll: Coll}, Want{IDs: ids}),
		single(user, all, "query-filter", Call{Verb: vQuery, Coll: Coll, Filter: kindA}, Want{IDs: idsA}),
		single(user, all, "count", Call{Verb: vCount, Coll: Coll}, Want{Count: count(len(ids))}),
		single(user, all, "count-filter", Call{Verb: vCount, Coll: Coll, Filter: kindA}, Want{Count: count(len(idsA))}),
		single(user, all, "distinct", Call{Verb: vDistinct, Coll: Coll, Field: "tag"}, Want{Values: tags}),
		single(user, all, "aggregate-group", Call{Verb: vAggregate, Coll: Coll, Pipeline: group}, Want{Values: groupValues(perKind)}),
		single(user, all, "watch", Call{Verb: vWatch, Coll: Coll}, Want{Events: watchEvents(docs, user, bypass)}),
	}
}

// GroupCount is one expected $group row.
type GroupCount struct {
	Kind string
	N    int
}

func groupValues(rows []GroupCount) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf(`{"_id":%q,"n":%d}`, r.Kind, r.N))
	}
	return out
}

// watchEvents is what user sees of the seeding, in order: each readable
// document's insert and update, the delete of Gone to those who could read
// it, and the sentinel's delete. Inserts of deleted documents are not
// delivered: they are checked against the document as it is now.
func watchEvents(docs []DocSpec, user string, bypass bool) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, "insert "+d.ID+" v1", "update "+d.ID+" v2")
	}
	if (bypass && user == Root) || slices.Contains(strings.Fields(goneReaders), user) {
		out = append(out, "delete "+Gone+" v2")
	}
	return append(out, "delete "+Sentinel+" v2")
}

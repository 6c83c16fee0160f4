package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Env is one running node as the rows see it, over one transport.
type Env struct {
	Bypass  bool
	Callers map[string]Caller // by principal name
	Admin   Admin
	Inspect Inspector
	// IDs maps principal names to ids, the built-in roles included.
	IDs map[string]string
	// Since is the change-log position before Seed; watches start there.
	Since int64
}

// watchTimeout bounds one watch; the sentinel normally arrives at once.
const watchTimeout = 30 * time.Second

// Run runs every row as a parallel subtest named user/doc/verb.
func Run(t *testing.T, e *Env) {
	rows := AllRows(e.Bypass)
	if dup := duplicateRow(rows); dup != "" {
		t.Fatalf("row %s is listed twice", dup)
	}
	users, byUser := groupRows(rows, func(r Row) string { return r.User })
	for _, user := range users {
		t.Run(user, func(t *testing.T) {
			t.Parallel()
			docs, byDoc := groupRows(byUser[user], func(r Row) string { return r.Doc })
			for _, doc := range docs {
				t.Run(doc, func(t *testing.T) {
					for _, r := range byDoc[doc] {
						t.Run(r.Verb, func(t *testing.T) {
							t.Parallel()
							for i, s := range r.Steps {
								e.step(t, i, s)
							}
						})
					}
				})
			}
		})
	}
}

func duplicateRow(rows []Row) string {
	seen := map[string]bool{}
	for _, r := range rows {
		name := r.User + "/" + r.Doc + "/" + r.Verb
		if seen[name] {
			return name
		}
		seen[name] = true
	}
	return ""
}

// groupRows splits rows by key, keeping first-seen order.
func groupRows(rows []Row, key func(Row) string) ([]string, map[string][]Row) {
	var order []string
	out := map[string][]Row{}
	for _, r := range rows {
		k := key(r)
		if _, ok := out[k]; !ok {
			order = append(order, k)
		}
		out[k] = append(out[k], r)
	}
	return order, out
}

// state is a document as the inspector saw it.
type state struct {
	version int64
	exists  bool
}

func (e *Env) peek(t *testing.T, coll, id string) state {
	t.Helper()
	v, ok, err := e.Inspect.Peek(coll, id)
	if err != nil {
		t.Fatalf("peek %s/%s: %v", coll, id, err)
	}
	return state{v, ok}
}

// step runs one step and checks it, and what it did to its document.
func (e *Env) step(t *testing.T, i int, s Step) {
	t.Helper()
	c := e.resolve(s.Call)
	what := fmt.Sprintf("step %d, %s %s %s/%s", i, s.As, c.Verb, c.Coll, c.ID)
	target := c.ID
	if target == "" {
		target, _ = c.Body["_id"].(string)
	}
	var before state
	if target != "" && c.Coll != "" && isWrite(c.Verb) {
		before = e.peek(t, c.Coll, target)
	}
	out := e.exec(s.As, c)
	if out.Err != nil {
		t.Fatalf("%s: %v", what, out.Err)
	}
	if out.Code != s.Want.Code {
		t.Fatalf("%s: code %q (%s), want %q", what, out.Code, out.Message, s.Want.Code)
	}
	e.check(t, what, s.Want, out)
	e.checkEffect(t, what, s.As, c, target, before, out)
}

// resolve turns principal names in a call into ids.
func (e *Env) resolve(c Call) Call {
	c.ID = e.id(c.ID)
	if c.Body != nil || c.ACL != nil {
		body := map[string]any{}
		for k, v := range c.Body {
			body[k] = v
		}
		if c.ACL != nil {
			body["_acl"] = e.acl(c.ACL)
		}
		c.Body = body
	}
	if c.Members != nil {
		m := make([]string, len(c.Members))
		for i, n := range c.Members {
			m[i] = e.id(n)
		}
		c.Members = m
	}
	return c
}

func (e *Env) id(s string) string {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		if id, ok := e.IDs[name]; ok {
			return id
		}
		panic("e2e: unknown principal " + name)
	}
	return s
}

// acl renders entries as the wire's _acl; never nil, so [] stays [].
func (e *Env) acl(entries []Ace) []any {
	out := []any{}
	for _, a := range entries {
		out = append(out, map[string]any{"id": e.id("@" + a.Who), "rights": a.Rights, "deny": a.Deny})
	}
	return out
}

func (e *Env) exec(as string, c Call) Outcome {
	if c.Verb == vSetMembers {
		return e.Admin.SetMembers(c.ID, c.Members)
	}
	cl, ok := e.Callers[as]
	if !ok {
		panic("e2e: no caller " + as)
	}
	switch c.Verb {
	case vInsert:
		return cl.Insert(c.Coll, c.Body)
	case vGet:
		return cl.Get(c.Coll, c.ID)
	case vVersion:
		return cl.GetVersion(c.Coll, c.ID, c.Version)
	case vQuery:
		return cl.Query(c.Coll, c.Filter)
	case vCount:
		return cl.Count(c.Coll, c.Filter)
	case vDistinct:
		return cl.Distinct(c.Coll, c.Field, c.Filter)
	case vAggregate:
		return cl.Aggregate(c.Coll, c.Pipeline)
	case vReplace:
		return cl.Replace(c.Coll, c.ID, c.Body)
	case vPatch:
		return cl.Patch(c.Coll, c.ID, c.Body)
	case vDelete:
		return cl.Delete(c.Coll, c.ID)
	case vWatch:
		ctx, cancel := context.WithTimeout(context.Background(), watchTimeout)
		defer cancel()
		return cl.Watch(ctx, c.Coll, e.Since, func(ev Event) bool { return ev.Op == "delete" && ev.ID == Sentinel })
	}
	panic("e2e: unknown verb " + c.Verb)
}

func (e *Env) check(t *testing.T, what string, w Want, out Outcome) {
	t.Helper()
	if w.IDs != nil && !sameSet(out.IDs, w.IDs) {
		t.Errorf("%s: ids %v, want %v", what, sorted(out.IDs), sorted(w.IDs))
	}
	if w.Values != nil && !sameSet(out.Values, w.Values) {
		t.Errorf("%s: values %v, want %v", what, sorted(out.Values), sorted(w.Values))
	}
	if w.Count != nil && out.Count != *w.Count {
		t.Errorf("%s: count %d, want %d", what, out.Count, *w.Count)
	}
	if w.Events != nil {
		got := make([]string, len(out.Events))
		for i, ev := range out.Events {
			got[i] = fmt.Sprintf("%s %s v%d", ev.Op, ev.ID, ev.Version)
		}
		if !slices.Equal(got, w.Events) {
			t.Errorf("%s: events\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(w.Events, "\n"))
		}
	}
	if w.Version != 0 && out.Version != w.Version {
		t.Errorf("%s: version %d, want %d", what, out.Version, w.Version)
	}
	if w.ACL != nil {
		if got, want := aclSet(out.Doc["_acl"]), e.aclStrings(w.ACL); !sameSet(got, want) {
			t.Errorf("%s: _acl %v, want %v", what, sorted(got), sorted(want))
		}
	}
	if w.NoCollection != "" {
		ok, err := e.Inspect.CollectionExists(w.NoCollection)
		if err != nil || ok {
			t.Errorf("%s: collection %q exists afterwards (err %v)", what, w.NoCollection, err)
		}
	}
}

// checkEffect holds every write to its answer: a refused write leaves the
// document as it was, an allowed one moves it on by one version or removes
// it. A not_found read must say nothing a missing document would not.
func (e *Env) checkEffect(t *testing.T, what, as string, c Call, target string, before state, out Outcome) {
	t.Helper()
	if target == "" || c.Coll == "" {
		return
	}
	if (c.Verb == vGet || c.Verb == vVersion) && out.Code == codeNotFound {
		e.checkLikeMissing(t, what, as, c, out)
	}
	if !isWrite(c.Verb) {
		return
	}
	after := e.peek(t, c.Coll, target)
	switch {
	case out.Code != codeOK:
		if after != before {
			t.Errorf("%s: refused with %s, yet the document went from %+v to %+v", what, out.Code, before, after)
		}
	case c.Verb == vDelete:
		if after.exists {
			t.Errorf("%s: deleted, yet the document is still there at version %d", what, after.version)
		}
	case c.Verb == vInsert:
		if !after.exists || after.version != 1 || out.Version != 1 {
			t.Errorf("%s: inserted, yet the document is %+v (answer said version %d)", what, after, out.Version)
		}
	default:
		if !after.exists || after.version != before.version+1 || out.Version != after.version {
			t.Errorf("%s: written, yet the document went from %+v to %+v (answer said version %d)", what, before, after, out.Version)
		}
	}
}

func isWrite(verb string) bool {
	return verb == vInsert || verb == vReplace || verb == vPatch || verb == vDelete
}

func (e *Env) checkLikeMissing(t *testing.T, what, as string, c Call, out Outcome) {
	t.Helper()
	c.ID = "no-such-document"
	missing := e.exec(as, c)
	if missing.Err != nil {
		t.Fatalf("%s: reading a missing document: %v", what, missing.Err)
	}
	if missing.Code != out.Code || missing.Message != out.Message {
		t.Errorf("%s: a hidden document answers %s %q, a missing one %s %q", what, out.Code, out.Message, missing.Code, missing.Message)
	}
}

func (e *Env) aclStrings(entries []Ace) []string {
	out := make([]string, len(entries))
	for i, a := range entries {
		out[i] = fmt.Sprintf("%s/%d/%v", e.id("@"+a.Who), a.Rights, a.Deny)
	}
	return out
}

// aclSet renders a returned _acl like aclStrings.
func aclSet(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		deny, _ := m["deny"].(bool)
		out = append(out, fmt.Sprintf("%v/%v/%v", m["id"], m["rights"], deny))
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

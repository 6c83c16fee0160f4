package identity

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// directory caches who is who: the role graph and each user's resolved
// principals. Any change to the users collection empties it.
type directory struct {
	st     store.Store
	bypass bool

	mu       sync.RWMutex
	memberOf map[string][]string // member id -> roles listing it; nil until loaded
	users    map[string]entry
	gen      uint64 // bumped by every reset, so a load racing a reset is dropped
}

// entry is a user as the cache knows it.
type entry struct {
	p        acl.Principals
	disabled bool
	missing  bool
}

func newDirectory(st store.Store, bypass bool) *directory {
	return &directory{st: st, bypass: bypass, users: map[string]entry{}}
}

// reset forgets everything.
func (d *directory) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.memberOf, d.users = nil, map[string]entry{}
	d.gen++
}

// principals resolves a signed-in user. Unknown and disabled users are
// refused.
func (d *directory) principals(ctx context.Context, user string) (acl.Principals, error) {
	d.mu.RLock()
	e, ok := d.users[user]
	d.mu.RUnlock()
	if !ok {
		var err error
		if e, err = d.load(ctx, user); err != nil {
			return acl.Principals{}, err
		}
	}
	if e.missing || e.disabled {
		return acl.Principals{}, errs.E(errs.Unauthenticated, "the account is disabled or gone")
	}
	return e.p, nil
}

func (d *directory) load(ctx context.Context, user string) (entry, error) {
	d.mu.RLock()
	gen, graph := d.gen, d.memberOf
	d.mu.RUnlock()
	if graph == nil {
		var err error
		if graph, err = loadGraph(ctx, d.st); err != nil {
			return entry{}, err
		}
	}
	e, err := loadUser(ctx, d.st, user)
	if err != nil {
		return entry{}, err
	}
	e.p = acl.NewPrincipals(user, resolve(graph, user), d.bypass)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gen == gen { // nothing changed while loading
		d.memberOf = graph
		d.users[user] = e
	}
	return e, nil
}

func loadUser(ctx context.Context, st store.Store, id string) (entry, error) {
	doc, err := st.Get(ctx, Collection, id)
	if errs.Is(err, errs.NotFound) {
		return entry{missing: true}, nil
	}
	if err != nil {
		return entry{}, err
	}
	if doc.Fields[store.FieldType] != TypeUser {
		return entry{missing: true}, nil
	}
	disabled, _ := doc.Fields["disabled"].(bool)
	return entry{disabled: disabled}, nil
}

// loadGraph reads every role and indexes it by member.
func loadGraph(ctx context.Context, st store.Store) (map[string][]string, error) {
	f, err := query.ParseFilter([]byte(`{"_type":"role"}`), query.DefaultLimits())
	if err != nil {
		return nil, err
	}
	graph := map[string][]string{}
	find := store.Find{Filter: f, Limit: 1000}
	for {
		page, err := st.Find(ctx, Collection, System, find)
		if err != nil {
			return nil, err
		}
		for _, role := range page {
			for _, m := range members(role) {
				graph[m] = append(graph[m], role.ID)
			}
		}
		if len(page) < find.Limit {
			return graph, nil
		}
		last := page[len(page)-1]
		c := query.CursorAfter(nil, last.Map(), last.ID)
		find.After = &c
	}
}

// members reads a role document's member list.
func members(role store.Doc) []string {
	raw, _ := json.Marshal(role.Fields["members"])
	var out []string
	_ = json.Unmarshal(raw, &out)
	return out
}

// resolve walks the graph upwards from user: every role that lists the user,
// every role that lists one of those, and so on. Visited roles are skipped,
// so membership cycles end.
func resolve(graph map[string][]string, user string) []string {
	seen := map[string]bool{user: true}
	queue := []string{user}
	var roles []string
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, r := range graph[id] {
			if !seen[r] {
				seen[r] = true
				roles = append(roles, r)
				queue = append(queue, r)
			}
		}
	}
	slices.Sort(roles)
	return roles
}

// follow tails the change log of the users collection and resets the cache
// on every change, wherever it was committed.
func (d *directory) follow(ctx context.Context, poll time.Duration) error {
	since, err := d.st.LastSeq(ctx)
	if err != nil {
		return err
	}
	for {
		wake := d.st.Changed()
		changes, err := d.st.Changes(ctx, Collection, since, 1000)
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			d.reset()
			since = changes[len(changes)-1].Seq
			continue
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

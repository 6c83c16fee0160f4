package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// hookStore runs hook once, just before the first call of one read method,
// so a write lands exactly between a service's access check and the load
// that follows it.
type hookStore struct {
	store.Store
	at   string // "Get" or "GetVersion"
	once sync.Once
	hook func()
}

func (s *hookStore) Get(ctx context.Context, coll, id string) (store.Doc, error) {
	if s.at == "Get" {
		s.once.Do(s.hook)
	}
	return s.Store.Get(ctx, coll, id)
}

func (s *hookStore) GetVersion(ctx context.Context, coll, id string, v int64) (store.Doc, error) {
	if s.at == "GetVersion" {
		s.once.Do(s.hook)
	}
	return s.Store.GetVersion(ctx, coll, id, v)
}

// TestReadsRecheckWhatTheyLoad: a document whose ACL shuts a reader out
// after the access check must not reach that reader, neither through a
// watch nor as a version newer than the one checked.
func TestReadsRecheckWhatTheyLoad(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			h := apptest.Start(t, apptest.Options{Engine: engine})
			bobID := h.CreateUser("bob", password, false)
			bob, err := h.Node.Services().Identity.Authenticate(context.Background(), h.Login("bob", password).Token)
			if err != nil {
				t.Fatal(err)
			}
			r := &racer{t: t, svc: h.Node.Services().Docs, st: h.Node.Store(), bob: bob.Principals, bobID: bobID}
			t.Run("watch", r.watch)
			t.Run("version", r.version)
		})
	}
}

type racer struct {
	t     *testing.T
	svc   *docs.Service // the node's own, for the writes
	st    store.Store
	bob   acl.Principals
	bobID string
}

const raceColl = "race"

func (r *racer) put(t *testing.T, id, v string, readers ...string) {
	t.Helper()
	entries := make([]string, len(readers))
	for i, p := range readers {
		entries[i] = fmt.Sprintf(`{"id":%q,"rights":%d}`, p, rRead)
	}
	raw := fmt.Appendf(nil, `{"v":%q,"_acl":[%s]}`, v, joinComma(entries))
	_, err := r.svc.Replace(context.Background(), apptest.System, raceColl, id, raw, 0)
	if errs.Is(err, errs.NotFound) {
		_, err = r.svc.Insert(context.Background(), apptest.System, raceColl, fmt.Appendf(nil, `{"_id":%q,%s`, id, raw[1:]))
	}
	if err != nil {
		t.Errorf("write %s: %v", id, err)
	}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// watch: bob may read x when the watch checks it; before x is loaded its
// ACL shuts him out and its content turns secret. He must see only "end".
func (r *racer) watch(t *testing.T) {
	ctx := context.Background()
	since, err := r.st.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.put(t, "x", "public", r.bobID)
	hs := &hookStore{Store: r.st, at: "Get", hook: func() {
		r.put(t, "x", "secret")
		r.put(t, "end", "end", acl.RoleUsers)
	}}
	var seen []string
	stop := errors.New("stop")
	err = docs.New(hs, docs.Options{}).Watch(ctx, func(context.Context) (acl.Principals, error) { return r.bob, nil }, raceColl, since, func(ev docs.Event) error {
		seen = append(seen, fmt.Sprintf("%s %s %v", ev.Op, ev.ID, ev.Document["v"]))
		if ev.ID == "end" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("watch: %v", err)
	}
	if want := []string{"insert end end"}; !slices.Equal(seen, want) {
		t.Errorf("bob saw %q, want %q", seen, want)
	}
}

// version: bob asks for version 2 of y while it is at version 1, which he
// may read; version 2, written before it is loaded, shuts him out.
func (r *racer) version(t *testing.T) {
	r.put(t, "y", "public", r.bobID)
	hs := &hookStore{Store: r.st, at: "GetVersion", hook: func() { r.put(t, "y", "secret") }}
	d, err := docs.New(hs, docs.Options{}).GetVersion(context.Background(), r.bob, raceColl, "y", 2)
	if !errs.Is(err, errs.NotFound) {
		t.Errorf("version 2: %v %v, want not_found", d.Fields["v"], err)
	}
}

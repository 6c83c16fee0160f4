package e2e

import (
	"context"
	"slices"
	"testing"

	"rampart.dev/rampart/internal/apptest"
)

// TestWatchFollowsRevocation: a watch stream must stop delivering what its
// caller may no longer read once a membership change takes the right away,
// as every other request does at once: the stream re-resolves its caller
// every round.
func TestWatchFollowsRevocation(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			e := startREST(t, engine, true)
			revokeDuringWatch(t, e)
		})
	}
}

// revokeDuringWatch: frank (in inner ⊂ outer) watches; once the stream is
// live, frank leaves inner, and root writes a document only outer may read,
// then one everyone may read. frank must see only the two public ones.
func revokeDuringWatch(t *testing.T, e *Env) {
	const coll = "revoke"
	root, frank := e.Callers[Root], e.Callers["frank"]
	if err := want(e.Admin.SetMembers(e.IDs["inner"], []string{e.IDs["frank"]}), 0); err != nil {
		t.Fatal(err)
	}
	since, err := e.Inspect.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	public := e.acl([]Ace{allow(Users, rRead)})
	if err := want(root.Insert(coll, map[string]any{"_id": "start", "_acl": public}), 1); err != nil {
		t.Fatal(err)
	}
	var steps error
	ctx, cancel := context.WithTimeout(context.Background(), watchTimeout)
	defer cancel()
	out := frank.Watch(ctx, coll, since, func(ev Event) bool {
		if ev.ID == "start" {
			steps = firstErr(
				want(e.Admin.SetMembers(e.IDs["inner"], []string{}), 0),
				want(root.Insert(coll, map[string]any{"_id": "secret", "_acl": e.acl([]Ace{allow("outer", rRead)})}), 1),
				want(root.Insert(coll, map[string]any{"_id": "end", "_acl": public}), 1),
			)
		}
		return ev.ID == "end" || steps != nil
	})
	if steps != nil || out.Err != nil {
		t.Fatalf("steps: %v, watch: %v", steps, out.Err)
	}
	var got []string
	for _, ev := range out.Events {
		got = append(got, ev.Op+" "+ev.ID)
	}
	if w := []string{"insert start", "insert end"}; !slices.Equal(got, w) {
		t.Errorf("frank saw %v after leaving the role, want %v", got, w)
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

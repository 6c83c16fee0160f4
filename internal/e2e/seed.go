package e2e

import "fmt"

// Seed writes the matrix through root's Caller, recording where the change
// log stood before so watches replay exactly the seeding:
//
//   - every document of Docs in Coll, at version 1 with its allow entries
//     plus full rights for root, then replaced at version 2 with its own
//     ACL (denies only arrive there, so root can still write version 2 when
//     admins do not bypass);
//   - Gone, then the sentinel, each inserted and deleted, last;
//   - a fresh copy of every document in WriteColl for every caller and
//     write verb, in one atomic insert.
func (e *Env) Seed() error {
	since, err := e.Inspect.LastSeq()
	if err != nil {
		return err
	}
	e.Since = since
	root := e.Callers[Root]
	for _, d := range Docs {
		v1 := content(d, 1)
		v1["_id"], v1["_acl"] = d.ID, e.acl(append(allowsOf(d.ACL), allow(Root, rAll)))
		if err := want(root.Insert(Coll, v1), 1); err != nil {
			return fmt.Errorf("insert %s: %w", d.ID, err)
		}
		v2 := content(d, 2)
		v2["_acl"] = e.acl(d.ACL)
		if err := want(root.Replace(Coll, d.ID, v2), 2); err != nil {
			return fmt.Errorf("replace %s: %w", d.ID, err)
		}
	}
	for _, g := range []struct {
		id  string
		acl []Ace
	}{{Gone, goneACL}, {Sentinel, sentinelACL}} {
		if err := want(root.Insert(Coll, map[string]any{"_id": g.id, "_acl": e.acl(g.acl)}), 1); err != nil {
			return fmt.Errorf("insert %s: %w", g.id, err)
		}
		if err := want(root.Delete(Coll, g.id), 0); err != nil {
			return fmt.Errorf("delete %s: %w", g.id, err)
		}
	}
	var copies []map[string]any
	for _, d := range Docs {
		for _, user := range Callers {
			for _, verb := range writeVerbs {
				c := content(d, 1)
				c["_id"], c["_acl"] = copyID(d.ID, user, verb), e.acl(d.ACL)
				copies = append(copies, c)
			}
		}
	}
	if err := want(root.InsertMany(WriteColl, copies), 0); err != nil {
		return fmt.Errorf("insert copies: %w", err)
	}
	return nil
}

func allowsOf(acl []Ace) []Ace {
	var out []Ace
	for _, a := range acl {
		if !a.Deny {
			out = append(out, a)
		}
	}
	return out
}

// want turns an unexpected outcome into an error; version 0 is unchecked.
func want(o Outcome, version int64) error {
	switch {
	case o.Err != nil:
		return o.Err
	case o.Code != codeOK:
		return fmt.Errorf("%s: %s", o.Code, o.Message)
	case version != 0 && o.Version != version:
		return fmt.Errorf("version %d, want %d", o.Version, version)
	}
	return nil
}

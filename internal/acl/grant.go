package acl

import "rampart.dev/rampart/internal/errs"

// CheckChange enforces the grant rules when a document's ACL goes from old to
// next while the caller holds held on it: changing the ACL at all needs
// Manage, and nobody can hand out a right they do not hold themselves, either
// by adding it to an allow entry or by lifting it from a deny entry.
func CheckChange(held Right, old, next List) error {
	if equal(old, next) {
		return nil
	}
	if !held.Has(Manage) {
		return errs.E(errs.PermissionDenied, "changing _acl needs the manage right")
	}
	oldAllow, oldDeny := index(old)
	newAllow, newDeny := index(next)
	for id, r := range newAllow {
		if added := r &^ oldAllow[id]; added&^held != 0 {
			return errs.E(errs.PermissionDenied, "cannot grant %s to %s: you do not hold it", added&^held, id)
		}
	}
	for id, r := range oldDeny {
		if lifted := r &^ newDeny[id]; lifted&^held != 0 {
			return errs.E(errs.PermissionDenied, "cannot lift the deny of %s on %s: you do not hold it", lifted&^held, id)
		}
	}
	return nil
}

func index(l List) (allow, deny map[string]Right) {
	allow, deny = map[string]Right{}, map[string]Right{}
	for _, e := range l {
		if e.Deny {
			deny[e.ID] |= e.Rights
		} else {
			allow[e.ID] |= e.Rights
		}
	}
	return allow, deny
}

func equal(a, b List) bool {
	a, b = a.Normalize(), b.Normalize()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

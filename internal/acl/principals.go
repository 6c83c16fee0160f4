package acl

import "slices"

// Principals is who a request runs as: the user and every role it belongs to,
// transitively, including the built-in users role.
type Principals struct {
	User  string   // the user id; "" for nobody
	IDs   []string // User plus all role ids, sorted, without duplicates
	Admin bool     // member of the admins role
	// Bypass is true when Admin is and the configuration lets admins
	// skip ACL checks.
	Bypass bool
	// Mask and Collections narrow a scoped credential (an API key): Mask,
	// when not 0, caps every right, bypass included; Collections, when not
	// empty, lists the only collections it may touch. Zero values narrow
	// nothing, so a key can only ever hold less than its user.
	Mask        Right
	Collections []string
}

// NewPrincipals builds the set for a user and its resolved roles.
func NewPrincipals(user string, roles []string, adminsBypass bool) Principals {
	ids := make([]string, 0, len(roles)+2)
	ids = append(ids, user, RoleUsers)
	ids = append(ids, roles...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	admin := slices.Contains(ids, RoleAdmins)
	return Principals{User: user, IDs: ids, Admin: admin, Bypass: admin && adminsBypass}
}

// Contains reports whether id is one of the principals.
func (p Principals) Contains(id string) bool {
	_, ok := slices.BinarySearch(p.IDs, id)
	return ok
}

// Effective returns the rights p holds under l: the union of allow entries
// naming one of p's principals, minus the union of deny entries doing so.
// Deny wins. Bypassing admins hold every right. Mask caps the result.
func (p Principals) Effective(l List) Right {
	if p.Bypass {
		return p.masked(All)
	}
	var allow, deny Right
	for _, e := range l {
		if !p.Contains(e.ID) {
			continue
		}
		if e.Deny {
			deny |= e.Rights
		} else {
			allow |= e.Rights
		}
	}
	return p.masked(allow &^ deny)
}

func (p Principals) masked(r Right) Right {
	if p.Mask != 0 {
		return r & p.Mask
	}
	return r
}

// InCollection reports whether p may touch the collection at all.
func (p Principals) InCollection(name string) bool {
	return len(p.Collections) == 0 || slices.Contains(p.Collections, name)
}

package acl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
)

// Right is a set of permission bits.
type Right uint32

const (
	Create Right = 1 << iota
	Read
	Update
	Delete
	Invoke
	Manage

	// All is every right there is.
	All = Create | Read | Update | Delete | Invoke | Manage
)

var rightNames = []struct {
	r    Right
	name string
}{{Create, "create"}, {Read, "read"}, {Update, "update"}, {Delete, "delete"}, {Invoke, "invoke"}, {Manage, "manage"}}

// Has reports whether r holds every bit of want.
func (r Right) Has(want Right) bool { return want != 0 && r&want == want }

func (r Right) String() string {
	var parts []string
	for _, n := range rightNames {
		if r&n.r != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Built-in principals. Their ids are fixed so ACLs can name them.
const (
	RoleAdmins = "admins"
	RoleUsers  = "users" // every signed-in user is a member
)

// Entry grants (or, with Deny, withholds) rights to one principal.
type Entry struct {
	ID     string `json:"id"`
	Rights Right  `json:"rights"`
	Deny   bool   `json:"deny,omitempty"`
}

// List is a document's ACL.
type List []Entry

// MaxEntries bounds an ACL so the side table and predicates stay small.
const MaxEntries = 256

// Validate checks ids, rights bits and duplicates.
func (l List) Validate() error {
	if len(l) > MaxEntries {
		return errs.E(errs.InvalidArgument, "_acl has %d entries, the limit is %d", len(l), MaxEntries)
	}
	type key struct {
		id   string
		deny bool
	}
	seen := make(map[key]bool, len(l))
	for i, e := range l {
		if !ValidPrincipalID(e.ID) {
			return errs.E(errs.InvalidArgument, "_acl[%d].id is not a valid principal id", i)
		}
		if e.Rights == 0 || e.Rights&^All != 0 {
			return errs.E(errs.InvalidArgument, "_acl[%d].rights must be a non-zero combination of %d", i, All)
		}
		k := key{e.ID, e.Deny}
		if seen[k] {
			return errs.E(errs.InvalidArgument, "_acl[%d] repeats principal %q", i, e.ID)
		}
		seen[k] = true
	}
	return nil
}

// ValidPrincipalID reports whether id has the shape of a principal id.
// Principal ids are document ids in the users collection.
func ValidPrincipalID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Normalize returns the list sorted by principal then deny, so equal ACLs
// compare and serialise equally.
func (l List) Normalize() List {
	out := slices.Clone(l)
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		switch {
		case a.Deny == b.Deny:
			return 0
		case !a.Deny:
			return -1
		default:
			return 1
		}
	})
	return out
}

// ParseList decodes an _acl value strictly: a list of objects with exactly
// the keys id (a principal id), rights (an integer) and an optional deny (a
// boolean), spelt exactly so.
func ParseList(raw json.RawMessage) (List, error) {
	v, err := jsonx.Decode(raw, jsonx.Limits{MaxDepth: 3})
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, errs.E(errs.InvalidArgument, "_acl must be a list of {id, rights, deny}")
	}
	l := make(List, len(items))
	for i, item := range items {
		if l[i], err = parseEntry(item); err != nil {
			return nil, errs.E(errs.InvalidArgument, "_acl[%d]: %s", i, err.(*errs.Error).Message)
		}
	}
	return l, l.Validate()
}

func parseEntry(v any) (Entry, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Entry{}, errs.E(errs.InvalidArgument, "must be an object {id, rights, deny}")
	}
	var e Entry
	for k, val := range m {
		switch k {
		case "id":
			if e.ID, ok = val.(string); !ok {
				return Entry{}, errs.E(errs.InvalidArgument, "id must be a string")
			}
		case "rights":
			n, isNum := val.(json.Number)
			r, err := strconv.ParseUint(string(n), 10, 32)
			if !isNum || err != nil {
				return Entry{}, errs.E(errs.InvalidArgument, "rights must be a non-negative integer")
			}
			e.Rights = Right(r)
		case "deny":
			if e.Deny, ok = val.(bool); !ok {
				return Entry{}, errs.E(errs.InvalidArgument, "deny must be true or false")
			}
		default:
			return Entry{}, errs.E(errs.InvalidArgument, "unknown key %.32q", k)
		}
	}
	return e, nil
}

// String renders a list for logs and errors.
func (l List) String() string {
	parts := make([]string, len(l))
	for i, e := range l {
		verb := "allow"
		if e.Deny {
			verb = "deny"
		}
		parts[i] = fmt.Sprintf("%s %s %s", verb, e.ID, e.Rights)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

package acl

import (
	"testing"

	"rampart.dev/rampart/internal/query"
)

// A scoped credential (an API key) holds at most its Mask, whatever the ACL
// or the admin bypass would give.
func TestEffectiveMask(t *testing.T) {
	bob := NewPrincipals("bob", []string{"eng"}, true)
	root := NewPrincipals("root", []string{RoleAdmins}, true)
	full := List{{ID: "bob", Rights: All}}
	for _, tc := range []struct {
		name string
		p    Principals
		mask Right
		l    List
		want Right
	}{
		{"no mask", bob, 0, full, All},
		{"read mask", bob, Read, full, Read},
		{"mask beyond the ACL adds nothing", bob, All, List{{ID: "eng", Rights: Read}}, Read},
		{"mask and ACL disjoint", bob, Update, List{{ID: "bob", Rights: Read}}, 0},
		{"deny still wins", bob, Read | Update, List{{ID: "bob", Rights: All}, {ID: "eng", Rights: Update, Deny: true}}, Read},
		{"bypassing admin, masked", root, Read, nil, Read},
		{"bypassing admin, read and create", root, Read | Create, List{{ID: "x", Deny: true, Rights: All}}, Read | Create},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Mask = tc.mask
			if got := p.Effective(tc.l); got != tc.want {
				t.Fatalf("Effective = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPredicateMask(t *testing.T) {
	user, root := NewPrincipals("u", nil, true), NewPrincipals("root", []string{RoleAdmins}, true)
	for _, d := range []query.Dialect{query.SQLite, query.Postgres} {
		for _, tc := range []struct {
			name string
			p    Principals
			mask Right
			want string // "" for the EXISTS form
		}{
			{"masked-out user", user, Update | Delete, "1 = 0"},
			{"masked-out bypassing admin", root, Update | Delete, "1 = 0"},
			{"masked-in bypassing admin", root, Read | Update, "1 = 1"},
			{"masked-in user", user, Read | Update, ""},
		} {
			p := tc.p
			p.Mask = tc.mask
			b := query.NewBuilder(d)
			Predicate(b, p, Read, "d")
			got := b.SQL()
			if tc.want != "" && got != tc.want || tc.want == "" && (got == "1 = 0" || got == "1 = 1") {
				t.Errorf("%s %s: predicate = %s, want %q", d, tc.name, got, tc.want)
			}
		}
	}
}

func TestInCollection(t *testing.T) {
	p := NewPrincipals("u", nil, true)
	if !p.InCollection("a") || !p.InCollection("anything") {
		t.Fatal("an unscoped caller must reach every collection")
	}
	p.Collections = []string{"a", "c"}
	for name, want := range map[string]bool{"a": true, "c": true, "b": false, "A": false, "": false, "a ": false} {
		if got := p.InCollection(name); got != want {
			t.Errorf("InCollection(%q) = %v, want %v", name, got, want)
		}
	}
}

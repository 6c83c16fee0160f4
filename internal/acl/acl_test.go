package acl

import (
	"testing"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
)

func TestEffective(t *testing.T) {
	bob := NewPrincipals("bob", []string{"staff", "eng"}, true)
	root := NewPrincipals("root", []string{RoleAdmins}, true)
	rootStrict := NewPrincipals("root", []string{RoleAdmins}, false)
	for _, tc := range []struct {
		name string
		p    Principals
		l    List
		want Right
	}{
		{"no entries", bob, nil, 0},
		{"direct allow", bob, List{{ID: "bob", Rights: Read | Update}}, Read | Update},
		{"via role", bob, List{{ID: "eng", Rights: Read}}, Read},
		{"via users role", bob, List{{ID: RoleUsers, Rights: Read}}, Read},
		{"union of allows", bob, List{{ID: "eng", Rights: Read}, {ID: "staff", Rights: Delete}}, Read | Delete},
		{"other principal", bob, List{{ID: "alice", Rights: All}}, 0},
		{"deny wins over direct allow", bob, List{{ID: "bob", Rights: All}, {ID: "bob", Rights: Delete, Deny: true}}, All &^ Delete},
		{"deny on a role wins over a user allow", bob, List{{ID: "bob", Rights: Read}, {ID: "staff", Rights: Read, Deny: true}}, 0},
		{"deny of update keeps read", bob, List{{ID: RoleUsers, Rights: Read | Update}, {ID: "eng", Rights: Update, Deny: true}}, Read},
		{"bypassing admin", root, List{{ID: "alice", Rights: Read}}, All},
		{"bypassing admin ignores deny", root, List{{ID: RoleAdmins, Rights: All, Deny: true}}, All},
		{"strict admin follows the ACL", rootStrict, List{{ID: "alice", Rights: Read}}, 0},
		{"strict admin via admins entry", rootStrict, List{{ID: RoleAdmins, Rights: Read}}, Read},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Effective(tc.l); got != tc.want {
				t.Fatalf("Effective = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNewPrincipals(t *testing.T) {
	p := NewPrincipals("u", []string{"b", "a", "b", RoleAdmins}, false)
	if got, want := p.IDs, []string{"a", RoleAdmins, "b", "u", RoleUsers}; len(got) != len(want) {
		t.Fatalf("IDs = %v, want %v", got, want)
	}
	if !p.Admin || p.Bypass || !p.Contains(RoleUsers) || !p.Contains("u") || p.Contains("z") {
		t.Fatalf("principals = %+v", p)
	}
}

func TestCheckChange(t *testing.T) {
	old := List{{ID: "alice", Rights: Read | Update | Manage}, {ID: "eve", Rights: Read, Deny: true}}
	for _, tc := range []struct {
		name string
		held Right
		next List
		code errs.Code
	}{
		{"unchanged needs nothing", Read, old, ""},
		{"same entries reordered", Read, List{old[1], old[0]}, ""},
		{"change without manage", Read | Update, List{{ID: "alice", Rights: Read}}, errs.PermissionDenied},
		{"grant a held right", Read | Update | Manage, append(List{{ID: "bob", Rights: Read}}, old...), ""},
		{"grant a right not held", Read | Update | Manage, append(List{{ID: "bob", Rights: Delete}}, old...), errs.PermissionDenied},
		{"raise an entry beyond held", Read | Update | Manage, List{{ID: "alice", Rights: All}, old[1]}, errs.PermissionDenied},
		{"remove rights", Read | Manage, List{{ID: "alice", Rights: Read}, old[1]}, ""},
		{"add a deny", Manage, append(List{{ID: "bob", Rights: Delete, Deny: true}}, old...), ""},
		{"lift a deny on a held right", Read | Manage, List{old[0]}, ""},
		{"lift a deny on a right not held", Update | Manage, List{old[0]}, errs.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errs.CodeOf(CheckChange(tc.held, old, tc.next)); got != tc.code {
				t.Fatalf("CheckChange = %q, want %q", got, tc.code)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code errs.Code
	}{
		{`[{"id":"alice","rights":2}]`, ""},
		{`[{"id":"alice","rights":2,"deny":true},{"id":"alice","rights":4}]`, ""},
		{`[]`, ""},
		{`[{"id":"alice","rights":0}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":64}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":-1}]`, errs.InvalidArgument},
		{`[{"id":"","rights":2}]`, errs.InvalidArgument},
		{`[{"id":"a b","rights":2}]`, errs.InvalidArgument},
		{`[{"id":"x'; DROP TABLE doc_acl; --","rights":2}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":2},{"id":"alice","rights":4}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":2,"extra":1}]`, errs.InvalidArgument},
		{`[{"ID":"alice","rights":2}]`, errs.InvalidArgument},
		{`[{"id":"alice","Rights":2}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":2.5}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":2,"deny":"yes"}]`, errs.InvalidArgument},
		{`[{"id":"alice","rights":2,"id":"bob"}]`, errs.InvalidArgument},
		{`[1]`, errs.InvalidArgument},
		{`{"id":"alice"}`, errs.InvalidArgument},
		{`[{"id":"alice","rights":"2"}]`, errs.InvalidArgument},
	} {
		if _, err := ParseList([]byte(tc.in)); errs.CodeOf(err) != tc.code {
			t.Errorf("ParseList(%s) = %v, want code %q", tc.in, err, tc.code)
		}
	}
}

func TestRightString(t *testing.T) {
	if got := (Read | Delete).String(); got != "read|delete" {
		t.Fatalf("String = %q", got)
	}
	if Right(0).String() != "none" || Read.Has(0) || !All.Has(Manage|Invoke) {
		t.Fatal("Right helpers are wrong")
	}
}

func TestPredicateShapes(t *testing.T) {
	for _, d := range []query.Dialect{query.SQLite, query.Postgres} {
		b := query.NewBuilder(d)
		Predicate(b, NewPrincipals("u", []string{"r"}, true), Read, "d")
		if len(b.Args()) == 0 {
			t.Fatalf("%s: principals must be bound parameters, got %s", d, b.SQL())
		}
		b = query.NewBuilder(d)
		Predicate(b, NewPrincipals("root", []string{RoleAdmins}, true), Read, "d")
		if b.SQL() != "1 = 1" {
			t.Fatalf("%s: bypass predicate = %s", d, b.SQL())
		}
		b = query.NewBuilder(d)
		Predicate(b, Principals{}, Read, "d")
		if b.SQL() != "1 = 0" {
			t.Fatalf("%s: empty principals predicate = %s", d, b.SQL())
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Predicate with two rights did not panic")
		}
	}()
	Predicate(query.NewBuilder(query.SQLite), NewPrincipals("u", nil, true), Read|Update, "d")
}

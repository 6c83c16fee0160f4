package e2e

import (
	"slices"
	"strings"
)

// Rights as the wire carries them (DESIGN.md section 3), spelled out here
// rather than taken from internal/acl.
const (
	rCreate = 1
	rRead   = 2
	rUpdate = 4
	rDelete = 8
	rInvoke = 16
	rManage = 32
	rAll    = rCreate | rRead | rUpdate | rDelete | rInvoke | rManage
)

// Principals of the matrix, by name. Tests map names to ids once the users
// and roles exist.
//
//	staff = {bob, eng}     eng = {carol, ops}     ops = {dave}
//
// so carol reaches staff through one level and dave through two. eve is in
// no role and can read nothing in the matrix collection. root is the admin.
// frank and the roles inner ⊂ outer belong to the membership scenario only.
const (
	Root  = "root"
	Users = "users" // built-in: every signed-in user
	// Admins is the built-in admins role.
	Admins = "admins"
)

// Callers are the principals every matrix row runs as.
var Callers = []string{"alice", "bob", "carol", "dave", "eve", Root}

// Role is a role to create, members listed by name; roles come after their
// members.
type Role struct {
	Name    string
	Members []string
}

// Roles of the matrix, in creation order.
var Roles = []Role{
	{"ops", []string{"dave"}},
	{"eng", []string{"carol", "ops"}},
	{"staff", []string{"bob", "eng"}},
	{"inner", nil},
	{"outer", []string{"inner"}},
}

// Extra users beyond Callers.
var extraUsers = []string{"frank"}

// AllUsers are the users to create; root is made an admin.
func AllUsers() []string { return append(slices.Clone(Callers), extraUsers...) }

// Ace is one _acl entry naming its principal by matrix name.
type Ace struct {
	Who    string
	Rights int
	Deny   bool
}

func allow(who string, r int) Ace { return Ace{Who: who, Rights: r} }
func deny(who string, r int) Ace  { return Ace{Who: who, Rights: r, Deny: true} }

// DocSpec is one document of the matrix with, written out by hand, who may
// read, update and delete it while admins do not bypass ACLs. With the bypass
// on, root may do everything to every document (DESIGN.md section 3).
type DocSpec struct {
	ID   string
	Kind string // "a" or "b": the filter and $group rows use it
	ACL  []Ace
	// Space-separated caller names.
	Read, Update, Delete string
	Why                  string
}

// Collections the matrix uses. Read rows run on Coll, which nothing writes
// while they run; write rows each get a fresh copy in WriteColl.
const (
	Coll      = "matrix"
	WriteColl = "matrixw"
	// Sentinel is written (and deleted) last in Coll; everyone may read it,
	// so every watch ends on its delete event.
	Sentinel = "zz-sentinel"
	// Gone is inserted and deleted before the sentinel: only those who
	// could read its last version learn of the delete.
	Gone = "gone"
)

// Docs is the matrix. Every document readable by the users role denies eve
// read, so eve can read none of them.
var Docs = []DocSpec{
	{
		ID: "alice-own", Kind: "a", Why: "allow on a user",
		ACL:  []Ace{allow("alice", rRead|rUpdate|rDelete)},
		Read: "alice", Update: "alice", Delete: "alice",
	},
	{
		ID: "staff-read", Kind: "b", Why: "allow on the outer role reaches bob, carol (1 level) and dave (2 levels)",
		ACL:  []Ace{allow("staff", rRead)},
		Read: "bob carol dave",
	},
	{
		ID: "eng-edit", Kind: "a", Why: "allow on the middle role",
		ACL:  []Ace{allow("eng", rRead|rUpdate)},
		Read: "carol dave", Update: "carol dave",
	},
	{
		ID: "ops-full", Kind: "b", Why: "allow on the inner role",
		ACL:  []Ace{allow("ops", rRead|rUpdate|rDelete)},
		Read: "dave", Update: "dave", Delete: "dave",
	},
	{
		ID: "users-read", Kind: "a", Why: "allow on the built-in users role, eve denied",
		ACL:  []Ace{allow(Users, rRead), deny("eve", rRead)},
		Read: "alice bob carol dave root",
	},
	{
		ID: "eng-denied", Kind: "b", Why: "deny on eng beats allows on staff and on dave himself, who reaches eng only through ops",
		ACL:  []Ace{allow("staff", rRead|rUpdate|rDelete), allow("dave", rRead|rUpdate|rDelete), deny("eng", rRead)},
		Read: "bob", Update: "bob", Delete: "bob",
	},
	{
		ID: "users-noupdate", Kind: "a", Why: "deny of update (not read) on staff, two levels up for dave; eve holds update without read",
		ACL:  []Ace{allow(Users, rRead|rUpdate), deny("staff", rUpdate), deny("eve", rRead)},
		Read: "alice bob carol dave root", Update: "alice root",
	},
	{
		ID: "staff-nodelete", Kind: "b", Why: "deny of delete on one user",
		ACL:  []Ace{allow("staff", rRead|rUpdate|rDelete), deny("dave", rDelete)},
		Read: "bob carol dave", Update: "bob carol dave", Delete: "bob carol",
	},
	{
		ID: "blind", Kind: "a", Why: "update and delete without read are worth nothing",
		ACL:  []Ace{allow("alice", rUpdate|rDelete), allow("bob", rRead)},
		Read: "bob",
	},
	{
		ID: "admin-denied", Kind: "b", Why: "deny on admins holds only while admins do not bypass",
		ACL:  []Ace{allow(Users, rRead), deny(Admins, rRead|rUpdate|rDelete), deny("eve", rRead)},
		Read: "alice bob carol dave",
	},
	{
		ID: "root-only", Kind: "a", Why: "no entry at all: only a bypassing admin",
		ACL: []Ace{},
	},
}

// goneACL and sentinelACL are the last ACLs of the two deleted documents;
// root needs read and delete on them to delete them.
var (
	goneACL     = []Ace{allow("carol", rRead), allow(Root, rRead|rDelete)}
	goneReaders = "carol root"
	sentinelACL = []Ace{allow(Users, rRead), allow(Root, rRead|rDelete)}
)

// may reports whether user may use right ("read", "update", "delete") on d.
func (d DocSpec) may(right, user string, bypass bool) bool {
	if bypass && user == Root {
		return true
	}
	set := map[string]string{"read": d.Read, "update": d.Update, "delete": d.Delete}[right]
	return slices.Contains(strings.Fields(set), user)
}

// tag is the distinct value of d: unique, so distinct rows show exactly
// which documents were visible.
func (d DocSpec) tag() string { return "t-" + d.ID }

// readable lists the matrix documents user may read, in matrix order.
func readable(user string, bypass bool) []DocSpec {
	var out []DocSpec
	for _, d := range Docs {
		if d.may("read", user, bypass) {
			out = append(out, d)
		}
	}
	return out
}

// copyID is the fresh copy a write row works on.
func copyID(doc, user, verb string) string { return doc + "-" + user + "-" + verb }

// writeVerbs are the verbs that get their own copy of every document.
var writeVerbs = []string{"replace", "patch", "delete"}

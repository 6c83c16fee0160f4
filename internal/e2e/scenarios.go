package e2e

// Scenarios beyond the matrix: aggregate stages that would reach past the
// caller's documents, writes into the system collection, the grant rules and
// role membership changes. Each row works on documents of its own.

// GrantColl holds the documents of the grant and membership rows.
const GrantColl = "grants"

// stolen is where $out and $merge would write.
const stolen = "stolen"

// escapes are aggregate stages that would read other documents or
// collections, or write; the pipeline language has none of them.
var escapes = []struct {
	name  string
	stage map[string]any
}{
	{"lookup", map[string]any{"$lookup": map[string]any{"from": "users", "localField": "tag", "foreignField": "username", "as": "x"}}},
	{"unionwith", map[string]any{"$unionWith": map[string]any{"coll": "users"}}},
	{"graphlookup", map[string]any{"$graphLookup": map[string]any{"from": Coll, "startWith": "$tag", "connectFromField": "tag", "connectToField": "tag", "as": "x"}}},
	{"out", map[string]any{"$out": stolen}},
	{"merge", map[string]any{"$merge": map[string]any{"into": stolen}}},
	{"facet", map[string]any{"$facet": map[string]any{"all": []any{map[string]any{"$match": map[string]any{}}}}}},
}

// EscapeRows: every caller, every escaping stage, placed after a harmless
// $match so later stages are checked too. Nothing may change: no new
// collection, and the caller still counts what it could count before.
func EscapeRows(bypass bool) []Row {
	var rows []Row
	for _, user := range Callers {
		for _, e := range escapes {
			pipeline := []any{map[string]any{"$match": kindA}, e.stage}
			rows = append(rows, Row{User: user, Doc: "all", Verb: "aggregate-" + e.name, Steps: []Step{
				{As: user, Call: Call{Verb: vAggregate, Coll: Coll, Pipeline: pipeline}, Want: Want{Code: codeInvalid, NoCollection: stolen}},
				{As: user, Call: Call{Verb: vCount, Coll: Coll}, Want: Want{Count: count(len(readable(user, bypass)))}},
			}})
		}
	}
	return rows
}

// SystemRows: the users collection belongs to the identity service, so the
// document API refuses every write to it, to admins too.
func SystemRows() []Row {
	var rows []Row
	for _, user := range []string{"alice", "eve", Root} {
		self := "@" + user
		for _, r := range []struct {
			verb string
			call Call
		}{
			{"insert", Call{Verb: vInsert, Coll: "users", Body: map[string]any{"_id": "sys-" + user, "_type": "user", "username": "mallory"}}},
			{"replace-self", Call{Verb: vReplace, Coll: "users", ID: self, Body: map[string]any{"_type": "user", "username": user, "name": "x"}}},
			{"patch-acl-self", Call{Verb: vPatch, Coll: "users", ID: self, Body: map[string]any{}, ACL: []Ace{allow(user, rAll)}}},
			{"patch-role", Call{Verb: vPatch, Coll: "users", ID: "@staff", Body: map[string]any{"members": []any{}}}},
			{"delete-bob", Call{Verb: vDelete, Coll: "users", ID: "@bob"}},
			{"delete-admins", Call{Verb: vDelete, Coll: "users", ID: Admins}},
		} {
			rows = append(rows, single(user, "users", r.verb, r.call, Want{Code: codeDenied}))
		}
	}
	return rows
}

func seedGrant(id string, acl ...Ace) Step {
	return Step{As: Root, Call: Call{Verb: vInsert, Coll: GrantColl, Body: map[string]any{"_id": id, "rev": 1}, ACL: acl}}
}

func getAs(as, id, code string) Step {
	return Step{As: as, Call: Call{Verb: vGet, Coll: GrantColl, ID: id}, Want: Want{Code: code}}
}

func setACL(as, id, code string, acl ...Ace) Step {
	return Step{As: as, Call: Call{Verb: vReplace, Coll: GrantColl, ID: id, Body: map[string]any{"rev": 2}, ACL: acl}, Want: Want{Code: code}}
}

func byID(id string) map[string]any { return map[string]any{"_id": id} }

// GrantRows: changing _acl needs manage, and nobody hands out a right they
// do not hold, neither by an allow nor by lifting a deny.
func GrantRows(bypass bool) []Row {
	rum := rRead | rUpdate | rManage
	rootNoACL := codeNotFound
	if bypass {
		rootNoACL = codeOK
	}
	return []Row{
		{User: "alice", Doc: "g-nomanage", Verb: "replace-acl", Steps: []Step{
			seedGrant("g-nomanage", allow("alice", rRead|rUpdate), allow("bob", rRead)),
			setACL("alice", "g-nomanage", codeDenied, allow("alice", rRead|rUpdate), allow("bob", rRead), allow("carol", rRead)),
			{As: "alice", Call: Call{Verb: vPatch, Coll: GrantColl, ID: "g-nomanage", Body: map[string]any{}, ACL: []Ace{allow("alice", rRead|rUpdate), allow("carol", rRead)}}, Want: Want{Code: codeDenied}},
			getAs("carol", "g-nomanage", codeNotFound),
			// Update itself is allowed, and keeps the ACL.
			{As: "alice", Call: Call{Verb: vReplace, Coll: GrantColl, ID: "g-nomanage", Body: map[string]any{"rev": 2}}, Want: Want{ACL: []Ace{allow("alice", rRead|rUpdate), allow("bob", rRead)}}},
		}},
		{User: "alice", Doc: "g-beyond", Verb: "grant-unheld", Steps: []Step{
			seedGrant("g-beyond", allow("alice", rum)),
			setACL("alice", "g-beyond", codeDenied, allow("alice", rum), allow("bob", rRead|rDelete)),
			getAs("bob", "g-beyond", codeNotFound),
			setACL("alice", "g-beyond", codeDenied, allow("alice", rum|rDelete)),
			{As: "alice", Call: Call{Verb: vDelete, Coll: GrantColl, ID: "g-beyond"}, Want: Want{Code: codeDenied}},
		}},
		{User: "alice", Doc: "g-liftdeny", Verb: "lift-unheld", Steps: []Step{
			seedGrant("g-liftdeny", allow("alice", rum), allow("bob", rRead|rDelete), deny("bob", rDelete)),
			{As: "bob", Call: Call{Verb: vDelete, Coll: GrantColl, ID: "g-liftdeny"}, Want: Want{Code: codeDenied}},
			setACL("alice", "g-liftdeny", codeDenied, allow("alice", rum), allow("bob", rRead|rDelete)),
			{As: "bob", Call: Call{Verb: vDelete, Coll: GrantColl, ID: "g-liftdeny"}, Want: Want{Code: codeDenied}},
			// Widening a deny takes nothing she lacks.
			setACL("alice", "g-liftdeny", codeOK, allow("alice", rum), allow("bob", rRead|rDelete), deny("bob", rRead|rDelete)),
			getAs("bob", "g-liftdeny", codeNotFound),
		}},
		{User: "alice", Doc: "g-liftread", Verb: "lift-held", Steps: []Step{
			seedGrant("g-liftread", allow("alice", rum), allow("bob", rRead), deny("bob", rRead)),
			getAs("bob", "g-liftread", codeNotFound),
			setACL("alice", "g-liftread", codeOK, allow("alice", rum), allow("bob", rRead)),
			getAs("bob", "g-liftread", codeOK),
		}},
		{User: "alice", Doc: "g-grant", Verb: "grant-read", Steps: []Step{
			seedGrant("g-grant", allow("alice", rum)),
			getAs("bob", "g-grant", codeNotFound),
			{As: "alice", Call: Call{Verb: vReplace, Coll: GrantColl, ID: "g-grant", Body: map[string]any{"rev": 2}, ACL: []Ace{allow("alice", rum), allow("bob", rRead)}},
				Want: Want{ACL: []Ace{allow("alice", rum), allow("bob", rRead)}}},
			getAs("bob", "g-grant", codeOK),
			{As: "bob", Call: Call{Verb: vQuery, Coll: GrantColl, Filter: byID("g-grant")}, Want: Want{IDs: []string{"g-grant"}}},
			{As: "bob", Call: Call{Verb: vReplace, Coll: GrantColl, ID: "g-grant", Body: map[string]any{"rev": 3}}, Want: Want{Code: codeDenied}},
			getAs("eve", "g-grant", codeNotFound),
		}},
		{User: "dave", Doc: "g-rolemanage", Verb: "grant-read", Steps: []Step{
			seedGrant("g-rolemanage", allow("eng", rum)),
			getAs("eve", "g-rolemanage", codeNotFound),
			setACL("dave", "g-rolemanage", codeOK, allow("eng", rum), allow("eve", rRead)),
			getAs("eve", "g-rolemanage", codeOK),
			setACL("dave", "g-rolemanage", codeDenied, allow("eng", rum), allow("eve", rRead), allow("alice", rRead|rDelete)),
		}},
		{User: "alice", Doc: "g-noacl", Verb: "insert", Steps: []Step{
			{As: "alice", Call: Call{Verb: vInsert, Coll: GrantColl, Body: map[string]any{"_id": "g-noacl", "rev": 1}},
				Want: Want{Version: 1, ACL: []Ace{allow("alice", rAll)}}},
			getAs("alice", "g-noacl", codeOK),
			getAs("bob", "g-noacl", codeNotFound),
			getAs("carol", "g-noacl", codeNotFound),
			getAs("dave", "g-noacl", codeNotFound),
			getAs("eve", "g-noacl", codeNotFound),
			getAs(Root, "g-noacl", rootNoACL),
			{As: "bob", Call: Call{Verb: vQuery, Coll: GrantColl, Filter: byID("g-noacl")}, Want: Want{IDs: []string{}}},
			{As: "bob", Call: Call{Verb: vCount, Coll: GrantColl, Filter: byID("g-noacl")}, Want: Want{Count: count(0)}},
			{As: "bob", Call: Call{Verb: vDelete, Coll: GrantColl, ID: "g-noacl"}, Want: Want{Code: codeNotFound}},
			// Full rights include manage: the creator may share it.
			setACL("alice", "g-noacl", codeOK, allow("alice", rAll), allow("bob", rRead)),
			getAs("bob", "g-noacl", codeOK),
		}},
	}
}

// MembershipRows: membership changes on the admin surface take effect on the
// very next request, through nesting too (frank ∈ inner ⊂ outer).
func MembershipRows() []Row {
	const doc = "g-member"
	members := func(role string, names ...string) Step {
		if names == nil {
			names = []string{}
		}
		return Step{As: asAdmin, Call: Call{Verb: vSetMembers, ID: role, Members: names}}
	}
	return []Row{{User: "frank", Doc: doc, Verb: "set-members", Steps: []Step{
		seedGrant(doc, allow("outer", rRead)),
		getAs("frank", doc, codeNotFound),
		members("@inner", "@frank"),
		getAs("frank", doc, codeOK),
		{As: "frank", Call: Call{Verb: vCount, Coll: GrantColl, Filter: byID(doc)}, Want: Want{Count: count(1)}},
		members("@outer"),
		getAs("frank", doc, codeNotFound),
		{As: "frank", Call: Call{Verb: vQuery, Coll: GrantColl, Filter: byID(doc)}, Want: Want{IDs: []string{}}},
		members("@outer", "@inner"),
		getAs("frank", doc, codeOK),
		members("@inner"),
		getAs("frank", doc, codeNotFound),
	}}}
}

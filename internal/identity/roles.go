package identity

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
	"rampart.dev/rampart/internal/store"
)

// MaxMembers bounds one role's member list.
const MaxMembers = 10000

func checkRoleName(name string) error {
	ok := len(name) > 0 && len(name) <= 63 && name[0] >= 'a' && name[0] <= 'z'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	if !ok {
		return errs.E(errs.InvalidArgument, "role name must be 1-63 of a-z, 0-9, '_', '-', '.', starting with a letter")
	}
	return nil
}

// CreateRole makes a role with the given members; only admins may.
func (s *Service) CreateRole(ctx context.Context, p acl.Principals, name string, memberIDs []string) (store.Doc, error) {
	if err := admin(p); err != nil {
		return store.Doc{}, err
	}
	if err := checkRoleName(name); err != nil {
		return store.Doc{}, err
	}
	var out store.Doc
	err := s.write(ctx, func(tx store.Tx) error {
		if err := checkMembers(tx, "", memberIDs); err != nil {
			return err
		}
		id := store.NewID()
		if err := insertRole(tx, id, name, memberIDs); err != nil {
			return err
		}
		var err error
		if out, err = tx.Get(Collection, id); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.RoleCreate, Actor: p.User, Subject: id,
			Data: map[string]any{"name": name, "members": memberIDs}})
	})
	return out, err
}

// insertRole stores a role document and claims its name.
func insertRole(tx store.Tx, id, name string, memberIDs []string) error {
	if _, err := tx.Record(kindRolename, name); err == nil {
		return errs.E(errs.Conflict, "role %q exists", name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if memberIDs == nil {
		memberIDs = []string{}
	}
	d := store.Doc{
		Collection: Collection, ID: id, CreatedBy: System.User,
		Fields: map[string]any{store.FieldType: TypeRole, "name": name, "members": toAny(memberIDs)},
		ACL:    roleACL(id),
	}
	if _, err := tx.Insert(d); err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindRolename, ID: name, Owner: id})
}

// roleACL lets members see the role they are in and admins manage it.
func roleACL(id string) acl.List {
	if id == acl.RoleAdmins {
		return acl.List{{ID: acl.RoleAdmins, Rights: acl.All}}
	}
	return acl.List{{ID: id, Rights: acl.Read}, {ID: acl.RoleAdmins, Rights: acl.All}}
}

func toAny(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// checkMembers requires every member to be an existing user or role.
func checkMembers(tx store.Tx, role string, ids []string) error {
	if len(ids) > MaxMembers {
		return errs.E(errs.InvalidArgument, "a role has at most %d members", MaxMembers)
	}
	if role == acl.RoleUsers {
		return errs.E(errs.InvalidArgument, "every signed-in user is a member of %q; it takes no members", acl.RoleUsers)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return errs.E(errs.InvalidArgument, "member %.64q is listed twice", id)
		}
		seen[id] = true
		if !acl.ValidPrincipalID(id) {
			return errs.E(errs.InvalidArgument, "member %.64q is not a valid principal id", id)
		}
		if _, err := tx.Get(Collection, id); errors.Is(err, store.ErrNotFound) {
			return errs.E(errs.InvalidArgument, "member %.64q is not a user or role", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// SetMembers replaces a role's member list.
func (s *Service) SetMembers(ctx context.Context, p acl.Principals, role string, memberIDs []string) (store.Doc, error) {
	if err := errors.Join(admin(p), checkID(role)); err != nil {
		return store.Doc{}, firstTyped(err)
	}
	if memberIDs == nil {
		memberIDs = []string{}
	}
	var out store.Doc
	err := s.write(ctx, func(tx store.Tx) error {
		if err := checkMembers(tx, role, memberIDs); err != nil {
			return err
		}
		var err error
		out, err = tx.Update(Collection, role, func(d store.Doc) (store.Doc, error) {
			if d.Fields[store.FieldType] != TypeRole {
				return d, store.ErrNotFound
			}
			d.Fields["members"], d.ModifiedBy = toAny(memberIDs), p.User
			return d, nil
		})
		if err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.RoleMembers, Actor: p.User, Subject: role, Data: map[string]any{"members": memberIDs}})
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Doc{}, errs.E(errs.NotFound, "role not found")
	}
	return out, err
}

// DeleteRole removes a custom role; built-in roles stay.
func (s *Service) DeleteRole(ctx context.Context, p acl.Principals, id string) error {
	if err := errors.Join(admin(p), checkID(id)); err != nil {
		return firstTyped(err)
	}
	if id == acl.RoleAdmins || id == acl.RoleUsers {
		return errs.E(errs.FailedPrecondition, "built-in roles cannot be deleted")
	}
	parents, err := s.rolesListing(ctx, id)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx store.Tx) error {
		d, err := tx.Delete(Collection, id, func(d store.Doc) error {
			if d.Fields[store.FieldType] != TypeRole {
				return store.ErrNotFound
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range parents {
			if err := removeMember(tx, r, id, p.User); err != nil {
				return err
			}
		}
		name, _ := d.Fields["name"].(string)
		if err := deleteIfThere(tx, kindRolename, name); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.RoleDelete, Actor: p.User, Subject: id, Data: map[string]any{"name": name}})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errs.E(errs.NotFound, "role not found")
	}
	return err
}

// ListRoles returns a page of roles for admins.
func (s *Service) ListRoles(ctx context.Context, p acl.Principals, limit int, after string) ([]store.Doc, error) {
	if err := admin(p); err != nil {
		return nil, err
	}
	return s.list(ctx, p, TypeRole, limit, after)
}

func (s *Service) list(ctx context.Context, p acl.Principals, typ string, limit int, after string) ([]store.Doc, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	raw, _ := json.Marshal(map[string]string{store.FieldType: typ})
	f, err := query.ParseFilter(raw, query.DefaultLimits())
	if err != nil {
		return nil, err
	}
	find := store.Find{Filter: f, Limit: limit}
	if after != "" {
		find.After = &query.Cursor{ID: after}
	}
	return s.st.Find(ctx, Collection, p, find)
}

// rolesListing returns the roles whose member list holds id.
func (s *Service) rolesListing(ctx context.Context, id string) ([]string, error) {
	graph, err := loadGraph(ctx, s.st)
	if err != nil {
		return nil, err
	}
	return slices.Clone(graph[id]), nil
}

func removeMember(tx store.Tx, role, member, by string) error {
	_, err := tx.Update(Collection, role, func(d store.Doc) (store.Doc, error) {
		d.Fields["members"] = toAny(slices.DeleteFunc(members(d), func(m string) bool { return m == member }))
		d.ModifiedBy = by
		return d, nil
	})
	return err
}

// GetRole returns a role document for admins.
func (s *Service) GetRole(ctx context.Context, p acl.Principals, id string) (store.Doc, error) {
	if err := errors.Join(admin(p), checkID(id)); err != nil {
		return store.Doc{}, firstTyped(err)
	}
	d, err := s.st.Get(ctx, Collection, id)
	if errs.Is(err, errs.NotFound) || err == nil && d.Fields[store.FieldType] != TypeRole {
		return store.Doc{}, errs.E(errs.NotFound, "role not found")
	}
	return d, err
}

package identity

import (
	"context"
	"errors"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Self-service accounts: registration when it is switched on, and each
// user's own profile.

// ErrRegistrationOff is the answer to registration while it is switched
// off: the endpoint behaves as if it did not exist.
var ErrRegistrationOff = errs.E(errs.NotFound, "self-registration is not enabled")

// Register creates an ordinary user (no roles beyond the implicit users)
// for anyone, under the same rules as CreateUser. The user, its secrets and
// the audit entry commit together.
func (s *Service) Register(ctx context.Context, u NewUser, m Meta) (store.Doc, error) {
	if !s.opt.Registration {
		return store.Doc{}, ErrRegistrationOff
	}
	name, err := normalizeUsername(u.Username)
	if err != nil {
		return store.Doc{}, err
	}
	if err := errors.Join(checkProfile("name", u.Name), checkProfile("email", u.Email), s.checkPassword(u.Password, name)); err != nil {
		return store.Doc{}, firstTyped(err)
	}
	hash, err := s.hasher.Hash(ctx, u.Password)
	if err != nil {
		return store.Doc{}, err
	}
	id := store.NewID()
	d := store.Doc{
		Collection: Collection, ID: id, CreatedBy: id,
		Fields: map[string]any{store.FieldType: TypeUser, "username": name, "name": u.Name, "email": u.Email, "disabled": false},
		ACL:    acl.List{{ID: id, Rights: acl.Read}, {ID: acl.RoleAdmins, Rights: acl.All}},
	}
	var out store.Doc
	err = s.write(ctx, func(tx store.Tx) error {
		if _, err := tx.Record(kindUsername, name); err == nil {
			return errs.E(errs.Conflict, "username %q is taken", name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if out, err = tx.Insert(d); err != nil {
			return err
		}
		if err := tx.PutRecord(store.Record{Kind: kindUsername, ID: name, Owner: id}); err != nil {
			return err
		}
		if err := tx.PutRecord(store.Record{Kind: kindPassword, ID: id, Owner: id, Data: []byte(hash)}); err != nil {
			return err
		}
		ev := audit.Event{Kind: audit.Registration, Actor: id, Subject: id, Addr: m.Addr, Data: map[string]any{"username": name}}
		_, err := audit.Append(tx, ev, s.now())
		return err
	})
	return out, err
}

// ProfilePatch is what users may change about themselves; nil fields stay.
type ProfilePatch struct {
	Name  *string `json:"name,omitempty"`
	Email *string `json:"email,omitempty"`
}

// UpdateProfile changes the caller's own name and email.
func (s *Service) UpdateProfile(ctx context.Context, c Caller, patch ProfilePatch, m Meta) (store.Doc, error) {
	if c.User == "" || c.Key != "" {
		return store.Doc{}, errs.E(errs.PermissionDenied, "change a profile from a signed-in session, not with an API key")
	}
	var fields []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", patch.Name}, {"email", patch.Email}} {
		if f.v == nil {
			continue
		}
		if err := checkProfile(f.name, *f.v); err != nil {
			return store.Doc{}, err
		}
		fields = append(fields, f.name)
	}
	cur, err := s.GetUser(ctx, c.Principals, c.User)
	if err != nil || len(fields) == 0 {
		return cur, err
	}
	var out store.Doc
	err = s.write(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Update(Collection, c.User, func(d store.Doc) (store.Doc, error) {
			if d.Fields[store.FieldType] != TypeUser {
				return d, errs.E(errs.NotFound, "user not found")
			}
			setIf(d.Fields, "name", patch.Name)
			setIf(d.Fields, "email", patch.Email)
			d.ModifiedBy = c.User
			return d, nil
		})
		if err != nil {
			return err
		}
		ev := audit.Event{Kind: audit.UserUpdate, Actor: c.User, Subject: c.User, Addr: m.Addr, Data: map[string]any{"fields": fields}}
		_, err = audit.Append(tx, ev, s.now())
		return err
	})
	return out, err
}

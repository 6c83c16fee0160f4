package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// NewUser is what an admin sends to create a user.
type NewUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
}

// UserPatch changes a user; nil fields stay as they are.
type UserPatch struct {
	Name     *string `json:"name,omitempty"`
	Email    *string `json:"email,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
	Password *string `json:"password,omitempty"`
}

const maxProfileField = 256

// normalizeUsername lower-cases a username and checks its shape: 1-128 of
// a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit.
func normalizeUsername(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errs.E(errs.InvalidArgument, "username is not valid UTF-8")
	}
	name = strings.ToLower(name)
	if len(name) == 0 || len(name) > 128 {
		return "", errs.E(errs.InvalidArgument, "username must be 1-128 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && strings.IndexByte("._@-", c) >= 0
		if !ok {
			return "", errs.E(errs.InvalidArgument, "username may hold a-z, 0-9, '.', '_', '@' and '-', starting with a letter or digit")
		}
	}
	return name, nil
}

func (s *Service) checkPassword(pw, username string) error {
	return CheckPassword(pw, username, s.opt.MinPasswordLength, s.opt.MaxPasswordLength)
}

// CheckPassword applies the password policy: valid UTF-8, min to max
// characters, not the username, not a common password. Host-side tools
// call it before they touch the database.
func CheckPassword(pw, username string, min, max int) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errs.E(errs.InvalidArgument, "password is not valid UTF-8")
	case n < min || n > max:
		return errs.E(errs.InvalidArgument, "password must be %d to %d characters", min, max)
	case strings.EqualFold(pw, username):
		return errs.E(errs.InvalidArgument, "password must not be the username")
	case isCommonPassword(pw):
		return errs.E(errs.InvalidArgument, "password is one of the most common passwords; choose another")
	}
	return nil
}

func checkProfile(field, v string) error {
	if !utf8.ValidString(v) || len(v) > maxProfileField || strings.IndexByte(v, 0) >= 0 {
		return errs.E(errs.InvalidArgument, "%s must be valid UTF-8 without NUL, at most %d bytes", field, maxProfileField)
	}
	return nil
}

// checkID refuses ids that cannot name a principal before any lookup.
func checkID(id string) error {
	if !acl.ValidPrincipalID(id) {
		return errs.E(errs.InvalidArgument, "id must be 1-128 letters, digits, '-', '_', '.' or ':'")
	}
	return nil
}

// CreateUser makes a user; only admins may.
func (s *Service) CreateUser(ctx context.Context, p acl.Principals, u NewUser) (store.Doc, error) {
	if err := admin(p); err != nil {
		return store.Doc{}, err
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
		Collection: Collection, ID: id, CreatedBy: p.User,
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
		return s.audit(tx, audit.Event{Kind: audit.UserCreate, Actor: p.User, Subject: id, Data: map[string]any{"username": name}})
	})
	return out, err
}

// firstTyped returns the first typed error of a joined set.
func firstTyped(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

// write commits fn and then drops this node's cache; other nodes drop
// theirs when they see the change log move.
func (s *Service) write(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.st.Write(ctx, fn)
	s.dir.reset()
	return err
}

// GetUser returns a user document; admins see anyone, users themselves.
func (s *Service) GetUser(ctx context.Context, p acl.Principals, id string) (store.Doc, error) {
	if err := checkID(id); err != nil {
		return store.Doc{}, err
	}
	if p.User != id {
		if err := admin(p); err != nil {
			return store.Doc{}, err
		}
	}
	d, err := s.st.Get(ctx, Collection, id)
	if errs.Is(err, errs.NotFound) || err == nil && d.Fields[store.FieldType] != TypeUser {
		return store.Doc{}, errs.E(errs.NotFound, "user not found")
	}
	return d, err
}

// ListUsers returns a page of users for admins.
func (s *Service) ListUsers(ctx context.Context, p acl.Principals, limit int, after string) ([]store.Doc, error) {
	if err := admin(p); err != nil {
		return nil, err
	}
	return s.list(ctx, p, TypeUser, limit, after)
}

// UpdateUser changes a user's profile, state or password.
func (s *Service) UpdateUser(ctx context.Context, p acl.Principals, id string, patch UserPatch) (store.Doc, error) {
	if err := admin(p); err != nil {
		return store.Doc{}, err
	}
	cur, err := s.GetUser(ctx, p, id)
	if err != nil {
		return store.Doc{}, err
	}
	hash, err := s.newHash(ctx, patch.Password, cur)
	if err != nil {
		return store.Doc{}, err
	}
	for field, v := range map[string]*string{"name": patch.Name, "email": patch.Email} {
		if v != nil {
			if err := checkProfile(field, *v); err != nil {
				return store.Doc{}, err
			}
		}
	}
	var out store.Doc
	var gone []string
	err = s.write(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Update(Collection, id, func(d store.Doc) (store.Doc, error) {
			setIf(d.Fields, "name", patch.Name)
			setIf(d.Fields, "email", patch.Email)
			if patch.Disabled != nil {
				d.Fields["disabled"] = *patch.Disabled
			}
			d.ModifiedBy = p.User
			return d, nil
		})
		if err != nil {
			return err
		}
		if hash != "" {
			if err := tx.PutRecord(store.Record{Kind: kindPassword, ID: id, Owner: id, Data: []byte(hash)}); err != nil {
				return err
			}
		}
		// A disabled account or a password set by an admin ends every
		// session the user had.
		if hash != "" || patch.Disabled != nil && *patch.Disabled {
			if gone, err = s.revokeAll(ctx, tx, id, ""); err != nil {
				return err
			}
		}
		return s.auditUpdate(tx, p.User, id, patch)
	})
	for _, sid := range gone {
		s.revoked("session:" + sid)
	}
	return out, err
}

// auditUpdate records which fields an admin changed, never their values
// where they are secret.
func (s *Service) auditUpdate(tx store.Tx, actor, id string, patch UserPatch) error {
	var fields []string
	for name, set := range map[string]bool{"name": patch.Name != nil, "email": patch.Email != nil, "password": patch.Password != nil} {
		if set {
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	if len(fields) > 0 {
		if err := s.audit(tx, audit.Event{Kind: audit.UserUpdate, Actor: actor, Subject: id, Data: map[string]any{"fields": fields}}); err != nil {
			return err
		}
	}
	if patch.Disabled == nil {
		return nil
	}
	kind := audit.UserEnable
	if *patch.Disabled {
		kind = audit.UserDisable
	}
	return s.audit(tx, audit.Event{Kind: kind, Actor: actor, Subject: id})
}

func setIf(m map[string]any, k string, v *string) {
	if v != nil {
		m[k] = *v
	}
}

func (s *Service) newHash(ctx context.Context, pw *string, user store.Doc) (string, error) {
	if pw == nil {
		return "", nil
	}
	name, _ := user.Fields["username"].(string)
	if err := s.checkPassword(*pw, name); err != nil {
		return "", err
	}
	return s.hasher.Hash(ctx, *pw)
}

// DeleteUser removes a user, its secrets and its role memberships.
func (s *Service) DeleteUser(ctx context.Context, p acl.Principals, id string) error {
	if err := admin(p); err != nil {
		return err
	}
	if id == p.User {
		return errs.E(errs.FailedPrecondition, "you cannot delete yourself")
	}
	cur, err := s.GetUser(ctx, p, id)
	if err != nil {
		return err
	}
	roles, err := s.rolesListing(ctx, id)
	if err != nil {
		return err
	}
	name, _ := cur.Fields["username"].(string)
	var gone []string
	defer func() {
		for _, ref := range gone {
			s.revoked(ref)
		}
	}()
	return s.write(ctx, func(tx store.Tx) error {
		if _, err := tx.Delete(Collection, id, func(store.Doc) error { return nil }); err != nil {
			return err
		}
		var err error
		if gone, err = s.purge(ctx, tx, id); err != nil {
			return err
		}
		for _, r := range roles {
			if err := removeMember(tx, r, id, p.User); err != nil {
				return err
			}
		}
		if err := deleteIfThere(tx, kindUsername, name); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.UserDelete, Actor: p.User, Subject: id, Data: map[string]any{"username": name}})
	})
}

// ownedKinds are the record kinds that belong to one user; deleting the
// user deletes them all.
var ownedKinds = []string{
	kindSession, kindAPIKey, kindPassword, kindTOTP, kindRecovery, kindMFAPending, kindLoginGuard, kindBreakglass,
}

// purge deletes every record a user owns and returns the cached
// credentials (sessions, API keys) every node must drop.
func (s *Service) purge(ctx context.Context, tx store.Tx, user string) ([]string, error) {
	var gone []string
	for _, kind := range ownedKinds {
		recs, err := s.st.Records(ctx, kind, user)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if err := deleteIfThere(tx, kind, r.ID); err != nil {
				return nil, err
			}
			switch kind {
			case kindSession:
				gone = append(gone, "session:"+r.ID)
			case kindAPIKey:
				gone = append(gone, "apikey:"+r.ID)
			}
		}
	}
	return gone, nil
}

func deleteIfThere(tx store.Tx, kind, id string) error {
	if err := tx.DeleteRecord(kind, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

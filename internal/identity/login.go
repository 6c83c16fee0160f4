package identity

import (
	"context"
	"errors"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/token"
)

// Tokens is what a successful sign-in returns.
type Tokens struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// maxCredential bounds usernames and passwords on the wire, before any work.
const maxCredential = 1024

// Login checks a username and password and issues an access token. Unknown
// users cost as much as wrong passwords and get the same answer.
func (s *Service) Login(ctx context.Context, username, pw string) (Tokens, error) {
	if !s.opt.LocalLogin {
		return Tokens{}, errs.E(errs.FailedPrecondition, "password sign-in is switched off")
	}
	if len(username) > maxCredential || len(pw) > maxCredential {
		return Tokens{}, errs.E(errs.InvalidArgument, "username or password too long")
	}
	user, err := s.checkCredentials(ctx, username, pw)
	if err != nil {
		return Tokens{}, err
	}
	if _, err := s.dir.principals(ctx, user); err != nil {
		return Tokens{}, errBadLogin
	}
	tok, claims, err := s.keys.Issue(user, store.NewID())
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(claims.Expiry.Sub(claims.IssuedAt).Seconds())}, nil
}

// checkCredentials returns the user id for a correct username and password.
func (s *Service) checkCredentials(ctx context.Context, username, pw string) (string, error) {
	name, err := normalizeUsername(username)
	if err != nil {
		return "", s.fail(ctx, pw)
	}
	rec, err := s.st.Record(ctx, kindUsername, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", s.fail(ctx, pw)
	}
	if err != nil {
		return "", err
	}
	user := rec.Owner
	hash, err := s.st.Record(ctx, kindPassword, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", s.fail(ctx, pw)
	}
	if err != nil {
		return "", err
	}
	ok, rehash, err := s.hasher.Verify(ctx, string(hash.Data), pw)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errBadLogin
	}
	if rehash {
		s.rehash(ctx, user, pw)
	}
	return user, nil
}

// fail spends a verification's worth of work, then refuses.
func (s *Service) fail(ctx context.Context, pw string) error {
	if err := s.hasher.Dummy(ctx, pw); err != nil {
		return err
	}
	return errBadLogin
}

// rehash upgrades a stored hash to the current parameters; failure only
// means the upgrade waits for the next sign-in.
func (s *Service) rehash(ctx context.Context, user, pw string) {
	h, err := s.hasher.Hash(ctx, pw)
	if err == nil {
		err = s.st.Write(ctx, func(tx store.Tx) error {
			return tx.PutRecord(store.Record{Kind: kindPassword, ID: user, Owner: user, Data: []byte(h)})
		})
	}
	if err != nil {
		s.log.Warn("password rehash failed", "user", user, "err", err)
	}
}

// Authenticate verifies an access token and resolves who it speaks for.
func (s *Service) Authenticate(ctx context.Context, tok string) (acl.Principals, token.Claims, error) {
	claims, err := s.keys.Verify(tok)
	if err != nil {
		return acl.Principals{}, token.Claims{}, err
	}
	p, err := s.dir.principals(ctx, claims.Subject)
	return p, claims, err
}

// Me returns the caller's user document and resolved role ids.
func (s *Service) Me(ctx context.Context, p acl.Principals) (store.Doc, []string, error) {
	d, err := s.GetUser(ctx, p, p.User)
	if err != nil {
		return store.Doc{}, nil, err
	}
	var roles []string
	for _, id := range p.IDs {
		if id != p.User {
			roles = append(roles, id)
		}
	}
	return d, roles, nil
}

// AddToAdmins makes a user an admin; the host-side "admin create" uses it.
func (s *Service) AddToAdmins(ctx context.Context, user string) error {
	return s.write(ctx, func(tx store.Tx) error {
		_, err := tx.Update(Collection, acl.RoleAdmins, func(d store.Doc) (store.Doc, error) {
			m := members(d)
			for _, id := range m {
				if id == user {
					return d, nil
				}
			}
			d.Fields["members"] = toAny(append(m, user))
			return d, nil
		})
		return err
	})
}

// HasAdmin reports whether the admins role has any member.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	d, err := s.st.Get(ctx, Collection, acl.RoleAdmins)
	if err != nil {
		return false, err
	}
	return len(members(d)) > 0, nil
}

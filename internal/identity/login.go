package identity

import (
	"context"
	"errors"
	"slices"
	"strings"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/token"
)

// Tokens is what a successful sign-in or refresh returns.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// LoginResult is either tokens or, when a second factor is needed, the
// challenge that POST /api/v1/auth/mfa answers.
type LoginResult struct {
	Tokens *Tokens
	MFA    *MFAChallenge
}

// MFAChallenge links a correct password to the second step of sign-in.
type MFAChallenge struct {
	Required bool   `json:"mfa_required"`
	Token    string `json:"mfa_token"`
}

// maxCredential bounds usernames and passwords on the wire, before any work.
const maxCredential = 1024

// scopeEnrol limits an access token to enrolling a second factor.
const scopeEnrol = "mfa_enrol"

// Login checks a username and password and starts a session. Unknown users
// cost as much as wrong passwords and get the same answer.
func (s *Service) Login(ctx context.Context, username, pw string, m Meta) (LoginResult, error) {
	if !s.opt.LocalLogin {
		return LoginResult{}, errs.E(errs.FailedPrecondition, "password sign-in is switched off")
	}
	if len(username) > maxCredential || len(pw) > maxCredential {
		return LoginResult{}, errs.E(errs.InvalidArgument, "username or password too long")
	}
	user, err := s.checkCredentials(ctx, username, pw, m)
	if err != nil {
		return LoginResult{}, err
	}
	if _, err := s.dir.principals(ctx, user); err != nil {
		// A correct password for a disabled account: refused like a wrong
		// one, and audited.
		werr := s.st.Write(ctx, func(tx store.Tx) error {
			return s.audit(tx, audit.Event{Kind: audit.LoginFailure, Actor: user, Subject: user, Addr: m.Addr,
				Data: map[string]any{"reason": "disabled"}})
		})
		return LoginResult{}, errors.Join(errBadLogin, werr)
	}
	challenge, enrol, err := s.secondFactor(ctx, user, m)
	if err != nil || challenge != nil {
		return LoginResult{MFA: challenge}, err
	}
	tokens, err := s.startSession(ctx, user, m, []string{"pwd"}, enrol)
	return LoginResult{Tokens: &tokens}, err
}

// scopeFor narrows the tokens of a session that may only enrol a factor.
func (s *Service) scopeFor(ses session) []token.IssueOption {
	if ses.Enrol {
		return []token.IssueOption{token.WithScope(scopeEnrol)}
	}
	return nil
}

// checkCredentials returns the user id for a correct username and password.
// Every attempt, right or wrong, known user or not, passes the account
// guard before and after the check.
func (s *Service) checkCredentials(ctx context.Context, username, pw string, m Meta) (string, error) {
	name, err := normalizeUsername(username)
	if err != nil {
		return "", s.fail(ctx, pw)
	}
	user, err := s.lookupUser(ctx, name)
	if err != nil {
		return "", err
	}
	if err := s.beforeLogin(ctx, name, user, m); err != nil {
		return "", err
	}
	ok, err := s.verifyPassword(ctx, user, pw)
	if err != nil {
		return "", err
	}
	if err := s.afterLogin(ctx, name, user, ok, m); err != nil {
		return "", err
	}
	if !ok {
		return "", errBadLogin
	}
	return user, nil
}

// lookupUser maps a username to its user id, "" when there is none.
func (s *Service) lookupUser(ctx context.Context, name string) (string, error) {
	rec, err := s.st.Record(ctx, kindUsername, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return rec.Owner, err
}

// verifyPassword checks pw against user's hash; an unknown user or one
// without a password costs the same and fails.
func (s *Service) verifyPassword(ctx context.Context, user, pw string) (bool, error) {
	if user == "" {
		return false, s.hasher.Dummy(ctx, pw)
	}
	hash, err := s.st.Record(ctx, kindPassword, user)
	if errors.Is(err, store.ErrNotFound) {
		return false, s.hasher.Dummy(ctx, pw)
	}
	if err != nil {
		return false, err
	}
	ok, rehash, err := s.hasher.Verify(ctx, string(hash.Data), pw)
	if ok && rehash {
		s.rehash(ctx, user, pw)
	}
	return ok, err
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

// Authenticate resolves a credential (an access token or an API key) into
// the caller it speaks for, checking on the way that its session is live
// and its user enabled.
func (s *Service) Authenticate(ctx context.Context, cred string) (Caller, error) {
	if strings.HasPrefix(cred, apiKeyPrefix) {
		return s.authenticateKey(ctx, cred)
	}
	claims, err := s.keys.VerifyFresh(ctx, cred)
	if err != nil {
		return Caller{}, err
	}
	if claims.Session == "" {
		return Caller{}, errs.E(errs.Unauthenticated, "token has no session")
	}
	if err := s.checkSession(ctx, claims.Session, claims.Subject); err != nil {
		return Caller{}, err
	}
	p, err := s.dir.principals(ctx, claims.Subject)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Principals: p, Session: claims.Session, Enrol: claims.Scope == scopeEnrol}, nil
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
		d, err := tx.Update(Collection, acl.RoleAdmins, func(d store.Doc) (store.Doc, error) {
			m := members(d)
			if !slices.Contains(m, user) {
				d.Fields["members"] = toAny(append(m, user))
			}
			return d, nil
		})
		if err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.RoleMembers, Actor: System.User, Subject: acl.RoleAdmins,
			Data: map[string]any{"members": members(d)}})
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

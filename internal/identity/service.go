package identity

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity/password"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/token"
)

// Collection is the system collection holding users and roles.
const Collection = "users"

// Document types in the users collection.
const (
	TypeUser = "user"
	TypeRole = "role"
)

// Record kinds owned by this package.
const (
	kindPassword = "password"
	kindUsername = "username"
	kindRolename = "rolename"
	kindSession  = "session"
)

// Options configure the service.
type Options struct {
	AdminsBypass      bool
	LocalLogin        bool
	MinPasswordLength int
	MaxPasswordLength int
	// Session lifetimes: absolute from sign-in, idle since the last
	// refresh, and how long a rotated refresh token still works.
	SessionTTL time.Duration
	IdleTTL    time.Duration
	ReuseGrace time.Duration
	// Second factors: members of these roles (by name) must use one, and
	// the link between password and code lives this long.
	MFARequiredRoles []string
	MFATokenTTL      time.Duration
	// Lockout: this many wrong passwords within the window lock an account
	// for the duration.
	LockoutMaxFailures int
	LockoutWindow      time.Duration
	LockoutDuration    time.Duration
	// Registration lets anyone create an account.
	Registration bool
	// API keys: the lifetime when none is asked for, the longest allowed,
	// and how long a rotated secret keeps working.
	APIKeyDefaultTTL    time.Duration
	APIKeyMaxTTL        time.Duration
	APIKeyRotationGrace time.Duration
	// Bus carries revocations to the other nodes; nil on a single node.
	Bus Bus
	Now func() time.Time
	Log *slog.Logger
}

// Bus is how nodes tell each other to drop cached credentials at once.
type Bus interface {
	Publish(subject string, data []byte)
	Subscribe(subject string, fn func(data []byte)) error
}

// Service is the identity service.
type Service struct {
	st       store.Store
	hasher   *password.Hasher
	keys     *token.Keys
	opt      Options
	dir      *directory
	sessions *sessionCache
	apiKeys  *keyCache
	guards   *nameGuards // failed sign-ins of names without an account
	log      *slog.Logger
}

// New builds the service; call EnsureBuiltins once before serving.
func New(st store.Store, hasher *password.Hasher, keys *token.Keys, opt Options) *Service {
	if opt.MinPasswordLength <= 0 {
		opt.MinPasswordLength = 12
	}
	if opt.MaxPasswordLength <= 0 {
		opt.MaxPasswordLength = 128
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 30 * 24 * time.Hour
	}
	if opt.IdleTTL <= 0 || opt.IdleTTL > opt.SessionTTL {
		opt.IdleTTL = min(7*24*time.Hour, opt.SessionTTL)
	}
	if opt.ReuseGrace <= 0 {
		opt.ReuseGrace = 5 * time.Second
	}
	s := &Service{st: st, hasher: hasher, keys: keys, opt: opt, dir: newDirectory(st, opt.AdminsBypass), log: opt.Log}
	s.sessions = newSessionCache(opt.Now)
	s.apiKeys = newKeyCache()
	s.guards = newNameGuards()
	return s
}

// Listen subscribes to revocations from other nodes.
func (s *Service) Listen() error {
	if s.opt.Bus == nil {
		return nil
	}
	return s.opt.Bus.Subscribe(subjectRevoke, func(data []byte) { s.forget(string(data)) })
}

// subjectRevoke carries "session:<id>" (and later other credentials) whose
// cached state every node must drop.
const subjectRevoke = "revoke"

// revoked drops a credential from this node's cache and tells the others.
func (s *Service) revoked(ref string) {
	s.forget(ref)
	if s.opt.Bus != nil {
		s.opt.Bus.Publish(subjectRevoke, []byte(ref))
	}
}

func (s *Service) forget(ref string) {
	if sid, ok := strings.CutPrefix(ref, "session:"); ok {
		s.sessions.drop(sid)
	}
	if kid, ok := strings.CutPrefix(ref, "apikey:"); ok {
		s.apiKeys.drop(kid)
	}
}

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// System is the principal set Rampart's own maintenance runs as; it is never
// handed to a request.
var System = acl.Principals{User: "system", IDs: []string{acl.RoleAdmins, "system"}, Admin: true, Bypass: true}

// EnsureBuiltins creates the users collection and the built-in roles if
// they are missing.
func (s *Service) EnsureBuiltins(ctx context.Context) error {
	return s.st.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Collection(Collection); errors.Is(err, store.ErrNotFound) {
			c := store.DefaultCollection(Collection)
			c.System, c.Priority, c.CreateACL = true, 0, acl.List{}
			if err := tx.PutCollection(c); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		for _, name := range []string{acl.RoleAdmins, acl.RoleUsers} {
			if _, err := tx.Get(Collection, name); errors.Is(err, store.ErrNotFound) {
				if err := insertRole(tx, name, name, nil); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

// Watch drops cached principals whenever the users collection changes,
// including changes committed by other nodes or processes, until ctx ends.
func (s *Service) Watch(ctx context.Context, poll time.Duration) error {
	return s.dir.follow(ctx, poll)
}

// Keys are the signing keys tokens are issued with.
func (s *Service) Keys() *token.Keys { return s.keys }

var errBadLogin = errs.E(errs.Unauthenticated, "invalid username or password")

func admin(p acl.Principals) error {
	if p.User == "" {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	if !p.Admin {
		return errs.E(errs.PermissionDenied, "only admins manage users and roles")
	}
	return nil
}

// audit appends e inside tx, stamped with the service's clock.
func (s *Service) audit(tx store.Tx, e audit.Event) error {
	_, err := audit.Append(tx, e, s.now())
	return err
}

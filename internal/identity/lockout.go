package identity

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// kindLoginGuard holds an account's failed sign-ins, keyed by user id.
const kindLoginGuard = "login_guard"

// guardWriteTimeout bounds a counting write that no longer follows the
// request: a client that hangs up must not save its attempt from the count.
const guardWriteTimeout = 10 * time.Second

// beforeLogin refuses, unheard, an attempt on an account that is locked or
// still in its backoff. The refusal costs a password check, counts as a
// failure and answers like a wrong password, so a caller learns nothing
// about the account or its state; unknown names go through the same steps.
func (s *Service) beforeLogin(ctx context.Context, name, user string, m Meta) error {
	now := s.now()
	var g guard
	if user == "" {
		g = s.guards.get(name)
	} else {
		var err error
		if g, err = s.loadGuard(ctx, user); err != nil {
			return err
		}
	}
	reason := s.lockPolicy().refusal(g, now)
	if reason == "" {
		return nil
	}
	if err := s.hasher.Dummy(ctx, ""); err != nil {
		return err
	}
	if err := s.countFailure(ctx, name, user, reason, m); err != nil {
		return err
	}
	return errBadLogin
}

// afterLogin records the outcome of a password check: a success clears the
// account's failures, a failure counts against it and is audited. A correct password that
// lost the race with a lock engaged meanwhile is refused like a wrong one.
func (s *Service) afterLogin(ctx context.Context, name, user string, ok bool, m Meta) error {
	if !ok {
		reason := "wrong_password"
		if user == "" {
			reason = "unknown_user"
		}
		return s.countFailure(ctx, name, user, reason, m)
	}
	refused := false
	err := s.guardWrite(ctx, func(tx store.Tx) error {
		refused = false
		g, err := txGuard(tx, user)
		if err != nil {
			return err
		}
		now := s.now()
		if s.lockPolicy().current(g, now).locked(now) {
			refused = true
			return s.failInTx(tx, name, user, g, "locked", m)
		}
		// The success itself is audited when the session starts: a second
		// factor or a disabled account may still stop it.
		return deleteIfThere(tx, kindLoginGuard, user)
	})
	if err == nil && refused {
		err = errBadLogin
	}
	return err
}

// countFailure counts one failed attempt: in the account's record, in one
// write with its audit entry, so parallel attempts each count; for unknown
// names in memory, with the same write for the audit entry, so both cost
// the same.
func (s *Service) countFailure(ctx context.Context, name, user, reason string, m Meta) error {
	if user == "" {
		g, lockedNow := s.guards.fail(name, s.now(), s.lockPolicy())
		return s.guardWrite(ctx, func(tx store.Tx) error {
			return s.auditFailure(tx, name, user, g, lockedNow, reason, m)
		})
	}
	return s.guardWrite(ctx, func(tx store.Tx) error {
		g, err := txGuard(tx, user)
		if err != nil {
			return err
		}
		return s.failInTx(tx, name, user, g, reason, m)
	})
}

// failInTx adds a failure to the guard read in the same transaction and
// stores it, which makes the count exact under concurrency.
func (s *Service) failInTx(tx store.Tx, name, user string, g guard, reason string, m Meta) error {
	g, lockedNow := s.lockPolicy().fail(g, s.now())
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	rec := store.Record{Kind: kindLoginGuard, ID: user, Owner: user, Data: data, Expires: s.lockPolicy().expires(g)}
	if err := tx.PutRecord(rec); err != nil {
		return err
	}
	return s.auditFailure(tx, name, user, g, lockedNow, reason, m)
}

func (s *Service) auditFailure(tx store.Tx, name, user string, g guard, lockedNow bool, reason string, m Meta) error {
	data := map[string]any{"reason": reason, "failures": g.Failures}
	if err := s.auditLogin(tx, audit.LoginFailure, name, user, m, data); err != nil {
		return err
	}
	if !lockedNow {
		return nil
	}
	return s.auditLogin(tx, audit.LoginLocked, name, user, m, map[string]any{"failures": g.Failures, "until": g.LockedUntil})
}

// auditLogin records a sign-in event; the username is kept too, as the only
// trace of attempts on names that do not exist.
func (s *Service) auditLogin(tx store.Tx, kind, name, user string, m Meta, data map[string]any) error {
	data["username"] = name
	_, err := audit.Append(tx, audit.Event{Kind: kind, Actor: user, Subject: user, Addr: m.Addr, Data: data}, s.now())
	return err
}

// guardWrite runs fn in a write that outlives the request's cancellation.
func (s *Service) guardWrite(ctx context.Context, fn func(tx store.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), guardWriteTimeout)
	defer cancel()
	return s.st.Write(ctx, fn)
}

func (s *Service) loadGuard(ctx context.Context, user string) (guard, error) {
	rec, err := s.st.Record(ctx, kindLoginGuard, user)
	if errors.Is(err, store.ErrNotFound) {
		return guard{}, nil
	}
	if err != nil {
		return guard{}, err
	}
	return decodeGuard(rec)
}

func txGuard(tx store.Tx, user string) (guard, error) {
	rec, err := tx.Record(kindLoginGuard, user)
	if errors.Is(err, store.ErrNotFound) {
		return guard{}, nil
	}
	if err != nil {
		return guard{}, err
	}
	return decodeGuard(rec)
}

func decodeGuard(rec store.Record) (guard, error) {
	var g guard
	if err := json.Unmarshal(rec.Data, &g); err != nil {
		return guard{}, errs.Wrap(err, errs.Internal, "decode login guard")
	}
	return g, nil
}

func (s *Service) lockPolicy() lockPolicy {
	return lockPolicy{max: s.opt.LockoutMaxFailures, window: s.opt.LockoutWindow, duration: s.opt.LockoutDuration}.withDefaults()
}

// Unlock clears an account's failed sign-ins and its lock; admins only.
func (s *Service) Unlock(ctx context.Context, p acl.Principals, id string) error {
	if err := admin(p); err != nil {
		return err
	}
	if _, err := s.GetUser(ctx, p, id); err != nil {
		return err
	}
	return s.st.Write(ctx, func(tx store.Tx) error {
		if err := deleteIfThere(tx, kindLoginGuard, id); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Kind: audit.UserUnlock, Actor: p.User, Subject: id}, s.now())
		return err
	})
}

// UserID returns the id of the user with this username; host-side commands
// use it to name accounts.
func (s *Service) UserID(ctx context.Context, username string) (string, error) {
	name, err := normalizeUsername(username)
	if err != nil {
		return "", err
	}
	id, err := s.lookupUser(ctx, name)
	if err == nil && id == "" {
		err = errs.E(errs.NotFound, "no user %q", name)
	}
	return id, err
}

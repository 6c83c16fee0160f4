package identity

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Break-glass recovery: someone with access to the host (the data directory
// or the database) issues a one-time token for a user, which signs in once,
// even while password sign-in is off or the account is locked.

const kindBreakglass = "breakglass"

// breakglassPrefix starts every recovery token: rbg_<id>.<secret>.
const breakglassPrefix = "rbg_"

// Lifetimes of a recovery token.
const (
	DefaultRecoveryTTL = 15 * time.Minute
	MaxRecoveryTTL     = time.Hour
)

// recovery is a stored recovery token: only the hash of its secret.
type recovery struct {
	User    string    `json:"user"`
	Hash    []byte    `json:"hash"`
	Expires time.Time `json:"expires"`
}

var errBadRecovery = errs.E(errs.Unauthenticated, "recovery token is not valid")

// IssueRecovery makes a one-time recovery token for a user, valid for ttl
// (DefaultRecoveryTTL when 0), and drops the user's earlier ones. Only the
// host-side command calls it: no transport may.
func (s *Service) IssueRecovery(ctx context.Context, username string, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultRecoveryTTL
	}
	if ttl < time.Minute || ttl > MaxRecoveryTTL {
		return "", time.Time{}, errs.E(errs.InvalidArgument, "a recovery token lives 1m to %s", MaxRecoveryTTL)
	}
	user, err := s.UserID(ctx, username)
	if err != nil {
		return "", time.Time{}, err
	}
	if _, err := s.dir.principals(ctx, user); err != nil {
		return "", time.Time{}, errs.E(errs.FailedPrecondition, "the account is disabled; enable it first")
	}
	old, err := s.st.Records(ctx, kindBreakglass, user)
	if err != nil {
		return "", time.Time{}, err
	}
	id, secret, now := store.NewID(), newSecret(), s.now()
	rec := recovery{User: user, Hash: hashSecret(secret), Expires: now.Add(ttl)}
	data, err := json.Marshal(rec)
	if err != nil {
		return "", time.Time{}, err
	}
	err = s.st.Write(ctx, func(tx store.Tx) error {
		for _, r := range old {
			if err := deleteIfThere(tx, kindBreakglass, r.ID); err != nil {
				return err
			}
		}
		if err := tx.PutRecord(store.Record{Kind: kindBreakglass, ID: id, Owner: user, Data: data, Expires: rec.Expires}); err != nil {
			return err
		}
		ev := audit.Event{Kind: audit.BreakglassIssue, Actor: System.User, Subject: user, Data: map[string]any{"expires": rec.Expires}}
		_, err := audit.Append(tx, ev, now)
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return breakglassPrefix + id + "." + base64.RawURLEncoding.EncodeToString(secret), rec.Expires, nil
}

func parseRecovery(tok string) (id string, secret []byte, err error) {
	rest, ok := strings.CutPrefix(tok, breakglassPrefix)
	if !ok || len(tok) > 256 {
		return "", nil, errBadRecovery
	}
	id, enc, ok := strings.Cut(rest, ".")
	if !ok || store.ValidID(id) != nil {
		return "", nil, errBadRecovery
	}
	secret, err = base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(secret) != 32 {
		return "", nil, errBadRecovery
	}
	return id, secret, nil
}

// Recover trades a recovery token for a session whose only method is
// "breakglass". The token is spent by the first use that finds it, in the
// same write that audits the use; an expired token is deleted and refused.
func (s *Service) Recover(ctx context.Context, tok string, m Meta) (Tokens, error) {
	id, secret, err := parseRecovery(tok)
	if err != nil {
		return Tokens{}, err
	}
	var user string
	err = s.st.Write(ctx, func(tx store.Tx) error {
		user = ""
		rec, err := tx.Record(kindBreakglass, id)
		if errors.Is(err, store.ErrNotFound) {
			return errBadRecovery
		}
		if err != nil {
			return err
		}
		var r recovery
		if err := json.Unmarshal(rec.Data, &r); err != nil {
			return errs.Wrap(err, errs.Internal, "decode recovery token")
		}
		// A wrong secret leaves the token alone: guessing at an id must not
		// spend the real token.
		if subtle.ConstantTimeCompare(hashSecret(secret), r.Hash) != 1 {
			return errBadRecovery
		}
		if err := tx.DeleteRecord(kindBreakglass, id); err != nil {
			return err
		}
		now := s.now()
		if !now.Before(r.Expires) {
			return nil // deleted, and refused below
		}
		user = r.User
		_, err = audit.Append(tx, audit.Event{Kind: audit.BreakglassUse, Actor: r.User, Subject: r.User, Addr: m.Addr}, now)
		return err
	})
	switch {
	case err != nil:
		return Tokens{}, err
	case user == "":
		return Tokens{}, errBadRecovery
	}
	if _, err := s.dir.principals(ctx, user); err != nil {
		return Tokens{}, errBadRecovery
	}
	s.log.Warn("break-glass recovery used", "user", user, "addr", m.Addr)
	return s.startSession(ctx, user, m, []string{"breakglass"}, false)
}

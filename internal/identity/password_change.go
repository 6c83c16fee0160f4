package identity

import (
	"context"
	"errors"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// ChangePassword sets a new password for the caller after checking the
// current one, and ends every other session of theirs: whoever else knew
// the old password is signed out.
func (s *Service) ChangePassword(ctx context.Context, c Caller, current, next string) error {
	if c.User == "" || c.Key != "" {
		return errs.E(errs.PermissionDenied, "change a password from a signed-in session, not with an API key")
	}
	if len(current) > maxCredential || len(next) > maxCredential {
		return errs.E(errs.InvalidArgument, "password too long")
	}
	user, err := s.GetUser(ctx, c.Principals, c.User)
	if err != nil {
		return err
	}
	name, _ := user.Fields["username"].(string)
	if err := s.checkPassword(next, name); err != nil {
		return err
	}
	rec, err := s.st.Record(ctx, kindPassword, c.User)
	if errors.Is(err, store.ErrNotFound) {
		return errs.E(errs.FailedPrecondition, "this account has no password")
	}
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, string(rec.Data), current)
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.PermissionDenied, "the current password is wrong")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	var gone []string
	err = s.st.Write(ctx, func(tx store.Tx) error {
		if err := tx.PutRecord(store.Record{Kind: kindPassword, ID: c.User, Owner: c.User, Data: []byte(hash)}); err != nil {
			return err
		}
		if gone, err = s.revokeAll(ctx, tx, c.User, c.Session); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.PasswordChange, Actor: c.User, Subject: c.User,
			Data: map[string]any{"sessions_ended": len(gone)}})
	})
	for _, sid := range gone {
		s.revoked("session:" + sid)
	}
	return err
}

package identity

import (
	"context"
	"errors"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// Record kinds of second factors. TOTP seeds and recovery-code hashes live
// only here, never in documents (DESIGN.md invariant 4).
const (
	kindTOTP       = "totp"        // id = owner = user: the seed and its state
	kindRecovery   = "recovery"    // id = owner = user: hashes of unused codes
	kindMFAPending = "mfa_pending" // a password that still waits for its code
)

// Second-factor errors. Every failure of the second sign-in step looks the
// same, so a client learns nothing about which part was wrong.
var (
	errBadMFA    = errs.E(errs.Unauthenticated, "the code or the sign-in token is not valid or has expired")
	errBadCode   = errs.E(errs.PermissionDenied, "the code is not valid")
	errCodeForm  = errs.E(errs.InvalidArgument, "a code is 6 digits from the authenticator app or a recovery code like abcde-fghij")
	errNoFactor  = errs.E(errs.FailedPrecondition, "no second factor is set up")
	errMFASelf   = errs.E(errs.PermissionDenied, "manage second factors from a signed-in session, not with an API key")
	errMFAPolicy = errs.E(errs.FailedPrecondition, "your roles require a second factor; it cannot be removed")
)

// defaultMFATokenTTL applies when the options leave the lifetime unset.
const defaultMFATokenTTL = 5 * time.Minute

// secondFactor decides what follows a correct password: a challenge when the
// user has a second factor, an enrol-only session when one is required but
// missing, or a full session.
func (s *Service) secondFactor(ctx context.Context, user string, m Meta) (*MFAChallenge, bool, error) {
	f, err := s.readFactor(ctx, user)
	if err != nil {
		return nil, false, err
	}
	if f != nil && f.Confirmed {
		tok, err := s.newChallenge(ctx, user)
		if err != nil {
			return nil, false, err
		}
		return &MFAChallenge{Required: true, Token: tok}, false, nil
	}
	required, err := s.mfaRequired(ctx, user)
	return nil, required, err
}

// mfaRequired reports whether user belongs, directly or through nested
// roles, to a role whose members must use a second factor. Role names that
// do not exist require nothing.
func (s *Service) mfaRequired(ctx context.Context, user string) (bool, error) {
	if len(s.opt.MFARequiredRoles) == 0 {
		return false, nil
	}
	p, err := s.dir.principals(ctx, user)
	if err != nil {
		return false, err
	}
	for _, name := range s.opt.MFARequiredRoles {
		rec, err := s.st.Record(ctx, kindRolename, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if p.Contains(rec.Owner) {
			return true, nil
		}
	}
	return false, nil
}

// CompleteMFA finishes a sign-in that answered mfa_required: the token from
// that answer and a code from the authenticator app or a recovery code. A
// wrong code counts against the token, which is burnt after a few; the
// token works once and expires after the configured lifetime.
func (s *Service) CompleteMFA(ctx context.Context, tok, code string, m Meta) (Tokens, error) {
	id, secret, ok := parseChallenge(tok)
	kind, norm := parseCode(code)
	if !ok || kind == codeInvalid {
		return Tokens{}, errBadMFA // malformed input changes nothing
	}
	var user, method string
	err := s.st.Write(ctx, func(tx store.Tx) error {
		user, method = "", ""
		ch, err := getChallenge(tx, id, secret)
		if err != nil {
			return err
		}
		now := s.now()
		if !now.Before(ch.Expires) {
			return tx.DeleteRecord(kindMFAPending, id)
		}
		use := codeUse{user: ch.User, kind: kind, code: norm, recovery: true, purpose: "sign_in", m: m}
		if method, err = s.useCode(tx, use); err != nil {
			return err
		}
		if method == "" {
			return s.refuseChallenge(tx, id, ch, m)
		}
		user = ch.User
		return tx.DeleteRecord(kindMFAPending, id)
	})
	switch {
	case errors.Is(err, errNoFactor), errors.Is(err, errBadMFA):
		return Tokens{}, errBadMFA
	case err != nil:
		return Tokens{}, err
	case user == "":
		return Tokens{}, errBadMFA // refused, with the refusal committed
	}
	// The account may have been disabled since the password was checked.
	if _, err := s.dir.principals(ctx, user); err != nil {
		return Tokens{}, errBadMFA
	}
	return s.startSession(ctx, user, m, []string{"pwd", method}, false)
}

// refuseChallenge counts a wrong code against a challenge and burns it
// after maxChallengeFailures.
func (s *Service) refuseChallenge(tx store.Tx, id string, ch challenge, m Meta) error {
	ch.Failures++
	burnt := ch.Failures >= maxChallengeFailures
	data := map[string]any{"reason": "wrong_second_factor", "burnt": burnt}
	if err := s.auditMFA(tx, audit.LoginFailure, ch.User, m, data); err != nil {
		return err
	}
	if burnt {
		return tx.DeleteRecord(kindMFAPending, id)
	}
	return putChallenge(tx, id, ch)
}

// auditMFA appends a second-factor event to the audit log inside tx, so the
// action and its entry commit together.
func (s *Service) auditMFA(tx store.Tx, kind, user string, m Meta, data map[string]any) error {
	_, err := audit.Append(tx, audit.Event{Kind: kind, Actor: user, Subject: user, Addr: m.Addr, Data: data}, s.now())
	return err
}

// mfaSelf refuses callers that are not a user's own session: API keys and
// other credentials never manage second factors.
func mfaSelf(c Caller) error {
	if c.User == "" || c.Session == "" || c.Key != "" {
		return errMFASelf
	}
	return nil
}

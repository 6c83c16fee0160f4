package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image/png"
	"rampart.dev/rampart/internal/acl"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// TOTPEnrolment is what a client shows to set up an authenticator app. It
// is the only time the seed leaves the server.
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
	QRPNG  []byte `json:"qr_png"` // a PNG of URI; base64 in JSON
}

var (
	errHaveFactor = errs.E(errs.Conflict, "a second factor is already set up; remove it first (DELETE /api/v1/me/mfa/totp)")
	errNoPending  = errs.E(errs.FailedPrecondition, "start enrolment first (POST /api/v1/me/mfa/totp)")
	errNeedTOTP   = errs.E(errs.InvalidArgument, "send the 6-digit code from the authenticator app")
)

// qrSize is the side of the QR image in pixels.
const qrSize = 256

// EnrolTOTP starts setting up a TOTP factor for the caller: a new seed is
// kept as pending, replacing an earlier pending one, until ConfirmTOTP
// receives its first code. A confirmed factor is never replaced here.
func (s *Service) EnrolTOTP(ctx context.Context, c Caller, m Meta) (TOTPEnrolment, error) {
	if err := mfaSelf(c); err != nil {
		return TOTPEnrolment{}, err
	}
	name, err := s.accountName(ctx, c.User)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: totpIssuer, AccountName: name, Period: totpPeriod, SecretSize: totpSecretSize,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader,
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	img, err := qrPNG(key)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	f := &totpFactor{Secret: key.Secret(), Created: s.now()}
	err = s.st.Write(ctx, func(tx store.Tx) error {
		cur, err := txFactor(tx, c.User)
		if err != nil {
			return err
		}
		if cur != nil && cur.Confirmed {
			return errHaveFactor
		}
		if err := putFactor(tx, c.User, f); err != nil {
			return err
		}
		return s.auditMFA(tx, audit.MFAEnrol, c.User, m, nil)
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URI: key.URL(), QRPNG: img}, nil
}

// accountName is the label an authenticator app shows: the username.
func (s *Service) accountName(ctx context.Context, user string) (string, error) {
	d, err := s.st.Get(ctx, Collection, user)
	if err != nil {
		return "", err
	}
	if name, ok := d.Fields["username"].(string); ok && name != "" {
		return name, nil
	}
	return user, nil
}

func qrPNG(key *otp.Key) ([]byte, error) {
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ConfirmTOTP checks the first code of a pending factor, makes it the
// caller's second factor and returns fresh recovery codes, shown only
// now. An enrol-only session that confirms gets full tokens at its next
// refresh; the caller's other enrol-only sessions, which proved only the
// password, end.
func (s *Service) ConfirmTOTP(ctx context.Context, c Caller, code string, m Meta) ([]string, error) {
	if err := mfaSelf(c); err != nil {
		return nil, err
	}
	kind, norm := parseCode(code)
	if kind != codeTOTP {
		return nil, errNeedTOTP
	}
	sessions, err := s.st.Records(ctx, kindSession, c.User)
	if err != nil {
		return nil, err
	}
	shown, hashes := newRecoveryCodes(c.User)
	var gone []string
	err = s.st.Write(ctx, func(tx store.Tx) error {
		f, err := txFactor(tx, c.User)
		switch {
		case err != nil:
			return err
		case f == nil:
			return errNoPending
		case f.Confirmed:
			return errHaveFactor
		}
		step, ok := matchStep(f.Secret, norm, s.now(), f.LastStep)
		if !ok {
			return errBadCode
		}
		f.Confirmed, f.LastStep = true, step
		if err := putFactor(tx, c.User, f); err != nil {
			return err
		}
		if err := putRecovery(tx, c.User, hashes); err != nil {
			return err
		}
		if err := s.auditMFA(tx, audit.MFAConfirm, c.User, m, nil); err != nil {
			return err
		}
		gone, err = finishEnrolment(tx, sessions, c.Session)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, sid := range gone {
		s.revoked("session:" + sid)
	}
	return shown, nil
}

// DisableTOTP removes the caller's factor and recovery codes after a
// current TOTP or recovery code. Members of roles that require a second
// factor must keep theirs.
func (s *Service) DisableTOTP(ctx context.Context, c Caller, code string, m Meta) error {
	if err := fullSelf(c); err != nil {
		return err
	}
	kind, norm := parseCode(code)
	if kind == codeInvalid {
		return errCodeForm
	}
	required, err := s.mfaRequired(ctx, c.User)
	if err != nil {
		return err
	}
	if required {
		return errMFAPolicy
	}
	use := codeUse{user: c.User, kind: kind, code: norm, recovery: true, purpose: "disable", m: m}
	return s.withCode(ctx, use, func(tx store.Tx) error {
		if err := tx.DeleteRecord(kindTOTP, c.User); err != nil {
			return err
		}
		if err := deleteIfThere(tx, kindRecovery, c.User); err != nil {
			return err
		}
		return s.auditMFA(tx, audit.MFADisable, c.User, m, nil)
	})
}

// RegenerateRecoveryCodes replaces the caller's recovery codes after a
// current TOTP code; the old codes stop working.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, c Caller, code string, m Meta) ([]string, error) {
	if err := fullSelf(c); err != nil {
		return nil, err
	}
	kind, norm := parseCode(code)
	if kind != codeTOTP {
		return nil, errNeedTOTP
	}
	shown, hashes := newRecoveryCodes(c.User)
	use := codeUse{user: c.User, kind: kind, code: norm, purpose: "regenerate", m: m}
	err := s.withCode(ctx, use, func(tx store.Tx) error {
		if err := putRecovery(tx, c.User, hashes); err != nil {
			return err
		}
		return s.auditMFA(tx, audit.RecoveryCodesRegenerate, c.User, m, nil)
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}

// withCode runs fn in the transaction that accepts u's code. A refused code
// still commits (its failure counts) and then answers errBadCode.
func (s *Service) withCode(ctx context.Context, u codeUse, fn func(tx store.Tx) error) error {
	refused := false
	err := s.st.Write(ctx, func(tx store.Tx) error {
		method, err := s.useCode(tx, u)
		if err != nil {
			return err
		}
		if refused = method == ""; refused {
			return nil
		}
		return fn(tx)
	})
	if err == nil && refused {
		return errBadCode
	}
	return err
}

// fullSelf is mfaSelf for a session that may do more than enrol a factor.
func fullSelf(c Caller) error {
	if err := mfaSelf(c); err != nil {
		return err
	}
	if c.Enrol {
		return errs.E(errs.PermissionDenied, "enrol a second factor first (POST /api/v1/me/mfa/totp)")
	}
	return nil
}

// ResetMFA is an admin's way out for a user who lost both the device and
// the recovery codes: it removes the factor, the codes and any pending
// challenge, and ends the user's sessions. If the user's roles require a
// factor, their next sign-in can only enrol a new one.
func (s *Service) ResetMFA(ctx context.Context, p acl.Principals, user string) error {
	if err := admin(p); err != nil {
		return err
	}
	if _, err := s.GetUser(ctx, p, user); err != nil {
		return err
	}
	var gone []string
	err := s.st.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Record(kindTOTP, user); errors.Is(err, store.ErrNotFound) {
			return errs.E(errs.FailedPrecondition, "the user has no second factor")
		} else if err != nil {
			return err
		}
		for _, kind := range []string{kindTOTP, kindRecovery} {
			if err := deleteIfThere(tx, kind, user); err != nil {
				return err
			}
		}
		pending, err := s.st.Records(ctx, kindMFAPending, user)
		if err != nil {
			return err
		}
		for _, r := range pending {
			if err := deleteIfThere(tx, kindMFAPending, r.ID); err != nil {
				return err
			}
		}
		if gone, err = s.revokeAll(ctx, tx, user, ""); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.MFADisable, Actor: p.User, Subject: user, Data: map[string]any{"by_admin": true}})
	})
	for _, sid := range gone {
		s.revoked("session:" + sid)
	}
	return err
}

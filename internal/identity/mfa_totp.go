package identity

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/store"
)

// TOTP parameters: the defaults every authenticator app understands.
const (
	totpIssuer     = "Rampart"
	totpPeriod     = 30 // seconds
	totpSkew       = 1  // steps either side of now, for clock drift
	totpSecretSize = 20 // bytes: 160 bits, as RFC 4226 recommends
)

// Failure limits per user, across challenges and self-service calls: after
// maxCodeFailures wrong codes in a row every code is refused until
// codeCooldown has passed since the last one, so fresh challenges (which
// need only the password) cannot be used to guess codes quickly.
const (
	maxCodeFailures = 10
	codeCooldown    = 5 * time.Minute
)

// totpFactor is a user's TOTP seed and its state. A pending factor awaits
// its first code; only a confirmed one is asked for at sign-in.
type totpFactor struct {
	Secret    string    `json:"secret"` // base32, as in the otpauth URI
	Confirmed bool      `json:"confirmed"`
	Created   time.Time `json:"created"`
	// LastStep is the latest time step whose code was accepted; codes of
	// that step and earlier are refused, so each is accepted once.
	LastStep int64     `json:"last_step,omitempty"`
	Failures int       `json:"failures,omitempty"`
	FailedAt time.Time `json:"failed_at,omitzero"`
}

// readFactor returns user's factor, or nil when there is none.
func (s *Service) readFactor(ctx context.Context, user string) (*totpFactor, error) {
	rec, err := s.st.Record(ctx, kindTOTP, user)
	return decodeFactor(rec, err)
}

// txFactor is readFactor inside a transaction.
func txFactor(tx store.Tx, user string) (*totpFactor, error) {
	rec, err := tx.Record(kindTOTP, user)
	return decodeFactor(rec, err)
}

func decodeFactor(rec store.Record, err error) (*totpFactor, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f totpFactor
	if err := json.Unmarshal(rec.Data, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

func putFactor(tx store.Tx, user string, f *totpFactor) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindTOTP, ID: user, Owner: user, Data: data})
}

var totpValidate = totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchStep finds the time step, within the skew around now and after
// last, whose code is code.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	cur := now.Unix() / totpPeriod
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= last {
			continue
		}
		ok, err := totp.ValidateCustom(code, secret, time.Unix(step*totpPeriod, 0), totpValidate)
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// codeUse is one attempt to prove the second factor.
type codeUse struct {
	user     string
	kind     codeKind
	code     string // normalised by parseCode
	recovery bool   // whether a recovery code may stand in for a TOTP code
	purpose  string // recorded in the audit log
	m        Meta
}

// useCode checks a code against the user's confirmed factor inside tx and
// spends it: its time step cannot be used again, or the recovery code is
// gone. It returns the method that matched ("otp" or "recovery"), or ""
// when the code is refused; the refusal is recorded, so the caller must
// commit tx in that case too. errNoFactor when nothing is confirmed.
func (s *Service) useCode(tx store.Tx, u codeUse) (string, error) {
	f, err := txFactor(tx, u.user)
	if err != nil {
		return "", err
	}
	if f == nil || !f.Confirmed {
		return "", errNoFactor
	}
	now := s.now()
	if f.Failures >= maxCodeFailures && now.Before(f.FailedAt.Add(codeCooldown)) {
		return "", nil // cooling down: even a right code waits
	}
	method, err := s.matchCode(tx, f, u, now)
	if err != nil {
		return "", err
	}
	if method == "" {
		if f.Failures >= maxCodeFailures {
			f.Failures = 0 // the cool-down is over; count afresh
		}
		f.Failures++
		f.FailedAt = now
	} else {
		f.Failures, f.FailedAt = 0, time.Time{}
	}
	return method, putFactor(tx, u.user, f)
}

// matchCode tries the code as a TOTP code, then as a recovery code, and
// audits a match.
func (s *Service) matchCode(tx store.Tx, f *totpFactor, u codeUse, now time.Time) (string, error) {
	data := map[string]any{"purpose": u.purpose}
	switch {
	case u.kind == codeTOTP:
		step, ok := matchStep(f.Secret, u.code, now, f.LastStep)
		if !ok {
			return "", nil
		}
		f.LastStep = step
		return "otp", s.auditMFA(tx, audit.MFAUse, u.user, u.m, data)
	case u.kind == codeRecovery && u.recovery:
		ok, left, err := spendRecovery(tx, u.user, u.code)
		if err != nil || !ok {
			return "", err
		}
		data["remaining"] = left
		return "recovery", s.auditMFA(tx, audit.MFARecoveryCodeUse, u.user, u.m, data)
	}
	return "", nil
}

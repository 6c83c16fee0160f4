package identity

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"rampart.dev/rampart/internal/store"
)

// challenge links a correct password to the second step of sign-in. The
// token handed out is "<id>.<256 random bits>"; only the hash of the
// random part is kept.
type challenge struct {
	User     string    `json:"user"`
	Hash     []byte    `json:"hash"`
	Expires  time.Time `json:"expires"`
	Failures int       `json:"failures,omitempty"`
}

// maxChallengeFailures wrong codes burn a challenge.
const maxChallengeFailures = 5

// maxChallengeToken bounds a token on the wire before any work.
const maxChallengeToken = 256

func (s *Service) mfaTTL() time.Duration {
	if s.opt.MFATokenTTL > 0 {
		return s.opt.MFATokenTTL
	}
	return defaultMFATokenTTL
}

// newChallenge stores a challenge for user and returns its token. Expired
// challenges of the same user go at the same time, so abandoned sign-ins
// do not pile up.
func (s *Service) newChallenge(ctx context.Context, user string) (string, error) {
	old, err := s.st.Records(ctx, kindMFAPending, user)
	if err != nil {
		return "", err
	}
	now := s.now()
	id, secret := store.NewID(), newSecret()
	ch := challenge{User: user, Hash: hashSecret(secret), Expires: now.Add(s.mfaTTL())}
	err = s.st.Write(ctx, func(tx store.Tx) error {
		for _, r := range old {
			if !now.Before(r.Expires) {
				if err := deleteIfThere(tx, kindMFAPending, r.ID); err != nil {
					return err
				}
			}
		}
		return putChallenge(tx, id, ch)
	})
	if err != nil {
		return "", err
	}
	return id + "." + base64.RawURLEncoding.EncodeToString(secret), nil
}

func putChallenge(tx store.Tx, id string, ch challenge) error {
	data, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindMFAPending, ID: id, Owner: ch.User, Data: data, Expires: ch.Expires})
}

// parseChallenge splits a token into its record id and secret.
func parseChallenge(tok string) (id string, secret []byte, ok bool) {
	if len(tok) > maxChallengeToken {
		return "", nil, false
	}
	id, enc, found := strings.Cut(tok, ".")
	if !found || store.ValidID(id) != nil {
		return "", nil, false
	}
	secret, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(secret) != 32 {
		return "", nil, false
	}
	return id, secret, true
}

// getChallenge loads the challenge id inside tx and checks the secret; an
// unknown id and a wrong secret are the same errBadMFA.
func getChallenge(tx store.Tx, id string, secret []byte) (challenge, error) {
	rec, err := tx.Record(kindMFAPending, id)
	if errors.Is(err, store.ErrNotFound) {
		return challenge{}, errBadMFA
	}
	if err != nil {
		return challenge{}, err
	}
	var ch challenge
	if err := json.Unmarshal(rec.Data, &ch); err != nil {
		return challenge{}, err
	}
	if subtle.ConstantTimeCompare(ch.Hash, hashSecret(secret)) != 1 || ch.User == "" {
		return challenge{}, errBadMFA
	}
	return ch, nil
}

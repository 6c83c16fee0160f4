package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"

	"rampart.dev/rampart/internal/store"
)

// codeKind is what a code typed by a user looks like.
type codeKind int

const (
	codeInvalid  codeKind = iota
	codeTOTP              // 6 digits
	codeRecovery          // 10 characters of recoveryAlphabet
)

const (
	totpDigits = 6
	// RecoveryCodes is how many recovery codes a user holds at a time.
	RecoveryCodes = 10
	recoveryLen   = 10
	// maxCodeInput bounds a code on the wire before any work.
	maxCodeInput = 64
)

// recoveryAlphabet leaves out i, l, o and u, which are easily misread. Its
// 32 symbols carry 5 bits each: a code holds 50 random bits.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// parseCode normalises a code: spaces and dashes are dropped and letters
// lowered, so "ABCDE-FGHIJ" and "123 456" work as typed. Anything else,
// including non-ASCII text, is codeInvalid.
func parseCode(in string) (codeKind, string) {
	if len(in) > maxCodeInput {
		return codeInvalid, ""
	}
	out := make([]byte, 0, recoveryLen)
	digits := true
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z' && recoverySymbol(c):
			digits = false
		default:
			return codeInvalid, ""
		}
		out = append(out, c)
	}
	switch {
	case len(out) == totpDigits && digits:
		return codeTOTP, string(out)
	case len(out) == recoveryLen:
		return codeRecovery, string(out)
	}
	return codeInvalid, ""
}

func recoverySymbol(c byte) bool {
	for i := 0; i < len(recoveryAlphabet); i++ {
		if recoveryAlphabet[i] == c {
			return true
		}
	}
	return false
}

// newRecoveryCodes returns codes to show once, grouped as abcde-fghij, and
// the hashes to keep.
func newRecoveryCodes(user string) (shown []string, hashes [][]byte) {
	for range RecoveryCodes {
		var b [recoveryLen]byte
		rand.Read(b[:])
		for i := range b {
			b[i] = recoveryAlphabet[b[i]&31] // 256 is a multiple of 32: no bias
		}
		shown = append(shown, string(b[:5])+"-"+string(b[5:]))
		hashes = append(hashes, hashRecovery(user, string(b[:])))
	}
	return shown, hashes
}

// hashRecovery hashes a normalised code under its user's id. One fast hash
// is enough: a code holds 50 random bits, online guessing is bounded by the
// failure limits, and whoever can read the hashes can read the TOTP seed in
// the same table, which is worth more. The user id keeps one table of
// guesses from serving every account.
func hashRecovery(user, code string) []byte {
	h := sha256.New()
	h.Write([]byte("rampart recovery code\x00"))
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(code))
	return h.Sum(nil)
}

type recoverySet struct {
	Hashes [][]byte `json:"hashes"`
}

func putRecovery(tx store.Tx, user string, hashes [][]byte) error {
	data, err := json.Marshal(recoverySet{Hashes: hashes})
	if err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindRecovery, ID: user, Owner: user, Data: data})
}

// spendRecovery removes code from user's recovery codes inside tx and
// reports whether it was there, and how many are left.
func spendRecovery(tx store.Tx, user, code string) (ok bool, left int, err error) {
	rec, err := tx.Record(kindRecovery, user)
	if errors.Is(err, store.ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	var set recoverySet
	if err := json.Unmarshal(rec.Data, &set); err != nil {
		return false, 0, err
	}
	h, found := hashRecovery(user, code), -1
	for i, stored := range set.Hashes { // every entry, so timing tells nothing
		if subtle.ConstantTimeCompare(stored, h) == 1 {
			found = i
		}
	}
	if found < 0 {
		return false, len(set.Hashes), nil
	}
	set.Hashes = slices.Delete(set.Hashes, found, found+1)
	return true, len(set.Hashes), putRecovery(tx, user, set.Hashes)
}

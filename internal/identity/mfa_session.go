package identity

import (
	"errors"
	"slices"

	"rampart.dev/rampart/internal/store"
)

// finishEnrolment runs in the transaction that confirms a factor. The
// session that confirmed it has now proved both factors: it stops being
// enrol-only, so its next refresh issues full tokens. The user's other
// enrol-only sessions proved only the password and end; their ids are
// returned for the caller to announce once the transaction commits.
// sessions is the user's session list read before the transaction; each
// one is read again inside it, so a concurrent refresh is not undone.
func finishEnrolment(tx store.Tx, sessions []store.Record, current string) ([]string, error) {
	var gone []string
	for _, r := range sessions {
		rec, err := tx.Record(kindSession, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ses, err := decodeSession(rec)
		if err != nil {
			return nil, err
		}
		switch {
		case !ses.Enrol:
		case r.ID == current:
			ses.Enrol = false
			if !slices.Contains(ses.Methods, "otp") {
				ses.Methods = append(slices.Clone(ses.Methods), "otp")
			}
			if err := putSession(tx, ses); err != nil {
				return nil, err
			}
		default:
			if err := deleteIfThere(tx, kindSession, r.ID); err != nil {
				return nil, err
			}
			gone = append(gone, r.ID)
		}
	}
	return gone, nil
}

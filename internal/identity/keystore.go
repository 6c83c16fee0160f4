package identity

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/token"
)

const kindSigningKey = "signing_key"

// keyStore keeps token signing keys as store records, so the database backup
// holds them. Until the keyring lands they are stored as PKCS#8 DER inside
// the record table, which the data API cannot reach.
type keyStore struct{ st store.Store }

var _ token.KeyStore = keyStore{}

// KeyStore returns the signing-key store over st.
func KeyStore(st store.Store) token.KeyStore { return keyStore{st} }

type storedKey struct {
	Private []byte `json:"private"`
	Created int64  `json:"created"`
	Retired int64  `json:"retired,omitempty"`
}

func (k keyStore) LoadKeys(ctx context.Context) ([]token.StoredKey, error) {
	recs, err := k.st.Records(ctx, kindSigningKey, "")
	if err != nil {
		return nil, err
	}
	out := make([]token.StoredKey, 0, len(recs))
	for _, r := range recs {
		var s storedKey
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return nil, err
		}
		sk := token.StoredKey{ID: r.ID, Private: s.Private, Created: fromUnixNano(s.Created), Retired: fromUnixNano(s.Retired)}
		out = append(out, sk)
	}
	return out, nil
}

func (k keyStore) SaveKey(ctx context.Context, sk token.StoredKey) error {
	s := storedKey{Private: sk.Private, Created: sk.Created.UnixNano()}
	if !sk.Retired.IsZero() {
		s.Retired = sk.Retired.UnixNano()
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return k.st.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Record(kindSigningKey, sk.ID)
		fresh := errors.Is(err, store.ErrNotFound)
		if err != nil && !fresh {
			return err
		}
		if err := tx.PutRecord(store.Record{Kind: kindSigningKey, ID: sk.ID, Data: data}); err != nil {
			return err
		}
		if !fresh {
			return nil // retiring a key, part of the rotation already audited
		}
		_, err = audit.Append(tx, audit.Event{Kind: audit.SigningKeyRotate, Actor: System.User, Subject: sk.ID}, sk.Created)
		return err
	})
}

func (k keyStore) DeleteKey(ctx context.Context, id string) error {
	err := k.st.Write(ctx, func(tx store.Tx) error { return tx.DeleteRecord(kindSigningKey, id) })
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

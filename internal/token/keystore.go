package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeyStore persists signing keys. Implementations must be safe for
// concurrent use and should encrypt Private at rest.
type KeyStore interface {
	// LoadKeys returns every stored key, active and retired.
	LoadKeys(ctx context.Context) ([]StoredKey, error)
	// SaveKey creates the key or replaces the one with the same ID.
	SaveKey(ctx context.Context, k StoredKey) error
	// DeleteKey removes the key; deleting a missing key is not an error.
	DeleteKey(ctx context.Context, id string) error
}

// StoredKey is a signing key as persisted.
type StoredKey struct {
	ID      string
	Private []byte // PKCS#8 DER of an ECDSA P-256 private key
	Created time.Time
	Retired time.Time // zero while active
}

// keyMaterial is the immutable cryptographic half of a key. Set rebuilds
// reuse it, so cache entries can tell a kept key from a replaced one by
// pointer.
type keyMaterial struct {
	id     string
	der    []byte
	priv   *ecdsa.PrivateKey
	signer jose.Signer
}

// keyEntry is a key with its lifecycle times.
type keyEntry struct {
	mat     *keyMaterial
	created time.Time
	retired time.Time
}

// keySet is an immutable snapshot of all kept keys. Readers load it through
// an atomic pointer, so Issue and Verify never wait for a key change.
type keySet struct {
	active *keyEntry
	byID   map[string]*keyEntry
	jwks   []byte
}

// newKeyID returns 16 random bytes, base64url encoded.
func newKeyID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random key id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// generateKey creates a fresh P-256 key with a random kid.
func generateKey() (*keyMaterial, error) {
	id, err := newKeyID()
	if err != nil {
		return nil, err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return newMaterial(id, der, priv)
}

// parseKey decodes a stored key; only P-256 ECDSA keys are accepted.
func parseKey(id string, der []byte) (*keyMaterial, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("decode signing key %q: %w", id, err)
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %q is not ecdsa p-256", id)
	}
	return newMaterial(id, der, priv)
}

func newMaterial(id string, der []byte, priv *ecdsa.PrivateKey) (*keyMaterial, error) {
	opts := (&jose.SignerOptions{}).WithType(tokenType)
	sk := jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: id}}
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		return nil, fmt.Errorf("build signer for key %q: %w", id, err)
	}
	return &keyMaterial{id: id, der: der, priv: priv, signer: signer}, nil
}

// buildSet turns stored keys into a snapshot, reusing material from prev
// for keys whose bytes did not change.
func buildSet(stored []StoredKey, prev *keySet) (*keySet, error) {
	s := &keySet{byID: make(map[string]*keyEntry, len(stored))}
	for _, sk := range stored {
		if sk.ID == "" {
			return nil, errors.New("stored signing key has no id")
		}
		if _, dup := s.byID[sk.ID]; dup {
			return nil, fmt.Errorf("signing key %q stored twice", sk.ID)
		}
		mat, err := reuseOrParse(sk, prev)
		if err != nil {
			return nil, err
		}
		e := &keyEntry{mat: mat, created: sk.Created, retired: sk.Retired}
		s.byID[sk.ID] = e
		if e.retired.IsZero() && newer(e, s.active) {
			s.active = e
		}
	}
	jwks, err := s.publicSet()
	if err != nil {
		return nil, err
	}
	s.jwks = jwks
	return s, nil
}

func reuseOrParse(sk StoredKey, prev *keySet) (*keyMaterial, error) {
	if prev != nil {
		if old, ok := prev.byID[sk.ID]; ok && string(old.mat.der) == string(sk.Private) {
			return old.mat, nil
		}
	}
	return parseKey(sk.ID, sk.Private)
}

// newer orders active candidates by creation time, then id, so every node
// picks the same active key from the same store.
func newer(e, than *keyEntry) bool {
	if than == nil {
		return true
	}
	if !e.created.Equal(than.created) {
		return e.created.After(than.created)
	}
	return e.mat.id > than.mat.id
}

// stored converts the snapshot back to its persisted form.
func (s *keySet) stored() []StoredKey {
	out := make([]StoredKey, 0, len(s.byID))
	for _, e := range s.byID {
		out = append(out, e.toStored())
	}
	return out
}

func (e *keyEntry) toStored() StoredKey {
	return StoredKey{ID: e.mat.id, Private: e.mat.der, Created: e.created, Retired: e.retired}
}

// sorted lists the keys newest first, for stable output.
func (s *keySet) sorted() []*keyEntry {
	out := make([]*keyEntry, 0, len(s.byID))
	for _, e := range s.byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *keyEntry) int {
		switch {
		case a == b:
			return 0
		case newer(a, b):
			return -1
		}
		return 1
	})
	return out
}

// publicSet renders the JWKS of every kept key.
func (s *keySet) publicSet() ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.byID))}
	for _, e := range s.sorted() {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       &e.mat.priv.PublicKey,
			KeyID:     e.mat.id,
			Use:       "sig",
			Algorithm: string(jose.ES256),
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	return b, nil
}

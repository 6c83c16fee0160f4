package identity

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// APIKeyPrefix starts every API key: rk_<id>_<secret>, where id is 16
// characters of base32 (never "_") and secret 43 of unpadded base64url
// carrying 256 random bits.
const APIKeyPrefix = "rk_"

const apiKeyPrefix = APIKeyPrefix

const (
	kindAPIKey       = "apikey"
	apiKeyIDLen      = 16
	apiKeySecretLen  = 43
	apiKeyLen        = len(APIKeyPrefix) + apiKeyIDLen + 1 + apiKeySecretLen
	maxAPIKeyName    = 64
	maxKeyCollection = 64
	// maxAPIKeys bounds the live keys of one user, so records cannot grow
	// without end.
	maxAPIKeys = 100
)

var (
	keyIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)
	keyEncoding   = base64.RawURLEncoding.Strict()
)

// Scope narrows what an API key may do; it never widens what its user may.
type Scope struct {
	// Rights caps the document rights the key holds; 0 means every right
	// its user has.
	Rights acl.Right `json:"rights"`
	// Collections lists the only collections the key may touch; empty
	// means all.
	Collections []string `json:"collections"`
	// Admin lets the key of an admin use admin powers (the admin listener,
	// bypass); without it an admin's key acts as a plain user.
	Admin bool `json:"admin"`
}

// APIKeyRequest asks for a new key.
type APIKeyRequest struct {
	Name string
	// ExpiresIn is the key's lifetime; 0 means the configured default.
	ExpiresIn time.Duration
	Scopes    *Scope
}

// APIKeyInfo is a key as listings show it: never its secret or its hash.
type APIKeyInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	ExpiresAt time.Time `json:"expires_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	// RotatedUntil is when the secret replaced by the last rotation stops
	// working; absent when there is none.
	RotatedUntil time.Time `json:"rotated_until,omitzero"`
	Scopes       Scope     `json:"scopes"`
}

// APIKeyCreated is a new or rotated key, with the only copy of its secret.
type APIKeyCreated struct {
	APIKeyInfo
	Key string `json:"key"`
}

// apiKey is a key as its record stores it.
type apiKey struct {
	ID        string        `json:"-"`
	Owner     string        `json:"owner"`
	Name      string        `json:"name"`
	CreatedBy string        `json:"created_by"`
	Created   time.Time     `json:"created"`
	Expires   time.Time     `json:"expires"`
	TTL       time.Duration `json:"ttl"` // the lifetime asked for; a rotation renews it
	Hash      []byte        `json:"hash"`
	// Old is the hash of the secret the last rotation replaced, usable
	// until OldUntil.
	Old      []byte    `json:"old,omitempty"`
	OldUntil time.Time `json:"old_until,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Scope    Scope     `json:"scope"`
}

func (k apiKey) info() APIKeyInfo {
	sc := k.Scope
	if sc.Collections == nil {
		sc.Collections = []string{}
	}
	return APIKeyInfo{
		ID: k.ID, Name: k.Name, Owner: k.Owner, CreatedBy: k.CreatedBy, Created: k.Created,
		ExpiresAt: k.Expires, LastUsed: k.LastUsed, RotatedUntil: k.OldUntil, Scopes: sc,
	}
}

func putKey(tx store.Tx, k apiKey) error {
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindAPIKey, ID: k.ID, Owner: k.Owner, Data: data, Expires: k.Expires})
}

func decodeKey(r store.Record) (apiKey, error) {
	var k apiKey
	if err := json.Unmarshal(r.Data, &k); err != nil {
		return apiKey{}, err
	}
	k.ID = r.ID
	return k, nil
}

func newKeyID() string {
	var b [10]byte
	rand.Read(b[:])
	return keyIDEncoding.EncodeToString(b[:])
}

func renderKey(id string, secret []byte) string {
	return APIKeyPrefix + id + "_" + keyEncoding.EncodeToString(secret)
}

// parseKey splits a key into id and secret; anything not shaped exactly
// like a key is refused before any lookup.
func parseKey(key string) (id string, secret [32]byte, ok bool) {
	if len(key) != apiKeyLen || !strings.HasPrefix(key, APIKeyPrefix) {
		return "", secret, false
	}
	id, enc := key[len(APIKeyPrefix):len(APIKeyPrefix)+apiKeyIDLen], key[len(APIKeyPrefix)+apiKeyIDLen:]
	if enc[0] != '_' || !validKeyID(id) {
		return "", secret, false
	}
	n, err := keyEncoding.Decode(secret[:], []byte(enc[1:]))
	if err != nil || n != len(secret) {
		return "", secret, false
	}
	return id, secret, true
}

func validKeyID(id string) bool {
	if len(id) != apiKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			return false
		}
	}
	return true
}

var errKeyNotFound = errs.E(errs.NotFound, "API key not found")

// sessionOnly refuses key management with an API key as the credential: a
// leaked key must not be able to mint or keep alive other keys.
func sessionOnly(c Caller) error {
	if c.User == "" {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	if c.Key != "" {
		return errs.E(errs.PermissionDenied, "API keys are managed with a signed-in session, not with an API key")
	}
	if c.Enrol {
		return errs.E(errs.PermissionDenied, "enrol a second factor first")
	}
	return nil
}

// keyOwner resolves whose keys a call is about: the caller's own, or, for
// admins, anyone's. It refuses owners that are not enabled users.
func (s *Service) keyOwner(ctx context.Context, c Caller, owner string) (string, error) {
	if owner == "" || owner == c.User {
		return c.User, nil
	}
	if err := admin(c.Principals); err != nil {
		return "", err
	}
	if checkID(owner) != nil {
		return "", errs.E(errs.NotFound, "user not found")
	}
	e, err := loadUser(ctx, s.st, owner)
	switch {
	case err != nil:
		return "", err
	case e.missing:
		return "", errs.E(errs.NotFound, "user not found")
	case e.disabled:
		return "", errs.E(errs.FailedPrecondition, "the account is disabled")
	}
	return owner, nil
}

// CreateAPIKey makes a key for owner ("" for the caller). Users make keys
// for themselves, admins for anyone. The secret is in the answer only.
func (s *Service) CreateAPIKey(ctx context.Context, c Caller, owner string, req APIKeyRequest) (APIKeyCreated, error) {
	if err := sessionOnly(c); err != nil {
		return APIKeyCreated{}, err
	}
	owner, err := s.keyOwner(ctx, c, owner)
	if err != nil {
		return APIKeyCreated{}, err
	}
	k, err := s.newKey(ctx, c, owner, req)
	if err != nil {
		return APIKeyCreated{}, err
	}
	expired, err := s.makeRoom(ctx, owner, k.Created)
	if err != nil {
		return APIKeyCreated{}, err
	}
	secret := newSecret()
	k.Hash = hashSecret(secret)
	err = s.st.Write(ctx, func(tx store.Tx) error {
		for _, id := range expired {
			if err := tx.DeleteRecord(kindAPIKey, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := putKey(tx, k); err != nil {
			return err
		}
		return auditKey(tx, audit.APIKeyCreate, c.User, k, k.Created)
	})
	if err != nil {
		return APIKeyCreated{}, err
	}
	return APIKeyCreated{APIKeyInfo: k.info(), Key: renderKey(k.ID, secret)}, nil
}

// newKey checks a request and builds the key it asks for, without a secret.
func (s *Service) newKey(ctx context.Context, c Caller, owner string, req APIKeyRequest) (apiKey, error) {
	if err := checkKeyName(req.Name); err != nil {
		return apiKey{}, err
	}
	ttl, err := s.keyTTL(req.ExpiresIn)
	if err != nil {
		return apiKey{}, err
	}
	var sc Scope
	if req.Scopes != nil {
		if sc, err = normalizeScope(*req.Scopes); err != nil {
			return apiKey{}, err
		}
	}
	if sc.Admin {
		p, err := s.dir.principals(ctx, owner)
		if err != nil {
			return apiKey{}, err
		}
		if !p.Admin {
			return apiKey{}, errs.E(errs.PermissionDenied, "only an admin's key can have the admin scope")
		}
	}
	now := s.now()
	return apiKey{
		ID: newKeyID(), Owner: owner, Name: req.Name, CreatedBy: c.User,
		Created: now, Expires: now.Add(ttl), TTL: ttl, Scope: sc,
	}, nil
}

func checkKeyName(name string) error {
	n := utf8.RuneCountInString(name)
	ok := n >= 1 && n <= maxAPIKeyName && utf8.ValidString(name) && strings.TrimSpace(name) != ""
	for _, r := range name {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		return errs.E(errs.InvalidArgument, "name must be 1 to %d printable characters", maxAPIKeyName)
	}
	return nil
}

// keyTTL applies the default lifetime and refuses any beyond the maximum:
// every key expires.
func (s *Service) keyTTL(asked time.Duration) (time.Duration, error) {
	def, max := s.opt.APIKeyDefaultTTL, s.opt.APIKeyMaxTTL
	if def <= 0 {
		def = 90 * 24 * time.Hour
	}
	if max <= 0 {
		max = 365 * 24 * time.Hour
	}
	switch {
	case asked == 0:
		return min(def, max), nil
	case asked < time.Second:
		return 0, errs.E(errs.InvalidArgument, "expires_in must be at least one second")
	case asked > max:
		return 0, errs.E(errs.InvalidArgument, "expires_in may be at most %d seconds", int64(max/time.Second))
	}
	return asked, nil
}

func normalizeScope(sc Scope) (Scope, error) {
	if sc.Rights&^acl.All != 0 {
		return Scope{}, errs.E(errs.InvalidArgument, "scopes.rights must be a combination of the rights in %d (0 for all)", acl.All)
	}
	if len(sc.Collections) > maxKeyCollection {
		return Scope{}, errs.E(errs.InvalidArgument, "scopes.collections may list at most %d collections", maxKeyCollection)
	}
	for i, c := range sc.Collections {
		if store.ValidCollection(c) != nil {
			return Scope{}, errs.E(errs.InvalidArgument, "scopes.collections[%d] is not a valid collection name", i)
		}
	}
	sc.Collections = slices.Compact(slices.Sorted(slices.Values(sc.Collections)))
	if len(sc.Collections) == 0 {
		sc.Collections = nil
	}
	return sc, nil
}

// makeRoom finds the owner's expired keys, for the new key's write to
// delete, and refuses a key beyond the limit.
func (s *Service) makeRoom(ctx context.Context, owner string, now time.Time) ([]string, error) {
	recs, err := s.st.Records(ctx, kindAPIKey, owner)
	if err != nil {
		return nil, err
	}
	var expired []string
	for _, r := range recs {
		if !now.Before(r.Expires) {
			expired = append(expired, r.ID)
		}
	}
	if len(recs)-len(expired) >= maxAPIKeys {
		return nil, errs.E(errs.ResourceExhausted, "a user may have at most %d API keys; revoke one first", maxAPIKeys)
	}
	return expired, nil
}

// ListAPIKeys lists owner's keys ("" for the caller's own), newest first.
func (s *Service) ListAPIKeys(ctx context.Context, c Caller, owner string) ([]APIKeyInfo, error) {
	if c.User == "" {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	owner, err := s.keyOwner(ctx, c, owner)
	if err != nil {
		return nil, err
	}
	recs, err := s.st.Records(ctx, kindAPIKey, owner)
	if err != nil {
		return nil, err
	}
	out := make([]APIKeyInfo, 0, len(recs))
	for _, r := range recs {
		k, err := decodeKey(r)
		if err != nil {
			return nil, err
		}
		out = append(out, k.info())
	}
	slices.SortFunc(out, func(a, b APIKeyInfo) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeAPIKey deletes a key of the caller's (any key, for admins); it
// stops working on the next request. Other users' keys are not found.
func (s *Service) RevokeAPIKey(ctx context.Context, c Caller, id string) error {
	if err := sessionOnly(c); err != nil {
		return err
	}
	err := s.st.Write(ctx, func(tx store.Tx) error {
		k, err := managedKey(tx, c, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteRecord(kindAPIKey, id); err != nil {
			return err
		}
		return auditKey(tx, audit.APIKeyRevoke, c.User, k, s.now())
	})
	if err == nil {
		s.revoked("apikey:" + id)
	}
	return err
}

// RotateAPIKey gives a key a new secret and a fresh lifetime as long as
// the one first asked for. The secret it replaces keeps working for the
// rotation grace (never past its own expiry), so clients can switch over.
func (s *Service) RotateAPIKey(ctx context.Context, c Caller, id string) (APIKeyCreated, error) {
	if err := sessionOnly(c); err != nil {
		return APIKeyCreated{}, err
	}
	secret := newSecret()
	var out apiKey
	err := s.st.Write(ctx, func(tx store.Tx) error {
		k, err := managedKey(tx, c, id)
		if err != nil {
			return err
		}
		now := s.now()
		if !now.Before(k.Expires) {
			return errs.E(errs.FailedPrecondition, "the API key has expired; create a new one")
		}
		k.Old, k.OldUntil = k.Hash, minTime(now.Add(s.opt.APIKeyRotationGrace), k.Expires)
		if !k.OldUntil.After(now) {
			k.Old, k.OldUntil = nil, time.Time{}
		}
		k.Hash, k.Expires = hashSecret(secret), now.Add(min(k.TTL, s.maxKeyTTL()))
		out = k
		if err := putKey(tx, k); err != nil {
			return err
		}
		return auditKey(tx, audit.APIKeyRotate, c.User, k, now)
	})
	if err != nil {
		return APIKeyCreated{}, err
	}
	s.revoked("apikey:" + id)
	return APIKeyCreated{APIKeyInfo: out.info(), Key: renderKey(out.ID, secret)}, nil
}

func (s *Service) maxKeyTTL() time.Duration {
	if s.opt.APIKeyMaxTTL > 0 {
		return s.opt.APIKeyMaxTTL
	}
	return 365 * 24 * time.Hour
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// managedKey loads a key the caller may manage: its own, or any for admins.
func managedKey(tx store.Tx, c Caller, id string) (apiKey, error) {
	if !validKeyID(id) {
		return apiKey{}, errKeyNotFound
	}
	r, err := tx.Record(kindAPIKey, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.Owner != c.User && !c.Admin {
		return apiKey{}, errKeyNotFound
	}
	if err != nil {
		return apiKey{}, err
	}
	return decodeKey(r)
}

// auditKey records a key event in the same transaction as the change. Its
// data never holds the secret or its hash.
func auditKey(tx store.Tx, kind, actor string, k apiKey, now time.Time) error {
	_, err := audit.Append(tx, audit.Event{Kind: kind, Actor: actor, Subject: k.ID, Data: map[string]any{
		"owner": k.Owner, "name": k.Name, "expires": k.Expires,
		"rights": int(k.Scope.Rights), "collections": k.Scope.Collections, "admin": k.Scope.Admin,
	}}, now)
	return err
}

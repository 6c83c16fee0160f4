package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

var (
	errBadKey     = errs.E(errs.Unauthenticated, "API key is not valid")
	errKeyExpired = errs.E(errs.Unauthenticated, "API key has expired")
)

const (
	// keyRecheck bounds how long a revocation or rotation on another node
	// can go unnoticed when its notice is lost.
	keyRecheck = 2 * time.Second
	// lastUsedEvery is how stale a key's last-used time may get: a busy
	// key costs one write a minute, not one per request.
	lastUsedEvery = time.Minute
	maxCachedKeys = 100000
)

// authenticateKey resolves an API key into its user's principals narrowed
// by the key's scope. A warm key costs a hash and two map lookups.
func (s *Service) authenticateKey(ctx context.Context, key string) (Caller, error) {
	id, secret, ok := parseKey(key)
	if !ok {
		return Caller{}, errBadKey
	}
	ref := keyRef{id: id, hash: sha256.Sum256(secret[:])}
	now := s.now()
	e, ok := s.apiKeys.get(ref, now)
	if !ok {
		var err error
		if e, err = s.verifyKey(ctx, ref, now); err != nil {
			return Caller{}, err
		}
	}
	// The owner goes through the same cache as tokens, so a disabled or
	// deleted owner, or a changed role, counts on the next request.
	p, err := s.dir.principals(ctx, e.owner)
	if err != nil {
		return Caller{}, err
	}
	if now.Sub(e.lastUsed) >= lastUsedEvery && s.apiKeys.due(ref, now) {
		s.touchKey(id, now)
	}
	return Caller{Principals: e.scope.narrow(p), Key: id}, nil
}

// verifyKey checks a key against its record: the current secret, or the
// one the last rotation replaced while its grace lasts.
func (s *Service) verifyKey(ctx context.Context, ref keyRef, now time.Time) (cachedKey, error) {
	gen := s.apiKeys.generation()
	r, err := s.st.Record(ctx, kindAPIKey, ref.id)
	if errors.Is(err, store.ErrNotFound) {
		return cachedKey{}, errBadKey
	}
	if err != nil {
		return cachedKey{}, err
	}
	k, err := decodeKey(r)
	if err != nil {
		return cachedKey{}, err
	}
	until := minTime(now.Add(keyRecheck), k.Expires)
	switch {
	case subtle.ConstantTimeCompare(k.Hash, ref.hash[:]) == 1:
	case len(k.Old) > 0 && subtle.ConstantTimeCompare(k.Old, ref.hash[:]) == 1 && now.Before(k.OldUntil):
		until = minTime(until, k.OldUntil)
	default:
		return cachedKey{}, errBadKey
	}
	if !now.Before(k.Expires) {
		s.expiredUse(ctx, k, now)
		return cachedKey{}, errKeyExpired
	}
	e := cachedKey{owner: k.Owner, scope: k.Scope, until: until, lastUsed: k.LastUsed}
	s.apiKeys.put(gen, ref, e)
	return e, nil
}

// narrow applies a key's scope to its owner's principals. Without the
// admin scope an admin's key loses admin powers and the admins role, so
// ACL entries naming admins do not reach it either.
func (sc Scope) narrow(p acl.Principals) acl.Principals {
	if !sc.Admin && (p.Admin || p.Contains(acl.RoleAdmins)) {
		p.IDs = slices.DeleteFunc(slices.Clone(p.IDs), func(id string) bool { return id == acl.RoleAdmins })
		p.Admin, p.Bypass = false, false
	}
	p.Mask, p.Collections = sc.Rights, sc.Collections
	return p
}

// expiredUse records that a correct but expired key was presented, at most
// once a minute per key so a looping script cannot flood the audit log.
func (s *Service) expiredUse(ctx context.Context, k apiKey, now time.Time) {
	if !s.apiKeys.noteExpired(k.ID, now) {
		return
	}
	s.log.Warn("expired API key used", "apikey", k.ID, "owner", k.Owner)
	err := s.st.Write(ctx, func(tx store.Tx) error {
		_, err := audit.Append(tx, audit.Event{Kind: audit.APIKeyExpiredUse, Actor: k.Owner, Subject: k.ID,
			Data: map[string]any{"owner": k.Owner, "name": k.Name, "expires": k.Expires}}, now)
		return err
	})
	if err != nil {
		s.log.Warn("audit of an expired API key use failed", "apikey", k.ID, "err", err)
	}
}

// touchKey records a key's last use in the background: it must never slow
// down or fail the request that used the key.
func (s *Service) touchKey(id string, now time.Time) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := s.st.Write(ctx, func(tx store.Tx) error {
			_, err := tx.UpdateRecord(kindAPIKey, id, func(r store.Record) (store.Record, error) {
				k, err := decodeKey(r)
				if err != nil || !k.LastUsed.Before(now) {
					return r, err
				}
				k.LastUsed = now
				r.Data, err = json.Marshal(k)
				return r, err
			})
			return err
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrClosed) {
			s.log.Warn("recording an API key's last use failed", "apikey", id, "err", err)
		}
	}()
}

// keyCache remembers verified keys by id and secret hash. Revoking or
// rotating a key drops its entries at once (on other nodes through the
// revocation notice), and every entry expires after keyRecheck in case a
// notice was lost, and never outlives the key or the rotated secret.
type keyCache struct {
	mu      sync.RWMutex
	m       map[keyRef]cachedKey
	expired map[string]time.Time // when an expired key's use was last noted
	gen     uint64               // bumped by every drop, so a load racing one is not kept
}

type keyRef struct {
	id   string
	hash [sha256.Size]byte
}

type cachedKey struct {
	owner    string
	scope    Scope
	until    time.Time
	lastUsed time.Time // last time the record's last-used was written or due
}

func newKeyCache() *keyCache {
	return &keyCache{m: map[keyRef]cachedKey{}, expired: map[string]time.Time{}}
}

func (c *keyCache) get(ref keyRef, now time.Time) (cachedKey, bool) {
	c.mu.RLock()
	e, ok := c.m[ref]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return cachedKey{}, false
	}
	return e, true
}

func (c *keyCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *keyCache) put(gen uint64, ref keyRef, e cachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxCachedKeys {
		clear(c.m) // crude but bounded; entries are cheap to rebuild
	}
	c.m[ref] = e
}

// drop forgets every entry of a key.
func (c *keyCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for ref := range c.m {
		if ref.id == id {
			delete(c.m, ref)
		}
	}
}

// due reports whether a last-used write is due for a cached key, and
// marks it started so concurrent requests do not repeat it.
func (c *keyCache) due(ref keyRef, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[ref]
	if !ok || now.Sub(e.lastUsed) < lastUsedEvery {
		return false
	}
	e.lastUsed = now
	c.m[ref] = e
	return true
}

// noteExpired reports whether an expired key's use should be recorded.
func (c *keyCache) noteExpired(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.expired[id]; ok && now.Sub(t) < lastUsedEvery {
		return false
	}
	if len(c.expired) >= maxCachedKeys {
		clear(c.expired)
	}
	c.expired[id] = now
	return true
}

package token

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultTTL is the access-token lifetime when Config.TTL is zero.
	DefaultTTL = 10 * time.Minute
	// DefaultRotation is the signing-key age that triggers rotation when
	// Config.Rotation is zero.
	DefaultRotation = 24 * time.Hour
	// pruneMargin keeps a retired key a little past the last possible
	// expiry of its tokens, for clock skew between nodes.
	pruneMargin = time.Minute
)

// Config sets up a Keys.
type Config struct {
	Issuer   string        // iss of issued tokens; required
	Audience string        // aud of issued tokens; required
	TTL      time.Duration // token lifetime; DefaultTTL if zero
	Rotation time.Duration // active-key age that Maintain rotates at; DefaultRotation if zero
	Now      func() time.Time
	Logger   *slog.Logger // for Run's maintenance failures; slog.Default if nil
}

func (c Config) withDefaults() (Config, error) {
	if c.Issuer == "" || c.Audience == "" {
		return c, errors.New("token config: issuer and audience are required")
	}
	if c.TTL < 0 || c.Rotation < 0 {
		return c, errors.New("token config: ttl and rotation must not be negative")
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Rotation == 0 {
		c.Rotation = DefaultRotation
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Keys issues and verifies access tokens and manages their signing keys.
// It is safe for concurrent use.
type Keys struct {
	cfg   Config
	store KeyStore
	mu    sync.Mutex // serialises changes to the key set and the store
	set   atomic.Pointer[keySet]
	cache *verifyCache

	// onVerify, when set by tests, observes every successful Verify.
	onVerify func(cached bool)
	// lastReload is when VerifyFresh last re-read the store (Unix ns).
	lastReload atomic.Int64
}

// New loads the keys from ks and creates the first signing key if there is
// no active one.
func New(ctx context.Context, ks KeyStore, cfg Config) (*Keys, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &Keys{cfg: cfg, store: ks, cache: newVerifyCache()}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadLocked(ctx); err != nil {
		return nil, err
	}
	if k.set.Load().active == nil {
		if err := k.rotateLocked(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Reload re-reads the key store, picking up keys another node rotated in
// or pruned. It keeps the current keys if the store has no active key.
func (k *Keys) Reload(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.loadLocked(ctx)
}

func (k *Keys) loadLocked(ctx context.Context) error {
	stored, err := k.store.LoadKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	prev := k.set.Load()
	s, err := buildSet(stored, prev)
	if err != nil {
		return err
	}
	if s.active == nil && prev != nil {
		return errors.New("load signing keys: store has no active key")
	}
	k.set.Store(s)
	return nil
}

// Rotate creates a new active key and retires the previous one now.
// Tokens signed by the retired key stay valid until they expire.
func (k *Keys) Rotate(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rotateLocked(ctx)
}

func (k *Keys) rotateLocked(ctx context.Context) error {
	mat, err := generateKey()
	if err != nil {
		return err
	}
	now := k.cfg.Now().UTC()
	fresh := StoredKey{ID: mat.id, Private: mat.der, Created: now}
	// Saving the new key first means a failure below leaves two active
	// keys, which the newest-wins rule resolves, rather than none.
	if err := k.store.SaveKey(ctx, fresh); err != nil {
		return fmt.Errorf("save signing key: %w", err)
	}
	cur := k.current()
	cur.byID[mat.id] = &keyEntry{mat: mat, created: now}
	return k.retireOthersLocked(ctx, cur, mat.id, now)
}

// retireOthersLocked retires every active key except keep and installs the
// resulting set if anything changed.
func (k *Keys) retireOthersLocked(ctx context.Context, s *keySet, keep string, now time.Time) error {
	changed := false
	for id, e := range s.byID {
		if id == keep || !e.retired.IsZero() {
			continue
		}
		r := &keyEntry{mat: e.mat, created: e.created, retired: now}
		if err := k.store.SaveKey(ctx, r.toStored()); err != nil {
			return fmt.Errorf("retire signing key: %w", err)
		}
		s.byID[id] = r
		changed = true
	}
	if !changed && k.set.Load().byID[keep] != nil {
		return nil
	}
	return k.install(s)
}

// current returns a mutable copy of the installed set's key map.
func (k *Keys) current() *keySet {
	s := &keySet{byID: map[string]*keyEntry{}}
	if prev := k.set.Load(); prev != nil {
		for id, e := range prev.byID {
			s.byID[id] = e
		}
	}
	return s
}

// install rebuilds active key and JWKS for s and publishes it.
func (k *Keys) install(s *keySet) error {
	next, err := buildSet(s.stored(), k.set.Load())
	if err != nil {
		return err
	}
	k.set.Store(next)
	return nil
}

// Prune deletes retired keys whose tokens have all expired: retired more
// than TTL plus a minute ago. Cached tokens of a pruned key stop verifying.
func (k *Keys) Prune(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pruneLocked(ctx)
}

func (k *Keys) pruneLocked(ctx context.Context) error {
	now := k.cfg.Now()
	s := k.current()
	changed := false
	for id, e := range s.byID {
		if e.retired.IsZero() || now.Before(e.retired.Add(k.cfg.TTL+pruneMargin)) {
			continue
		}
		if err := k.store.DeleteKey(ctx, id); err != nil {
			return fmt.Errorf("delete signing key: %w", err)
		}
		delete(s.byID, id)
		changed = true
	}
	if !changed {
		return nil
	}
	return k.install(s)
}

// Maintain re-reads the store, retires stray active keys left by
// concurrent rotations on other nodes, rotates if the active key is older
// than Config.Rotation, then prunes.
func (k *Keys) Maintain(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadLocked(ctx); err != nil {
		return err
	}
	now := k.cfg.Now().UTC()
	active := k.set.Load().active
	if err := k.retireOthersLocked(ctx, k.current(), active.mat.id, now); err != nil {
		return err
	}
	if !now.Before(active.created.Add(k.cfg.Rotation)) {
		if err := k.rotateLocked(ctx); err != nil {
			return err
		}
	}
	return k.pruneLocked(ctx)
}

// Run calls Maintain every interval until ctx ends, logging failures, and
// returns the context's error. In a cluster keep the interval near a
// minute: a node signs with its old key until it reloads, and a retired
// key is kept only TTL plus a minute, so a longer interval can cut the
// lifetime of tokens issued in between short (never extend it).
func (k *Keys) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return errors.New("token key maintenance interval must be positive")
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil {
				k.cfg.Logger.ErrorContext(ctx, "token key maintenance failed", "err", err)
			}
		}
	}
}

// JWKS returns the JSON Web Key Set of every kept public key.
func (k *Keys) JWKS() []byte {
	return bytes.Clone(k.set.Load().jwks)
}

// ActiveKeyID returns the kid of the key that signs new tokens.
func (k *Keys) ActiveKeyID() string {
	return k.set.Load().active.mat.id
}

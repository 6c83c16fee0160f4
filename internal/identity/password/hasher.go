package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"

	"golang.org/x/crypto/argon2"

	"rampart.dev/rampart/internal/errs"
)

// MaxLen bounds a password in bytes. Longer input is refused, never
// truncated.
const MaxLen = 4096

// Hasher hashes and verifies passwords with fixed parameters and a cap on
// concurrent computations. It is safe for concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string

	// kdf computes the hash; tests wrap it to watch concurrency and paths.
	kdf func(password, salt []byte, p Params) []byte
}

// NewHasher returns a Hasher using p that runs at most maxConcurrent hashes
// at once (GOMAXPROCS if maxConcurrent <= 0). Peak memory is about
// maxConcurrent * p.MemoryKiB.
func NewHasher(p Params, maxConcurrent int) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("password params: %w", err)
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, sem: make(chan struct{}, maxConcurrent), kdf: argon2id}
	// The dummy hash is random bytes under our own parameters: no password
	// matches it, and checking it costs what checking a real hash does.
	salt, err := randomBytes(p.SaltLen)
	if err != nil {
		return nil, err
	}
	key, err := randomBytes(p.KeyLen)
	if err != nil {
		return nil, err
	}
	h.dummy = encode(p, salt, key)
	return h, nil
}

func argon2id(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of password under a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxLen {
		return "", tooLong()
	}
	salt, err := randomBytes(h.params.SaltLen)
	if err != nil {
		return "", err
	}
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC string encoded. rehash
// is true when it matches but was made with other parameters than the
// Hasher's, so the caller should store a fresh Hash. A malformed or
// out-of-bounds encoded yields an error wrapping ErrMalformedHash.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	if len(password) > MaxLen {
		return false, false, tooLong()
	}
	s, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	key, err := h.derive(ctx, password, s.salt, s.params)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(key, s.key) == 1
	return ok, ok && s.params != h.params, nil
}

// Dummy runs a verification of the same cost as Verify against a hash no
// password matches. Call it when the user does not exist so the response
// takes as long as for a wrong password; its error, like Verify's, reports
// only a busy hasher or an ended context.
func (h *Hasher) Dummy(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

// derive computes the hash once a concurrency slot is free.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-h.sem }()
	pw := []byte(password)
	defer clear(pw)
	return h.kdf(pw, salt, p), nil
}

// acquire takes a slot, or gives up when ctx ends.
func (h *Hasher) acquire(ctx context.Context) error {
	if ctx.Err() != nil {
		return busy(ctx)
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return busy(ctx)
	}
}

// busy keeps the context's cause in the chain, so errors.Is still finds
// context.Canceled or context.DeadlineExceeded.
func busy(ctx context.Context) error {
	return errs.Wrap(context.Cause(ctx), errs.ResourceExhausted, "too many password checks in progress")
}

func tooLong() error {
	return errs.E(errs.InvalidArgument, "password longer than %d bytes", MaxLen)
}

func randomBytes(n uint32) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("read random bytes: %w", err)
	}
	return b, nil
}

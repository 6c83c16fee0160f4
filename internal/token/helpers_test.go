package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"rampart.dev/rampart/internal/errs"
)

// memKeyStore is an in-memory KeyStore for unit tests only.
type memKeyStore struct {
	mu   sync.Mutex
	keys map[string]StoredKey
	fail error // returned by every call while set
}

var _ KeyStore = (*memKeyStore)(nil)

func newMemKeyStore() *memKeyStore {
	return &memKeyStore{keys: map[string]StoredKey{}}
}

func (m *memKeyStore) LoadKeys(ctx context.Context) ([]StoredKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	out := make([]StoredKey, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, k)
	}
	return out, nil
}

func (m *memKeyStore) SaveKey(ctx context.Context, k StoredKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	k.Private = slices.Clone(k.Private)
	m.keys[k.ID] = k
	return nil
}

func (m *memKeyStore) DeleteKey(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	delete(m.keys, id)
	return nil
}

func (m *memKeyStore) setFail(err error) {
	m.mu.Lock()
	m.fail = err
	m.mu.Unlock()
}

// active lists the ids of stored keys that are not retired.
func (m *memKeyStore) active() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, k := range m.keys {
		if k.Retired.IsZero() {
			ids = append(ids, id)
		}
	}
	return ids
}

func (m *memKeyStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

const (
	testIssuer   = "https://rampart.test"
	testAudience = "rampart"
	testTTL      = 10 * time.Minute
)

func testConfig() Config {
	return Config{Issuer: testIssuer, Audience: testAudience, TTL: testTTL, Rotation: time.Hour}
}

// newTestKeys builds a Keys on a fresh in-memory store.
func newTestKeys(t testing.TB) (*Keys, *memKeyStore) {
	t.Helper()
	ks := newMemKeyStore()
	return newKeysOn(t, ks, testConfig()), ks
}

func newKeysOn(t testing.TB, ks KeyStore, cfg Config) *Keys {
	t.Helper()
	k, err := New(context.Background(), ks, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

func mustIssue(t testing.TB, k *Keys, sub string) string {
	t.Helper()
	tok, _, err := k.Issue(sub, "session-1")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// countVerifies installs the test hook and returns counters of cached and
// uncached successful verifications.
func countVerifies(k *Keys) (cached, full *int) {
	var mu sync.Mutex
	cached, full = new(int), new(int)
	k.onVerify = func(c bool) {
		mu.Lock()
		defer mu.Unlock()
		if c {
			*cached++
		} else {
			*full++
		}
	}
	return cached, full
}

// wantDenied checks that err is unauthenticated and does not echo tok.
func wantDenied(t *testing.T, tok string, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("token accepted, want unauthenticated")
	}
	if !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("error code = %q, want unauthenticated (%v)", errs.CodeOf(err), err)
	}
	msg := err.Error()
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			t.Fatalf("error message echoes the token: %q", msg)
		}
	}
}

var b64 = base64.RawURLEncoding

// rawJWS assembles a compact JWS from a header, a payload and a signer
// function over the signing input.
func rawJWS(t testing.TB, header, payload any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

// es256 returns a signer producing a JWS ES256 signature (r||s).
func es256(t testing.TB, priv *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

// validHeader and validPayload describe a token Verify accepts; tests
// break one field at a time.
func validHeader(kid string) map[string]any {
	return map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}
}

func validPayload(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "user-1", "sid": "s-1",
		"jti": "jti-1", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(testTTL).Unix(),
	}
}

func activeKey(k *Keys) (string, *ecdsa.PrivateKey) {
	a := k.set.Load().active
	return a.mat.id, a.mat.priv
}

var errStoreDown = errors.New("store down")

func jwsParse(tok string) (*jose.JSONWebSignature, error) {
	return jose.ParseSignedCompact(tok, allowedAlgs)
}

package token

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"

	"rampart.dev/rampart/internal/errs"
)

const (
	// MaxTokenLen bounds what Verify will parse; real tokens are far smaller.
	MaxTokenLen = 8 << 10
	// clockSkew is how far in the future nbf and iat may lie, for nodes
	// whose clocks disagree. Expiry gets no leeway.
	clockSkew = 30 * time.Second
)

// allowedAlgs is the only algorithm list handed to the parser, so none,
// HMAC and RSA tokens fail before any key is touched.
var allowedAlgs = []jose.SignatureAlgorithm{jose.ES256}

// Verify checks a token's signature and claims and returns its claims.
// Every failure is an errs.Unauthenticated error that does not contain the
// token.
func (k *Keys) Verify(token string) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, denied("token too long")
	}
	sum := tokenSum(token)
	set, now := k.set.Load(), k.cfg.Now()
	if c, ok := k.cache.get(sum, set, now); ok {
		k.observe(true)
		return c, nil
	}
	c, mat, err := k.verifyFull(token, set, now)
	if err != nil {
		return Claims{}, err
	}
	k.cache.put(sum, cacheEntry{claims: c, mat: mat}, now)
	k.observe(false)
	return c, nil
}

// tokenSum hashes a token through a stack buffer: converting a string of
// a typical token's size to []byte would allocate on every cache hit.
func tokenSum(token string) [32]byte {
	var buf [1024]byte
	if len(token) <= len(buf) {
		n := copy(buf[:], token)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(token))
}

func (k *Keys) observe(cached bool) {
	if k.onVerify != nil {
		k.onVerify(cached)
	}
}

// verifyFull parses and checks a token that is not in the cache.
func (k *Keys) verifyFull(token string, set *keySet, now time.Time) (Claims, *keyMaterial, error) {
	if !isCompactJWS(token) {
		return Claims{}, nil, denied("malformed token")
	}
	obj, err := jose.ParseSignedCompact(token, allowedAlgs)
	if err != nil {
		return Claims{}, nil, denied("malformed token")
	}
	e, err := checkHeader(obj, set)
	if err != nil {
		return Claims{}, nil, err
	}
	payload, err := obj.Verify(&e.mat.priv.PublicKey)
	if err != nil {
		return Claims{}, nil, denied("invalid token signature")
	}
	// go-jose's json matches claim names case-sensitively, unlike
	// encoding/json.
	var w wireClaims
	if err := josejson.Unmarshal(payload, &w); err != nil {
		return Claims{}, nil, denied("malformed token claims")
	}
	if err := k.checkClaims(&w, now); err != nil {
		return Claims{}, nil, err
	}
	return w.claims(), e.mat, nil
}

// isCompactJWS admits only the base64url alphabet and dots. The base64
// decoder would skip CR and LF, letting one token take many spellings,
// each a separate cache entry.
func isCompactJWS(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// checkHeader enforces alg, typ and kid, and returns the signing key.
func checkHeader(obj *jose.JSONWebSignature, set *keySet) (*keyEntry, error) {
	if len(obj.Signatures) != 1 {
		return nil, denied("malformed token")
	}
	h := obj.Signatures[0].Protected
	if h.Algorithm != string(jose.ES256) {
		return nil, denied("token algorithm not allowed")
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !isAccessTokenType(typ) {
		return nil, denied("not an access token")
	}
	if h.KeyID == "" {
		return nil, denied("token has no key id")
	}
	e, ok := set.byID[h.KeyID]
	if !ok {
		return nil, errUnknownKey
	}
	return e, nil
}

var errUnknownKey = denied("token signed by unknown key")

// reloadEvery bounds how often tokens naming an unknown key can make this
// node re-read the key store, so forged key ids cannot flood it.
const reloadEvery = time.Second

// VerifyFresh is Verify that, when the token names a key this node does not
// know, re-reads the key store once (another node may have rotated) and
// tries again.
func (k *Keys) VerifyFresh(ctx context.Context, token string) (Claims, error) {
	c, err := k.Verify(token)
	if !errors.Is(err, errUnknownKey) {
		return c, err
	}
	now := k.cfg.Now()
	last := k.lastReload.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < reloadEvery || !k.lastReload.CompareAndSwap(last, now.UnixNano()) {
		return c, err
	}
	if rerr := k.Reload(ctx); rerr != nil {
		return c, err
	}
	return k.Verify(token)
}

// isAccessTokenType accepts the typ RFC 9068 defines, in either spelling;
// media types compare case-insensitively.
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, tokenType) || strings.EqualFold(typ, "application/"+tokenType)
}

// checkClaims validates the registered claims against the configuration
// and the current time.
func (k *Keys) checkClaims(w *wireClaims, now time.Time) error {
	if w.Issuer != k.cfg.Issuer {
		return denied("token issuer mismatch")
	}
	if len(w.Audience) != 1 || w.Audience[0] != k.cfg.Audience {
		return denied("token audience mismatch")
	}
	if w.Subject == "" || w.ID == "" || w.Expiry == nil || w.IssuedAt == nil {
		return denied("token lacks required claims")
	}
	return k.checkTimes(w, now)
}

func (k *Keys) checkTimes(w *wireClaims, now time.Time) error {
	exp, iat := w.Expiry.Time(), w.IssuedAt.Time()
	if !now.Before(exp) {
		return denied("token expired")
	}
	if w.NotBefore != nil && w.NotBefore.Time().After(now.Add(clockSkew)) {
		return denied("token not valid yet")
	}
	if iat.After(now.Add(clockSkew)) {
		return denied("token issued in the future")
	}
	// A token may not outlive TTL: Prune relies on it.
	if exp.Sub(iat) > k.cfg.TTL {
		return denied("token lifetime too long")
	}
	return nil
}

func denied(msg string) error {
	return errs.E(errs.Unauthenticated, "%s", msg)
}

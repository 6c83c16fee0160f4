package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// tokenType is the JOSE typ of an access token (RFC 9068).
const tokenType = "at+jwt"

// Claims is what an access token asserts. Times are UTC with whole seconds,
// as they travel in the token.
type Claims struct {
	Subject  string    // sub: the principal id
	Session  string    // sid: the session the token belongs to
	ID       string    // jti: random, unique per token
	Scope    string    // scope: space-separated, empty for full access
	IssuedAt time.Time // iat
	Expiry   time.Time // exp
}

// IssueOption adds optional claims to an issued token.
type IssueOption func(*Claims)

// WithScope restricts the token to a space-separated list of scopes.
func WithScope(scope string) IssueOption {
	return func(c *Claims) { c.Scope = scope }
}

// wireClaims is the JSON payload of a token.
type wireClaims struct {
	jwt.Claims
	Session string `json:"sid,omitempty"`
	Scope   string `json:"scope,omitempty"`
}

// Issue signs a new access token for sub in session sid with the active key.
// It returns the compact token and the claims it carries.
func (k *Keys) Issue(sub, sid string, opts ...IssueOption) (string, Claims, error) {
	if sub == "" {
		return "", Claims{}, errors.New("issue token: subject is required")
	}
	jti, err := newTokenID()
	if err != nil {
		return "", Claims{}, err
	}
	// Claims carry whole seconds; truncating here makes the returned Claims
	// equal what Verify later returns.
	now := k.cfg.Now()
	iat := time.Unix(now.Unix(), 0).UTC()
	exp := time.Unix(now.Add(k.cfg.TTL).Unix(), 0).UTC()
	c := Claims{Subject: sub, Session: sid, ID: jti, IssuedAt: iat, Expiry: exp}
	for _, o := range opts {
		o(&c)
	}
	tok, err := k.sign(k.wire(c))
	if err != nil {
		return "", Claims{}, err
	}
	return tok, c, nil
}

func (k *Keys) wire(c Claims) wireClaims {
	return wireClaims{
		Claims: jwt.Claims{
			Issuer:    k.cfg.Issuer,
			Subject:   c.Subject,
			Audience:  jwt.Audience{k.cfg.Audience},
			Expiry:    jwt.NewNumericDate(c.Expiry),
			NotBefore: jwt.NewNumericDate(c.IssuedAt),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        c.ID,
		},
		Session: c.Session,
		Scope:   c.Scope,
	}
}

// sign serialises claims and signs them with the active key.
func (k *Keys) sign(w wireClaims) (string, error) {
	payload, err := json.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	obj, err := k.set.Load().active.mat.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialize token: %w", err)
	}
	return tok, nil
}

// newTokenID returns a random 128-bit jti.
func newTokenID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random token id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// claims converts a verified payload to Claims.
func (w *wireClaims) claims() Claims {
	return Claims{
		Subject:  w.Subject,
		Session:  w.Session,
		ID:       w.ID,
		Scope:    w.Scope,
		IssuedAt: w.IssuedAt.Time().UTC(),
		Expiry:   w.Expiry.Time().UTC(),
	}
}

package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"rampart.dev/rampart/internal/errs"
)

// hostileCase builds a token from the victim Keys that Verify must refuse.
type hostileCase struct {
	name  string
	build func(t *testing.T, k *Keys) string
}

// signedWith builds an ES256 token with the active key after edit changes
// the header and payload.
func signedWith(edit func(h, p map[string]any)) func(*testing.T, *Keys) string {
	return func(t *testing.T, k *Keys) string {
		kid, priv := activeKey(k)
		h, p := validHeader(kid), validPayload(time.Now())
		edit(h, p)
		return rawJWS(t, h, p, es256(t, priv))
	}
}

func hmacSigner(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

// hmacWithPublicKey forges HS256 tokens keyed with encodings of the public
// key, the classic algorithm-confusion attack.
func hmacWithPublicKey(enc func(t *testing.T, k *Keys) []byte) func(*testing.T, *Keys) string {
	return func(t *testing.T, k *Keys) string {
		kid, _ := activeKey(k)
		h := validHeader(kid)
		h["alg"] = "HS256"
		return rawJWS(t, h, validPayload(time.Now()), hmacSigner(enc(t, k)))
	}
}

func publicKey(k *Keys) *ecdsa.PublicKey {
	_, priv := activeKey(k)
	return &priv.PublicKey
}

func pointBytes(t *testing.T, k *Keys) []byte {
	b, err := publicKey(k).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pkixBytes(t *testing.T, k *Keys) []byte {
	b, err := x509.MarshalPKIXPublicKey(publicKey(k))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rs256Token(t *testing.T, k *Keys) string {
	kid, _ := activeKey(k)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return rawJWS(t, map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": kid}, validPayload(time.Now()),
		func(in []byte) []byte {
			d := sha256.Sum256(in)
			sig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		})
}

// sameKidOtherKey signs with a different P-256 key under the victim's kid,
// as a second Keys instance holding a colliding kid would.
func sameKidOtherKey(t *testing.T, k *Keys) string {
	kid, _ := activeKey(k)
	other := newMemKeyStore()
	mat, err := generateKey()
	if err != nil {
		t.Fatal(err)
	}
	other.keys[kid] = StoredKey{ID: kid, Private: mat.der, Created: time.Now()}
	attacker := newKeysOn(t, other, testConfig())
	return mustIssue(t, attacker, "admin")
}

// embeddedJWK signs with an attacker key and embeds its public half in the
// header, hoping the verifier trusts it.
func embeddedJWK(t *testing.T, k *Keys) string {
	kid, _ := activeKey(k)
	evil, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jose.JSONWebKey{Key: &evil.PublicKey, KeyID: kid}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	h := validHeader(kid)
	h["jwk"] = string(jwk)
	return rawJWS(t, h, validPayload(time.Now()), es256(t, evil))
}

func tamperPayload(t *testing.T, k *Keys) string {
	parts := strings.Split(mustIssue(t, k, "user-1"), ".")
	p := validPayload(time.Now())
	p["sub"] = "admin"
	forged := rawJWS(t, map[string]any{}, p, func([]byte) []byte { return nil })
	parts[1] = strings.Split(forged, ".")[1]
	return strings.Join(parts, ".")
}

func tamperSignature(t *testing.T, k *Keys) string {
	parts := strings.Split(mustIssue(t, k, "user-1"), ".")
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 0x01
	parts[2] = b64.EncodeToString(sig)
	return strings.Join(parts, ".")
}

func constant(s string) func(*testing.T, *Keys) string {
	return func(*testing.T, *Keys) string { return s }
}

var hostileCases = []hostileCase{
	{"alg none", func(t *testing.T, k *Keys) string {
		kid, _ := activeKey(k)
		h := validHeader(kid)
		h["alg"] = "none"
		return rawJWS(t, h, validPayload(time.Now()), func([]byte) []byte { return nil })
	}},
	{"hs256 keyed with public point", hmacWithPublicKey(pointBytes)},
	{"hs256 keyed with public pkix", hmacWithPublicKey(pkixBytes)},
	{"hs256 keyed with jwks", hmacWithPublicKey(func(_ *testing.T, k *Keys) []byte { return k.JWKS() })},
	{"rs256", rs256Token},
	{"es384 header", signedWith(func(h, p map[string]any) { h["alg"] = "ES384" })},
	{"unknown kid", signedWith(func(h, p map[string]any) { h["kid"] = "not-a-key" })},
	{"missing kid", signedWith(func(h, p map[string]any) { delete(h, "kid") })},
	{"expired", signedWith(func(h, p map[string]any) {
		p["iat"] = time.Now().Add(-testTTL - time.Second).Unix()
		p["nbf"] = p["iat"]
		p["exp"] = time.Now().Add(-time.Second).Unix()
	})},
	{"nbf in future", signedWith(func(h, p map[string]any) { p["nbf"] = time.Now().Add(5 * time.Minute).Unix() })},
	{"iat 10 minutes in future", signedWith(func(h, p map[string]any) {
		p["iat"] = time.Now().Add(10 * time.Minute).Unix()
		p["exp"] = time.Now().Add(12 * time.Minute).Unix()
	})},
	// Well past the skew: the claim is in whole seconds and the check runs later.
	{"iat past skew", signedWith(func(h, p map[string]any) { p["iat"] = time.Now().Add(35 * time.Second).Unix() })},
	{"lifetime beyond ttl", signedWith(func(h, p map[string]any) { p["exp"] = time.Now().Add(2 * testTTL).Unix() })},
	{"wrong audience", signedWith(func(h, p map[string]any) { p["aud"] = "other" })},
	{"extra audience", signedWith(func(h, p map[string]any) { p["aud"] = []string{testAudience, "other"} })},
	{"missing audience", signedWith(func(h, p map[string]any) { delete(p, "aud") })},
	{"wrong issuer", signedWith(func(h, p map[string]any) { p["iss"] = "https://evil.test" })},
	{"issuer differs in case", signedWith(func(h, p map[string]any) { p["iss"] = strings.ToUpper(testIssuer) })},
	{"typ jwt", signedWith(func(h, p map[string]any) { h["typ"] = "JWT" })},
	{"typ missing", signedWith(func(h, p map[string]any) { delete(h, "typ") })},
	{"typ not a string", signedWith(func(h, p map[string]any) { h["typ"] = 1 })},
	{"missing sub", signedWith(func(h, p map[string]any) { delete(p, "sub") })},
	{"missing exp", signedWith(func(h, p map[string]any) { delete(p, "exp") })},
	{"missing iat", signedWith(func(h, p map[string]any) { delete(p, "iat") })},
	{"missing jti", signedWith(func(h, p map[string]any) { delete(p, "jti") })},
	{"huge exp", signedWith(func(h, p map[string]any) { p["exp"] = 1e300 })},
	{"unknown crit", signedWith(func(h, p map[string]any) { h["crit"] = []string{"x-evil"}; h["x-evil"] = 1 })},
	{"tampered payload", tamperPayload},
	{"tampered signature", tamperSignature},
	{"same kid from another instance", sameKidOtherKey},
	{"embedded attacker jwk", embeddedJWK},
	{"1 MB token", func(t *testing.T, k *Keys) string { return mustIssue(t, k, "u") + strings.Repeat("A", 1<<20) }},
	{"just over 8 KiB", func(t *testing.T, k *Keys) string { return strings.Repeat("A", MaxTokenLen+1) }},
	{"empty", constant("")},
	{"garbage", constant("not a token at all")},
	{"dots only", constant("..")},
	{"invalid utf-8", constant("\xff\xfe.\xff\xfe.\xff")},
	{"json serialization", constant(`{"payload":"e30","signatures":[]}`)},
	{"four parts", func(t *testing.T, k *Keys) string { return mustIssue(t, k, "u") + ".AAAA" }},
	{"whitespace inside", func(t *testing.T, k *Keys) string {
		tok := mustIssue(t, k, "u")
		return tok[:20] + " " + tok[20:]
	}},
	{"line break inside", func(t *testing.T, k *Keys) string {
		tok := mustIssue(t, k, "u")
		return tok[:20] + "\r\n" + tok[20:]
	}},
	{"padded base64", func(t *testing.T, k *Keys) string {
		parts := strings.Split(mustIssue(t, k, "u"), ".")
		return parts[0] + "==." + parts[1] + "." + parts[2]
	}},
}

func TestVerifyRefusesHostileTokens(t *testing.T) {
	k, _ := newTestKeys(t)
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.build(t, k)
			_, err := k.Verify(tok)
			wantDenied(t, tok, err)
			t.Logf("refused: %v", err)
		})
	}
	if n := k.cache.len(); n != 0 {
		t.Fatalf("refused tokens left %d cache entries", n)
	}
}

// TestHandBuiltTokenAccepted proves the hostile builders start from a
// token Verify accepts, so each case fails for the one change it makes.
func TestHandBuiltTokenAccepted(t *testing.T) {
	k, _ := newTestKeys(t)
	for _, typ := range []string{"at+jwt", "AT+JWT", "application/at+jwt"} {
		tok := signedWith(func(h, p map[string]any) { h["typ"] = typ })(t, k)
		c, err := k.Verify(tok)
		if err != nil {
			t.Fatalf("typ %q: %v", typ, err)
		}
		if c.Subject != "user-1" || c.Session != "s-1" {
			t.Fatalf("claims = %+v", c)
		}
	}
}

func TestVerifyAllowsSmallClockSkew(t *testing.T) {
	k, _ := newTestKeys(t)
	skewed := signedWith(func(h, p map[string]any) {
		p["iat"] = time.Now().Add(20 * time.Second).Unix()
		p["nbf"] = p["iat"]
	})(t, k)
	if _, err := k.Verify(skewed); err != nil {
		t.Fatalf("token 20s ahead refused: %v", err)
	}
}

func TestIssueClaimsRoundTrip(t *testing.T) {
	k, _ := newTestKeys(t)
	tok, issued, err := k.Issue("user-7", "sess-7", WithScope("docs:read queue:write"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got != issued {
		t.Fatalf("verified %+v, issued %+v", got, issued)
	}
	if got.Expiry.Sub(got.IssuedAt) != testTTL || len(got.ID) != 22 {
		t.Fatalf("unexpected lifetime or jti: %+v", got)
	}
	if _, again, _ := k.Issue("user-7", "sess-7"); again.ID == issued.ID {
		t.Fatal("two tokens share a jti")
	}
}

func TestIssueHeaderAndPayload(t *testing.T) {
	k, _ := newTestKeys(t)
	tok := mustIssue(t, k, "user-1")
	obj, err := jose.ParseSignedCompact(tok, allowedAlgs)
	if err != nil {
		t.Fatal(err)
	}
	h := obj.Signatures[0].Header
	if h.KeyID != k.ActiveKeyID() || h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Fatalf("header = %+v", h)
	}
	var p map[string]any
	if err := json.Unmarshal(obj.UnsafePayloadWithoutVerification(), &p); err != nil {
		t.Fatal(err)
	}
	want := []string{"aud", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"}
	if got := slices.Sorted(maps.Keys(p)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("payload claims = %v, want %v", got, want)
	}
}

func TestIssueRequiresSubject(t *testing.T) {
	k, _ := newTestKeys(t)
	if _, _, err := k.Issue("", "s"); err == nil {
		t.Fatal("issued a token without subject")
	}
}

// FuzzVerify checks that no input panics Verify and that every refusal is
// unauthenticated.
func FuzzVerify(f *testing.F) {
	k, _ := newTestKeys(f)
	tok := mustIssue(f, k, "user-1")
	f.Add(tok)
	f.Add(tok[:len(tok)-2])
	f.Add(strings.Replace(tok, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := k.Verify(in); err != nil && !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("refusal with wrong code: %v", err)
		}
	})
}

// TestVerifyFreshLearnsKeysRotatedElsewhere: two nodes share a key store;
// after one rotates, the other accepts the new key's tokens at once.
func TestVerifyFreshLearnsKeysRotatedElsewhere(t *testing.T) {
	ks := newMemKeyStore()
	a := newKeysOn(t, ks, testConfig())
	b := newKeysOn(t, ks, testConfig())
	if err := a.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok := mustIssue(t, a, "alice")
	if _, err := b.Verify(tok); err == nil {
		t.Fatal("b knew a's new key without reloading")
	}
	if _, err := b.VerifyFresh(context.Background(), tok); err != nil {
		t.Fatalf("VerifyFresh did not pick up the rotated key: %v", err)
	}
	// An unknown key that exists nowhere stays refused.
	other := newKeysOn(t, newMemKeyStore(), testConfig())
	if _, err := b.VerifyFresh(context.Background(), mustIssue(t, other, "mallory")); err == nil {
		t.Fatal("a token from a foreign key store was accepted")
	}
}

package identity_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
)

func TestHostileAPIKeys(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	mustUser(t, n.Service, "alice")
	sess := n.session(t, "alice")
	k := n.create(t, sess, "", identity.APIKeyRequest{})
	other := n.create(t, sess, "", identity.APIKeyRequest{})
	id, secret := k.ID, k.Key[len("rk_"+k.ID+"_"):]
	otherSecret := other.Key[len("rk_"+other.ID+"_"):]
	flip := []byte(secret)
	flip[5] ^= 1
	for name, key := range map[string]string{
		"empty":                    "",
		"prefix alone":             "rk_",
		"prefix and separator":     "rk__",
		"wrong prefix":             "rx_" + id + "_" + secret,
		"upper-case prefix":        "RK_" + id + "_" + secret,
		"no separator":             "rk_" + id + secret,
		"missing secret":           "rk_" + id + "_",
		"bad base64":               "rk_" + id + "_" + strings.Repeat("*", 43),
		"padded base64":            "rk_" + id + "_" + base64.URLEncoding.EncodeToString(make([]byte, 32)),
		"standard base64":          "rk_" + id + "_" + strings.ReplaceAll(strings.ReplaceAll(secret, "-", "+"), "_", "/") + "+",
		"short secret":             "rk_" + id + "_" + secret[:42],
		"long secret":              "rk_" + id + "_" + secret + "A",
		"wrong secret for real id": "rk_" + id + "_" + string(flip),
		"other key's secret":       "rk_" + id + "_" + otherSecret,
		"zero secret":              "rk_" + id + "_" + base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		"unknown id":               "rk_0000000000000000_" + secret,
		"upper-case id":            "rk_" + strings.ToUpper(id) + "_" + secret,
		"id with underscore":       "rk_" + id[:15] + "__" + secret[1:],
		"100 KB":                   "rk_" + id + "_" + secret + strings.Repeat("A", 100<<10),
		"invalid UTF-8":            "rk_" + id + "_" + secret[:40] + "\xff\xfe\xfd",
		"NUL inside":               "rk_" + id + "_" + secret[:42] + "\x00",
		"trailing newline":         k.Key + "\n",
		"SQL in id":                "rk_' OR 1=1 --____" + "_" + secret,
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := n.Authenticate(ctx, key); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("got %+v, %v; want unauthenticated", c, err)
			}
		})
	}
	n.auth(t, k.Key, true)
	n.auth(t, other.Key, true)
}

func TestAPIKeyNames(t *testing.T) {
	n := newKeyNode(t, identity.Options{})
	mustUser(t, n.Service, "alice")
	sess := n.session(t, "alice")
	for _, name := range []string{"", " ", strings.Repeat("x", 65), "a\x00b", "tab\there", "bad \xff utf-8", "line\nbreak", "\u202eevil"} {
		if _, err := n.CreateAPIKey(ctx, sess, "", identity.APIKeyRequest{Name: name}); !errs.Is(err, errs.InvalidArgument) {
			t.Errorf("name %q: %v, want invalid_argument", name, err)
		}
	}
	for _, name := range []string{"x", strings.Repeat("é", 64), "deploy bot (prod) 🚀"} {
		n.create(t, sess, "", identity.APIKeyRequest{Name: name})
	}
}

// Neither a secret nor its hash ever shows in a listing, an error or the log.
func TestAPIKeySecretsStayHidden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newKeyNode(t, identity.Options{APIKeyDefaultTTL: time.Hour})
		mustUser(t, n.Service, "alice")
		sess := n.session(t, "alice")
		k := n.create(t, sess, "", identity.APIKeyRequest{})
		rot, err := n.RotateAPIKey(ctx, sess, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, key := range []string{k.Key, rot.Key, k.Key + "x", k.Key[:62] + "A"} {
			if _, err := n.Authenticate(ctx, key); err != nil {
				seen = append(seen, err.Error())
			}
		}
		time.Sleep(2 * time.Hour)
		_, err = n.Authenticate(ctx, rot.Key) // expired: logged and audited
		seen = append(seen, err.Error())
		list, _ := n.ListAPIKeys(ctx, sess, "")
		raw, _ := json.Marshal(list)
		seen = append(seen, string(raw), n.log.String())
		entries, _ := n.st.Audit(ctx, store.AuditQuery{Limit: 100})
		for _, e := range entries {
			seen = append(seen, string(e.Data))
		}
		for _, key := range []string{k.Key, rot.Key} {
			for _, secret := range secretForms(key) {
				for _, text := range seen {
					if strings.Contains(text, secret) {
						t.Fatalf("%q leaks a secret", text)
					}
				}
			}
		}
	})
}

// secretForms are the ways a key's secret could be written down: the key,
// the secret, and its SHA-256 in hex and base64 (as JSON writes []byte).
func secretForms(key string) []string {
	secret := key[strings.LastIndexByte(key[:20], '_')+1:]
	raw, _ := base64.RawURLEncoding.DecodeString(secret)
	sum := sha256.Sum256(raw)
	return []string{key, secret, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])}
}

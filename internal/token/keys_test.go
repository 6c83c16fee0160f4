package token

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Inside a synctest bubble time.Now is the bubble's fake clock, so
// Config.Now's default follows time.Sleep without real waiting.

func TestTokenValidUntilExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, ks := newTestKeys(t)
		tok := mustIssue(t, k, "user-1")
		time.Sleep(testTTL - time.Second)
		if _, err := k.Verify(tok); err != nil {
			t.Fatalf("token refused one second before expiry: %v", err)
		}
		// A second node has never seen the token: the uncached path.
		other := newKeysOn(t, ks, testConfig())
		if _, err := other.Verify(tok); err != nil {
			t.Fatalf("uncached verify before expiry: %v", err)
		}
		time.Sleep(time.Second)
		_, err := k.Verify(tok)
		wantDenied(t, tok, err)
		_, err = newKeysOn(t, ks, testConfig()).Verify(tok)
		wantDenied(t, tok, err)
	})
}

func TestRotationKeepsOldTokensUntilPrune(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		k, ks := newTestKeys(t)
		oldKid := k.ActiveKeyID()
		old := mustIssue(t, k, "user-1")
		time.Sleep(time.Minute)
		if err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		if k.ActiveKeyID() == oldKid || len(ks.active()) != 1 {
			t.Fatalf("rotation left active keys %v", ks.active())
		}
		fresh := newKeysOn(t, ks, testConfig()) // no cache: checks the old key is kept
		for _, v := range []*Keys{k, fresh} {
			if _, err := v.Verify(old); err != nil {
				t.Fatalf("token of retired key refused: %v", err)
			}
		}
		if err := k.Prune(ctx); err != nil || ks.len() != 2 {
			t.Fatalf("early prune: err %v, %d keys stored", err, ks.len())
		}
		time.Sleep(testTTL + pruneMargin)
		if err := k.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if ks.len() != 1 || strings.Contains(string(k.JWKS()), oldKid) {
			t.Fatalf("retired key not pruned: %d stored", ks.len())
		}
		if _, err := k.Verify(mustIssue(t, k, "user-2")); err != nil {
			t.Fatalf("new key's token refused: %v", err)
		}
	})
}

func TestMaintainRotatesAndPrunes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		k, ks := newTestKeys(t)
		first := k.ActiveKeyID()
		time.Sleep(59 * time.Minute)
		if err := k.Maintain(ctx); err != nil || k.ActiveKeyID() != first {
			t.Fatalf("rotated before Rotation elapsed (err %v)", err)
		}
		time.Sleep(time.Minute)
		if err := k.Maintain(ctx); err != nil || k.ActiveKeyID() == first {
			t.Fatalf("did not rotate after Rotation elapsed (err %v)", err)
		}
		time.Sleep(testTTL + pruneMargin)
		if err := k.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if ks.len() != 1 {
			t.Fatalf("%d keys stored after prune, want 1", ks.len())
		}
	})
}

func TestRunMaintainsUntilCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		k, _ := newTestKeys(t)
		first := k.ActiveKeyID()
		done := make(chan error)
		go func() { done <- k.Run(ctx, time.Minute) }()
		time.Sleep(61 * time.Minute)
		synctest.Wait()
		if k.ActiveKeyID() == first {
			t.Fatal("Run did not rotate")
		}
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("Run returned %v", err)
		}
	})
}

func TestRunSurvivesStoreFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var logs bytes.Buffer
		cfg := testConfig()
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		ks := newMemKeyStore()
		k := newKeysOn(t, ks, cfg)
		ks.setFail(errStoreDown)
		go k.Run(ctx, time.Minute)
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		tok := mustIssue(t, k, "u")
		if _, err := k.Verify(tok); err != nil {
			t.Fatalf("keys unusable after store failure: %v", err)
		}
		if !strings.Contains(logs.String(), "token key maintenance failed") {
			t.Fatal("maintenance failure not logged")
		}
		ks.setFail(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(ks.active()) != 1 || ks.active()[0] != k.ActiveKeyID() {
			t.Fatal("Run did not recover once the store came back")
		}
	})
}

func TestReloadSeesOtherNodesRotation(t *testing.T) {
	ctx := context.Background()
	a, ks := newTestKeys(t)
	b := newKeysOn(t, ks, testConfig())
	if a.ActiveKeyID() != b.ActiveKeyID() {
		t.Fatal("second node created a key although one existed")
	}
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	tok := mustIssue(t, a, "user-1")
	_, err := b.Verify(tok)
	wantDenied(t, tok, err)
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); err != nil || b.ActiveKeyID() != a.ActiveKeyID() {
		t.Fatalf("after reload: %v", err)
	}
}

func TestMaintainHealsConcurrentRotations(t *testing.T) {
	ctx := context.Background()
	a, ks := newTestKeys(t)
	b := newKeysOn(t, ks, testConfig())
	if err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Rotate(ctx); err != nil { // b never saw a's new key
		t.Fatal(err)
	}
	if n := len(ks.active()); n != 2 {
		t.Fatalf("setup: %d active keys, want 2", n)
	}
	if err := a.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if act := ks.active(); len(act) != 1 || act[0] != a.ActiveKeyID() {
		t.Fatalf("active keys after Maintain: %v", act)
	}
}

func TestStoreFailuresSurface(t *testing.T) {
	ctx := context.Background()
	k, ks := newTestKeys(t)
	kid := k.ActiveKeyID()
	ks.setFail(errStoreDown)
	for name, op := range map[string]func(context.Context) error{
		"rotate": k.Rotate, "reload": k.Reload, "maintain": k.Maintain,
	} {
		if err := op(ctx); err == nil {
			t.Errorf("%s succeeded with the store down", name)
		}
	}
	if k.ActiveKeyID() != kid {
		t.Fatal("a failed rotation changed the active key")
	}
	if _, err := New(ctx, ks, testConfig()); err == nil {
		t.Fatal("New succeeded with the store down")
	}
}

func TestNewRejectsBadStoredKey(t *testing.T) {
	for name, sk := range map[string]StoredKey{
		"garbage der": {ID: "x", Private: []byte("not a key")},
		"no id":       {Private: mustDER(t)},
	} {
		ks := newMemKeyStore()
		ks.keys[sk.ID] = sk
		if _, err := New(context.Background(), ks, testConfig()); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func mustDER(t *testing.T) []byte {
	mat, err := generateKey()
	if err != nil {
		t.Fatal(err)
	}
	return mat.der
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no issuer":    {Audience: "a"},
		"no audience":  {Issuer: "i"},
		"negative ttl": {Issuer: "i", Audience: "a", TTL: -time.Second},
	} {
		if _, err := New(context.Background(), newMemKeyStore(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k := newKeysOn(t, newMemKeyStore(), Config{Issuer: "i", Audience: "a"})
	if k.cfg.TTL != DefaultTTL || k.cfg.Rotation != DefaultRotation {
		t.Fatalf("defaults not applied: %+v", k.cfg)
	}
	if err := k.Run(context.Background(), 0); err == nil {
		t.Fatal("Run accepted a zero interval")
	}
}

func TestJWKSPublishesOnlyPublicKeys(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKeys(t)
	old := mustIssue(t, k, "user-1")
	if err := k.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	raw := k.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 || set.Keys[0].KeyID != k.ActiveKeyID() {
		t.Fatalf("jwks keys = %d, first %q", len(set.Keys), set.Keys[0].KeyID)
	}
	var generic struct{ Keys []map[string]any }
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for _, jk := range generic.Keys {
		got := slices.Sorted(maps.Keys(jk))
		if want := []string{"alg", "crv", "kid", "kty", "use", "x", "y"}; !slices.Equal(got, want) {
			t.Fatalf("jwk members %v, want %v", got, want)
		}
		if jk["kty"] != "EC" || jk["crv"] != "P-256" || jk["alg"] != "ES256" || jk["use"] != "sig" {
			t.Fatalf("jwk = %v", jk)
		}
	}
	verifyWithJWKS(t, set, old)
	verifyWithJWKS(t, set, mustIssue(t, k, "user-2"))
}

// verifyWithJWKS checks a token the way an outside relying party would.
func verifyWithJWKS(t *testing.T, set jose.JSONWebKeySet, tok string) {
	t.Helper()
	obj, err := jose.ParseSignedCompact(tok, allowedAlgs)
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(obj.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid not in jwks")
	}
	if _, err := obj.Verify(keys[0]); err != nil {
		t.Fatalf("relying party cannot verify: %v", err)
	}
}

func TestJWKSReturnsCopy(t *testing.T) {
	k, _ := newTestKeys(t)
	b := k.JWKS()
	b[0] = 'X'
	if k.JWKS()[0] != '{' {
		t.Fatal("JWKS exposes its cached buffer")
	}
}

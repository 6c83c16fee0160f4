package token

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestSecondVerifyHitsCache(t *testing.T) {
	k, _ := newTestKeys(t)
	cached, full := countVerifies(k)
	tok := mustIssue(t, k, "user-1")
	first, err := k.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	second, err := k.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if *full != 1 || *cached != 1 || first != second {
		t.Fatalf("full %d cached %d, claims equal %v", *full, *cached, first == second)
	}
}

func TestCachedTokenRefusedAfterExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, _ := newTestKeys(t)
		cached, _ := countVerifies(k)
		tok := mustIssue(t, k, "user-1")
		for range 2 {
			if _, err := k.Verify(tok); err != nil {
				t.Fatal(err)
			}
		}
		if *cached != 1 {
			t.Fatal("token not cached")
		}
		time.Sleep(testTTL)
		_, err := k.Verify(tok)
		wantDenied(t, tok, err)
	})
}

// manualClock is a clock the test moves, backwards too.
type manualClock struct{ ns atomic.Int64 }

func (c *manualClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *manualClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *manualClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// TestPrunedKeysCachedTokensRefused isolates the key check on cache hits:
// the clock is wound back after pruning so expiry alone would still pass.
func TestPrunedKeysCachedTokensRefused(t *testing.T) {
	ctx := context.Background()
	clock := &manualClock{}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock.set(start)
	cfg := testConfig()
	cfg.Now = clock.now
	k := newKeysOn(t, newMemKeyStore(), cfg)
	tok := mustIssue(t, k, "user-1")
	if _, err := k.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	clock.add(testTTL + pruneMargin)
	if err := k.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	clock.set(start.Add(time.Second))
	_, err := k.Verify(tok)
	wantDenied(t, tok, err)
}

func TestKeyDeletedElsewhereEvictsCachedTokens(t *testing.T) {
	ctx := context.Background()
	k, ks := newTestKeys(t)
	tok := mustIssue(t, k, "user-1")
	if _, err := k.Verify(tok); err != nil {
		t.Fatal(err)
	}
	// Another node replaces the key (say, after a suspected leak).
	if err := k.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ks.DeleteKey(ctx, tokenKid(t, tok)); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := k.Verify(tok)
	wantDenied(t, tok, err)
}

func tokenKid(t *testing.T, tok string) string {
	t.Helper()
	obj, err := jwsParse(tok)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Signatures[0].Header.KeyID
}

func TestReloadKeepsCacheForUnchangedKeys(t *testing.T) {
	k, _ := newTestKeys(t)
	cached, _ := countVerifies(k)
	tok := mustIssue(t, k, "user-1")
	if _, err := k.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(tok); err != nil || *cached != 1 {
		t.Fatalf("reload dropped the cache entry (err %v, cached %d)", err, *cached)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newVerifyCache()
	now := time.Now()
	e := cacheEntry{claims: Claims{Expiry: now.Add(time.Hour)}, mat: &keyMaterial{id: "k"}}
	for i := range cacheEntries + cacheEntries/2 {
		c.put(sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), e, now)
	}
	if n := c.len(); n > cacheEntries {
		t.Fatalf("cache holds %d entries, bound %d", n, cacheEntries)
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	var s cacheShard
	s.m = map[[32]byte]cacheEntry{}
	now := time.Now()
	live := cacheEntry{claims: Claims{Expiry: now.Add(time.Hour)}}
	dead := cacheEntry{claims: Claims{Expiry: now.Add(-time.Second)}}
	s.m[[32]byte{1}] = live
	s.m[[32]byte{2}] = dead
	s.evict(now)
	if _, ok := s.m[[32]byte{1}]; !ok || len(s.m) != 1 {
		t.Fatal("evicted a live entry while an expired one was present")
	}
}

// TestConcurrentVerifyDuringRotation runs many verifiers against key
// changes; run with -race.
func TestConcurrentVerifyDuringRotation(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKeys(t)
	toks := make([]string, 32)
	for i := range toks {
		toks[i] = mustIssue(t, k, "user")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := k.Verify(toks[(g+i)%len(toks)]); err != nil {
					t.Errorf("verify: %v", err)
					return
				}
			}
		})
	}
	for range 5 {
		if err := k.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := k.Issue("user", "s"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
}

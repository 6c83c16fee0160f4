package token

import (
	"sync"
	"time"
)

const (
	// cacheEntries bounds the verification cache across all shards.
	cacheEntries = 16 << 10
	// cacheShards spreads lock traffic; a power of two so a byte of the
	// hash picks the shard.
	cacheShards   = 64
	shardEntries  = cacheEntries / cacheShards
	evictionProbe = 8
)

// cacheEntry is a verified token's claims and the key that signed it.
type cacheEntry struct {
	claims Claims
	mat    *keyMaterial
}

// verifyCache maps SHA-256(token) to its verified claims. Keying by a
// collision-resistant hash means a hit is as good as the signature check.
type verifyCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[32]byte]cacheEntry
	_  [64]byte // keeps neighbouring shard locks off one cache line
}

func newVerifyCache() *verifyCache {
	c := &verifyCache{}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]cacheEntry, shardEntries)
	}
	return c
}

func (c *verifyCache) shard(sum [32]byte) *cacheShard {
	return &c.shards[sum[0]%cacheShards]
}

// get returns cached claims if the token has not expired and the key that
// signed it is still kept, unchanged, in set.
func (c *verifyCache) get(sum [32]byte, set *keySet, now time.Time) (Claims, bool) {
	s := c.shard(sum)
	s.mu.RLock()
	e, ok := s.m[sum]
	s.mu.RUnlock()
	if !ok || !now.Before(e.claims.Expiry) {
		return Claims{}, false
	}
	if k, kept := set.byID[e.mat.id]; !kept || k.mat != e.mat {
		return Claims{}, false
	}
	return e.claims, true
}

// put stores an entry, evicting one if the shard is full.
func (c *verifyCache) put(sum [32]byte, e cacheEntry, now time.Time) {
	s := c.shard(sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[sum]; !ok && len(s.m) >= shardEntries {
		s.evict(now)
	}
	s.m[sum] = e
}

// evict drops an expired entry among the first few the map yields, or
// else the first one. Map order is randomised, so this is random eviction
// biased toward dead entries, at constant cost.
func (s *cacheShard) evict(now time.Time) {
	var victim [32]byte
	n := 0
	for k, e := range s.m {
		if !now.Before(e.claims.Expiry) {
			delete(s.m, k)
			return
		}
		if n == 0 {
			victim = k
		}
		if n++; n == evictionProbe {
			break
		}
	}
	delete(s.m, victim)
}

// len counts the entries, for tests.
func (c *verifyCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

package sqlstore

import (
	"sync"
	"time"

	"rampart.dev/rampart/internal/store"
)

// collectionTTL bounds how stale a cached collection can be when a change
// made elsewhere never announced itself (a lost bus notice).
const collectionTTL = 5 * time.Second

// collCache keeps collection settings, read on every document write, in
// memory. Local changes clear it after their commit and remote ones when the
// store is poked; a generation counter keeps a read that raced a clear from
// putting the old value back.
type collCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedColl
}

type cachedColl struct {
	c      store.Collection
	loaded time.Time
}

func (cc *collCache) get(name string, now time.Time) (store.Collection, uint64, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	e, ok := cc.entries[name]
	if ok && now.Sub(e.loaded) < collectionTTL {
		return e.c, cc.gen, true
	}
	return store.Collection{}, cc.gen, false
}

func (cc *collCache) put(name string, c store.Collection, gen uint64, now time.Time) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if gen != cc.gen {
		return
	}
	if cc.entries == nil {
		cc.entries = map[string]cachedColl{}
	}
	cc.entries[name] = cachedColl{c, now}
}

func (cc *collCache) clear() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.gen++
	cc.entries = nil
}

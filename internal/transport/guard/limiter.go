package guard

import (
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/transport/listen"
)

// Bounds on the bucket table: its size, and how often idle buckets go.
const (
	maxBuckets    = 100000
	sweepInterval = time.Minute
)

// overflowKey is the bucket every new address shares while the table is
// full: memory stays bounded, and a flood of addresses gets one budget
// rather than pushing out the buckets of the addresses already limited.
const overflowKey = "\x00overflow"

// Limiter is a token bucket per client address. A nil *Limiter lets every
// call through.
type Limiter struct {
	limit rate.Limit
	burst int
	max   int // buckets held at most
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// NewLimiter allows perMinute calls a minute on average and burst at once
// per address; now is the clock (nil for time.Now). Without both numbers
// there is no limit (nil): a node always has both from its configuration,
// which requires them.
func NewLimiter(perMinute, burst int, now func() time.Time) *Limiter {
	if perMinute <= 0 || burst <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		limit: rate.Limit(float64(perMinute) / 60), burst: burst, max: maxBuckets, now: now,
		buckets: map[string]*rate.Limiter{}, lastSweep: now(),
	}
}

// Admit takes a token from the bucket of the client at remoteAddr. Refused,
// it answers resource_exhausted with the whole seconds to wait in the
// retry_after detail.
func (l *Limiter) Admit(remoteAddr string) error {
	ok, wait := l.Allow(ClientKey(remoteAddr))
	if ok {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	return errs.E(errs.ResourceExhausted, "too many requests from this address; retry in %d s", secs).With("retry_after", secs)
}

// Allow takes a token from key's bucket, or says how long until one is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= sweepInterval {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		// A full table is swept at most once a second, so a flood of
		// new addresses does not make every request walk it.
		if len(l.buckets) >= l.max && now.Sub(l.lastSweep) >= time.Second {
			l.sweep(now)
		}
		if len(l.buckets) >= l.max {
			key = overflowKey
			b = l.buckets[key]
		}
		if b == nil {
			b = rate.NewLimiter(l.limit, l.burst)
			l.buckets[key] = b
		}
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, max(time.Second, time.Duration(missing/float64(l.limit)*float64(time.Second)))
}

// sweep drops the buckets that have filled up again: a new bucket would be
// the same.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}

// size is the number of buckets held.
func (l *Limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// ClientKey is the bucket a client address draws from: its listen.Group,
// written as the plain address for IPv4.
func ClientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host // not an IP (a unix socket): one bucket per peer name
	}
	g := listen.Group(ip)
	if g.Addr().Is4() {
		return g.Addr().String()
	}
	return g.String()
}

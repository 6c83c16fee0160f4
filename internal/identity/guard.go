package identity

import (
	"sync"
	"time"
)

// guard is an account's recent failed sign-ins. Every failed attempt
// counts, refused ones included, so a burst of guesses counts in full.
type guard struct {
	Failures    int       `json:"failures"`              // in the current window
	Since       time.Time `json:"since"`                 // start of the window
	Last        time.Time `json:"last"`                  // latest failed attempt
	LockedUntil time.Time `json:"locked_until,omitzero"` // set once Failures reached the limit
}

func (g guard) locked(now time.Time) bool { return now.Before(g.LockedUntil) }

// Backoff between failed attempts: none after the first, then 1 s, doubling
// up to maxBackoff, and never longer than the lock itself.
const (
	firstBackoff = time.Second
	maxBackoff   = 30 * time.Second
)

// Defaults for a service built without lockout options.
const (
	defaultLockoutFailures = 5
	defaultLockoutWindow   = 15 * time.Minute
	defaultLockoutDuration = 15 * time.Minute
)

// lockPolicy turns the lockout options into decisions on a guard; its
// zero fields take the defaults through withDefaults.
type lockPolicy struct {
	max      int
	window   time.Duration
	duration time.Duration
}

func (p lockPolicy) withDefaults() lockPolicy {
	if p.max <= 0 {
		p.max = defaultLockoutFailures
	}
	if p.window <= 0 {
		p.window = defaultLockoutWindow
	}
	if p.duration <= 0 {
		p.duration = defaultLockoutDuration
	}
	return p
}

// current is g as it stands at now: once a lock or, without a lock, the
// window is over, the account starts afresh.
func (p lockPolicy) current(g guard, now time.Time) guard {
	switch {
	case !g.LockedUntil.IsZero():
		if g.locked(now) {
			return g
		}
		return guard{}
	case g.Failures > 0 && !now.Before(g.Since.Add(p.window)):
		return guard{}
	}
	return g
}

// backoff is how long an account waits after its failures-th failure.
func (p lockPolicy) backoff(failures int) time.Duration {
	if failures < 2 {
		return 0
	}
	d := firstBackoff << min(failures-2, 16)
	return min(d, maxBackoff, p.duration)
}

// refusal names why an attempt at now is turned away before its password
// is checked, or is "" when it may go ahead.
func (p lockPolicy) refusal(g guard, now time.Time) string {
	g = p.current(g, now)
	switch {
	case g.locked(now):
		return "locked"
	case now.Before(g.Last.Add(p.backoff(g.Failures))):
		return "throttled"
	}
	return ""
}

// fail adds one failed attempt at now; lockedNow reports that it reached
// the limit and set the lock. Attempts during a lock still count but do
// not extend it.
func (p lockPolicy) fail(g guard, now time.Time) (out guard, lockedNow bool) {
	g = p.current(g, now)
	if g.Failures == 0 {
		g.Since = now
	}
	g.Failures++
	g.Last = now
	if g.LockedUntil.IsZero() && g.Failures >= p.max {
		g.LockedUntil = now.Add(p.duration)
		return g, true
	}
	return g, false
}

// expires is when g stops mattering, kept on its record for clean-up.
func (p lockPolicy) expires(g guard) time.Time {
	if !g.LockedUntil.IsZero() {
		return g.LockedUntil
	}
	return g.Since.Add(p.window)
}

// maxNameGuards bounds the memory spent on names that have no account.
const maxNameGuards = 10000

// nameGuards counts failed sign-ins for names that have no account, in
// memory, so they are throttled and locked exactly like real accounts and
// the answers give nothing away.
type nameGuards struct {
	mu sync.Mutex
	m  map[string]guard
}

func newNameGuards() *nameGuards { return &nameGuards{m: map[string]guard{}} }

func (n *nameGuards) get(name string) guard {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[name]
}

func (n *nameGuards) fail(name string, now time.Time, p lockPolicy) (guard, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	g, lockedNow := p.fail(n.m[name], now)
	if _, ok := n.m[name]; !ok && len(n.m) >= maxNameGuards {
		n.evict(now, p)
	}
	n.m[name] = g
	return g, lockedNow
}

// evict drops the guards that no longer matter and, if that frees too
// little, arbitrary others: forgetting a name only lets it start afresh.
func (n *nameGuards) evict(now time.Time, p lockPolicy) {
	for k, g := range n.m {
		if p.current(g, now).Failures == 0 {
			delete(n.m, k)
		}
	}
	for k := range n.m {
		if len(n.m) < maxNameGuards*9/10 {
			break
		}
		delete(n.m, k)
	}
}

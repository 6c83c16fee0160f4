package guard

import (
	"fmt"
	"testing"
	"time"

	"rampart.dev/rampart/internal/errs"
)

// clock is a hand-driven time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func drain(l *Limiter, key string, n int) {
	for range n {
		l.Allow(key)
	}
}

func TestLimiterBurstThenRate(t *testing.T) {
	c := newClock()
	l := NewLimiter(60, 5, c.now) // one a second, five at once
	for i := range 5 {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("192.0.2.1")
	if ok || wait != time.Second {
		t.Fatalf("after the burst: ok %v, wait %v; want refused for 1s", ok, wait)
	}
	// Another address has its own bucket.
	for i := range 5 {
		if ok, _ := l.Allow("192.0.2.2"); !ok {
			t.Fatalf("second address refused at request %d", i+1)
		}
	}
	c.add(500 * time.Millisecond)
	if ok, _ := l.Allow("192.0.2.1"); ok {
		t.Fatal("half a token let a request through")
	}
	c.add(500 * time.Millisecond)
	if ok, _ := l.Allow("192.0.2.1"); !ok {
		t.Fatal("a refilled token was refused")
	}
	// A slow rate gives a long wait, in whole seconds at least.
	slow := NewLimiter(1, 1, c.now)
	slow.Allow("a")
	if _, wait := slow.Allow("a"); wait < 59*time.Second || wait > time.Minute {
		t.Fatalf("wait at one a minute = %v", wait)
	}
}

func TestLimiterEvictsIdleBuckets(t *testing.T) {
	c := newClock()
	l := NewLimiter(60, 5, c.now)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("198.51.100.%d", i))
	}
	drain(l, "203.0.113.1", 10)
	// After a minute the idle ones are full again and go; the drained one
	// (refilled too after 60 s at one a second) goes as well.
	c.add(2 * time.Minute)
	l.Allow("203.0.113.2")
	if n := l.size(); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	c := newClock()
	l := NewLimiter(60, 2, c.now)
	l.max = 100
	for i := range 100 {
		drain(l, fmt.Sprintf("10.0.0.%d", i), 2) // every bucket empty, so none can go
	}
	// New addresses now share the overflow bucket: two requests in all.
	allowed := 0
	for i := range 50 {
		if ok, _ := l.Allow(fmt.Sprintf("10.0.1.%d", i)); ok {
			allowed++
		}
	}
	if allowed != 2 || l.size() > l.max+1 {
		t.Fatalf("%d new addresses allowed, %d buckets; want 2 and at most %d", allowed, l.size(), l.max+1)
	}
	// The addresses already limited keep their own, empty buckets.
	if ok, _ := l.Allow("10.0.0.1"); ok {
		t.Fatal("a flood of new addresses reset an existing bucket")
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:1234", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff:ffff:ffff:ffff]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"192.0.2.1", "192.0.2.1"},
		{"@", "@"},
		{"", ""},
	} {
		if got := ClientKey(tc.remote); got != tc.want {
			t.Errorf("ClientKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

// TestAdmit checks the refusal every edge passes on: a typed
// resource_exhausted with the seconds to wait, per address.
func TestAdmit(t *testing.T) {
	c := newClock()
	l := NewLimiter(30, 2, c.now) // a token every 2 s
	for range 2 {
		if err := l.Admit("[2001:db8::1]:5000"); err != nil {
			t.Fatalf("within the burst: %v", err)
		}
	}
	// Another host of the same /64 shares the bucket.
	err := l.Admit("[2001:db8::2]:6000")
	if !errs.Is(err, errs.ResourceExhausted) || errs.DetailsOf(err)["retry_after"] != 2 {
		t.Fatalf("over the limit: %v, details %v", err, errs.DetailsOf(err))
	}
	if err := l.Admit("192.0.2.1:5000"); err != nil {
		t.Fatalf("an unrelated address was limited: %v", err)
	}
	c.add(2 * time.Second)
	if err := l.Admit("[2001:db8::3]:1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestNilLimiterAdmitsAll(t *testing.T) {
	l := NewLimiter(0, 10, nil)
	if l != nil {
		t.Fatal("a limiter without a rate was built")
	}
	for range 100 {
		if err := l.Admit("192.0.2.1:1"); err != nil {
			t.Fatalf("nil limiter refused: %v", err)
		}
	}
}

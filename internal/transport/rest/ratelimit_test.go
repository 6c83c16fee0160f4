package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// clock is a hand-driven time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func drain(l *limiter, key string, n int) {
	for range n {
		l.allow(key)
	}
}

func TestLimiterBurstThenRate(t *testing.T) {
	c := newClock()
	l := newLimiter(60, 5, c.now) // one a second, five at once
	for i := range 5 {
		if ok, _ := l.allow("192.0.2.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("192.0.2.1")
	if ok || wait != time.Second {
		t.Fatalf("after the burst: ok %v, wait %v; want refused for 1s", ok, wait)
	}
	// Another address has its own bucket.
	for i := range 5 {
		if ok, _ := l.allow("192.0.2.2"); !ok {
			t.Fatalf("second address refused at request %d", i+1)
		}
	}
	c.add(500 * time.Millisecond)
	if ok, _ := l.allow("192.0.2.1"); ok {
		t.Fatal("half a token let a request through")
	}
	c.add(500 * time.Millisecond)
	if ok, _ := l.allow("192.0.2.1"); !ok {
		t.Fatal("a refilled token was refused")
	}
	// A slow rate gives a long wait, in whole seconds at least.
	slow := newLimiter(1, 1, c.now)
	slow.allow("a")
	if _, wait := slow.allow("a"); wait < 59*time.Second || wait > time.Minute {
		t.Fatalf("wait at one a minute = %v", wait)
	}
}

func TestLimiterEvictsIdleBuckets(t *testing.T) {
	c := newClock()
	l := newLimiter(60, 5, c.now)
	for i := range 1000 {
		l.allow(fmt.Sprintf("198.51.100.%d", i))
	}
	drain(l, "203.0.113.1", 10)
	// After a minute the idle ones are full again and go; the drained one
	// (refilled too after 60 s at one a second) goes as well.
	c.add(2 * time.Minute)
	l.allow("203.0.113.2")
	if n := l.size(); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	c := newClock()
	l := newLimiter(60, 2, c.now)
	l.max = 100
	for i := range 100 {
		drain(l, fmt.Sprintf("10.0.0.%d", i), 2) // every bucket empty, so none can go
	}
	// New addresses now share the overflow bucket: two requests in all.
	allowed := 0
	for i := range 50 {
		if ok, _ := l.allow(fmt.Sprintf("10.0.1.%d", i)); ok {
			allowed++
		}
	}
	if allowed != 2 || l.size() > l.max+1 {
		t.Fatalf("%d new addresses allowed, %d buckets; want 2 and at most %d", allowed, l.size(), l.max+1)
	}
	// The addresses already limited keep their own, empty buckets.
	if ok, _ := l.allow("10.0.0.1"); ok {
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
		if got := clientKey(tc.remote); got != tc.want {
			t.Errorf("clientKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

// TestLimitedAnswers429 checks the refusal: status, Retry-After, the typed
// body with details.retry_after, and that the handler never ran.
func TestLimitedAnswers429(t *testing.T) {
	c := newClock()
	a := New(nil, nil, Options{})
	a.limits = newLimiter(30, 2, c.now) // a token every 2 s
	calls := 0
	h := a.wrap(a.anon(a.limited(func(w http.ResponseWriter, r *http.Request) error {
		calls++
		w.WriteHeader(http.StatusNoContent)
		return nil
	})))
	send := func(remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for range 2 {
		if rec := send("[2001:db8::1]:5000"); rec.Code != http.StatusNoContent {
			t.Fatalf("within the burst: %d", rec.Code)
		}
	}
	// Another host of the same /64 shares the bucket.
	rec := send("[2001:db8::2]:6000")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("over the limit: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	var body struct {
		Error struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "resource_exhausted" || body.Error.Details["retry_after"] != float64(2) {
		t.Fatalf("body %s", rec.Body)
	}
	if calls != 2 {
		t.Fatalf("handler ran %d times, want 2", calls)
	}
	if rec := send("192.0.2.1:5000"); rec.Code != http.StatusNoContent {
		t.Fatalf("an unrelated address was limited: %d", rec.Code)
	}
	c.add(2 * time.Second)
	if rec := send("[2001:db8::3]:1"); rec.Code != http.StatusNoContent {
		t.Fatalf("after the wait: %d", rec.Code)
	}
	if got, _ := strconv.Atoi(send("[2001:db8::3]:1").Header().Get("Retry-After")); got < 1 {
		t.Fatalf("Retry-After %d, want at least 1", got)
	}
}

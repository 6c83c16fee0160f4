package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"rampart.dev/rampart/internal/transport/guard"
)

// clock is a hand-driven time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

// TestLimitedAnswers429 checks the refusal: status, Retry-After, the typed
// body with details.retry_after, and that the handler never ran.
func TestLimitedAnswers429(t *testing.T) {
	c := newClock()
	a := New(nil, nil, Options{})
	a.limits = guard.NewLimiter(30, 2, c.now) // a token every 2 s
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

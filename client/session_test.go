package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fakeJWT(exp int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc(fmt.Appendf(nil, `{"sub":"u","exp":%d}`, exp)) + ".c2ln"
}

func TestJWTExpiry(t *testing.T) {
	if got := jwtExpiry(fakeJWT(1893456000)); !got.Equal(time.Unix(1893456000, 0)) {
		t.Fatalf("exp = %v", got)
	}
	for _, tok := range []string{"", "rk_live_abc", "a.b", "a.!!!.c", fakeJWT(-5),
		"a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":"soon"}`)) + ".c",
		"a." + base64.RawURLEncoding.EncodeToString([]byte(`[1,2]`)) + ".c"} {
		if got := jwtExpiry(tok); !got.IsZero() {
			t.Errorf("jwtExpiry(%q) = %v, want zero", tok, got)
		}
	}
}

// TestRefreshSingleFlight has many goroutines need a refresh at once; one
// refresh serves them all and the callback sees its tokens once.
func TestRefreshSingleFlight(t *testing.T) {
	var calls, notified atomic.Int32
	release := make(chan struct{})
	s := &session{margin: time.Minute, onChange: func(Tokens) { notified.Add(1) }}
	s.refresh = func(ctx context.Context, rt string) (Tokens, error) {
		n := calls.Add(1)
		<-release
		return Tokens{AccessToken: fmt.Sprint("access-", n), RefreshToken: fmt.Sprint("refresh-", n), Expiry: time.Now().Add(time.Hour)}, nil
	}
	// Expires within the margin: due for a refresh, still usable.
	s.set(Tokens{AccessToken: "access-0", RefreshToken: "refresh-0", Expiry: time.Now().Add(30 * time.Second)})
	notified.Store(0)

	const n = 50
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = s.credential(context.Background()) })
	}
	// Let the goroutines pile up on the one flight, then finish it.
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d refreshes, want 1", calls.Load())
	}
	for i := range n {
		// Every caller waits for the one refresh and gets its token.
		if errs[i] != nil || got[i] != "access-1" {
			t.Fatalf("caller %d: %q %v", i, got[i], errs[i])
		}
	}
	if tok := s.tokens(); tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" {
		t.Fatalf("tokens after refresh: %+v", tok)
	}
	if notified.Load() != 1 {
		t.Fatalf("callback ran %d times, want 1", notified.Load())
	}
	// Fresh tokens are not refreshed again.
	if tok, err := s.credential(context.Background()); err != nil || tok != "access-1" || calls.Load() != 1 {
		t.Fatalf("second round: %q %v, %d refreshes", tok, err, calls.Load())
	}
}

// TestRefreshFailure keeps using a token that still works, backs off, and
// fails once the token has expired.
func TestRefreshFailure(t *testing.T) {
	var calls atomic.Int32
	refused := &Error{Code: Unauthenticated, Message: "refresh token reused"}
	s := &session{margin: time.Minute}
	s.refresh = func(context.Context, string) (Tokens, error) {
		calls.Add(1)
		return Tokens{}, refused
	}
	s.set(Tokens{AccessToken: "still-good", RefreshToken: "r", Expiry: time.Now().Add(30 * time.Second)})
	for range 3 {
		if tok, err := s.credential(context.Background()); err != nil || tok != "still-good" {
			t.Fatalf("got %q %v", tok, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d refresh attempts inside the backoff, want 1", calls.Load())
	}

	s.set(Tokens{AccessToken: "expired", RefreshToken: "r", Expiry: time.Now().Add(-time.Second)})
	if _, err := s.credential(context.Background()); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired token with a failing refresh: %v", err)
	}
}

// TestRefreshOutlivesCaller: the first caller giving up does not cancel the
// refresh the others wait for.
func TestRefreshOutlivesCaller(t *testing.T) {
	release := make(chan struct{})
	s := &session{margin: time.Minute}
	s.refresh = func(ctx context.Context, _ string) (Tokens, error) {
		<-release
		if ctx.Err() != nil {
			return Tokens{}, ctx.Err()
		}
		return Tokens{AccessToken: "new", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, nil
	}
	s.set(Tokens{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(-time.Second)})
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := s.credential(ctx); first <- err }()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	done := make(chan string, 1)
	go func() { tok, _ := s.credential(context.Background()); done <- tok }()
	close(release)
	if tok := <-done; tok != "new" {
		t.Fatalf("second caller got %q", tok)
	}
}

// TestLoginDuringRefreshWins: tokens set while a refresh runs are kept.
func TestLoginDuringRefreshWins(t *testing.T) {
	release := make(chan struct{})
	s := &session{margin: time.Minute}
	s.refresh = func(context.Context, string) (Tokens, error) {
		<-release
		return Tokens{AccessToken: "refreshed", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, nil
	}
	s.set(Tokens{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(time.Second)})
	s.mu.Lock()
	f := s.startLocked(context.Background())
	s.mu.Unlock()
	s.set(Tokens{AccessToken: "login", RefreshToken: "r9", Expiry: time.Now().Add(time.Hour)})
	close(release)
	if tok, err := f.wait(context.Background()); err != nil || tok.AccessToken != "login" {
		t.Fatalf("flight result %+v %v", tok, err)
	}
	if s.tokens().AccessToken != "login" {
		t.Fatalf("a refresh overwrote a newer sign-in: %+v", s.tokens())
	}
}

func TestAPIKeyIsNeverRefreshed(t *testing.T) {
	s := &session{refresh: func(context.Context, string) (Tokens, error) {
		t.Error("refresh called for an API key")
		return Tokens{}, nil
	}}
	s.useAPIKey("rk_test")
	if tok, err := s.credential(context.Background()); err != nil || tok != "rk_test" {
		t.Fatalf("got %q %v", tok, err)
	}
	if _, ok := s.renew(context.Background(), "rk_test"); ok {
		t.Fatal("renew offered a retry for an API key")
	}
}

// TestExpiredTokenIsDue: a token already expired when set (as one loaded
// from disk may be) is refreshed before use.
func TestExpiredTokenIsDue(t *testing.T) {
	s := &session{refresh: func(context.Context, string) (Tokens, error) {
		return Tokens{AccessToken: "new", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, nil
	}}
	s.set(Tokens{AccessToken: "old", RefreshToken: "r1", Expiry: time.Now().Add(-time.Minute)})
	if tok, err := s.credential(context.Background()); err != nil || tok != "new" {
		t.Fatalf("got %q %v", tok, err)
	}
}

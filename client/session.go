package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Tokens are a signed-in session's credentials. Treat them as secrets.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when the access token stops working; zero when unknown.
	Expiry time.Time `json:"expiry,omitzero"`
}

const (
	defaultMargin  = 30 * time.Second
	refreshTimeout = 30 * time.Second
	// refreshBackoff spaces refresh attempts after one failed, while the
	// access token in hand still works.
	refreshBackoff = 2 * time.Second
)

// session holds the credential every call carries and refreshes it, one
// refresh at a time however many calls need it.
type session struct {
	mu       sync.Mutex
	tok      Tokens
	issued   time.Time
	apiKey   string
	mfaToken string
	flight   *flight
	retryAt  time.Time
	margin   time.Duration // 0: the default
	refresh  func(ctx context.Context, refreshToken string) (Tokens, error)

	notifyMu sync.Mutex
	onChange func(Tokens)
}

// flight is one refresh in progress; done closes when it ends.
type flight struct {
	done chan struct{}
	tok  Tokens
	err  error
}

// set replaces the tokens (and forgets an API key) and tells the callback.
func (s *session) set(t Tokens) {
	s.mu.Lock()
	s.setLocked(t)
	s.mu.Unlock()
	s.notify()
}

func (s *session) setLocked(t Tokens) {
	if t.Expiry.IsZero() {
		t.Expiry = jwtExpiry(t.AccessToken)
	}
	s.tok, s.issued, s.apiKey, s.mfaToken, s.retryAt = t, time.Now(), "", "", time.Time{}
}

func (s *session) useAPIKey(key string) {
	s.mu.Lock()
	s.tok, s.apiKey, s.mfaToken = Tokens{}, key, ""
	s.mu.Unlock()
	s.notify()
}

func (s *session) tokens() Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// notify hands the current tokens to the callback; callbacks never overlap
// and the last one always sees the latest tokens.
func (s *session) notify() {
	if s.onChange == nil {
		return
	}
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	s.onChange(s.tokens())
}

// due reports whether the access token should be refreshed now.
func (s *session) dueLocked(now time.Time) bool {
	if s.tok.RefreshToken == "" || s.tok.Expiry.IsZero() || now.Before(s.retryAt) {
		return false
	}
	margin := s.margin
	if margin == 0 {
		margin = max(0, min(defaultMargin, s.tok.Expiry.Sub(s.issued)/2))
	}
	return !now.Before(s.tok.Expiry.Add(-margin))
}

// credential returns what to send as the bearer token, refreshing the
// access token first when it is about to expire. "" means anonymous.
func (s *session) credential(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.apiKey != "" || s.tok.AccessToken == "" {
		k := s.apiKey
		s.mu.Unlock()
		return k, nil
	}
	cur := s.tok
	if !s.dueLocked(time.Now()) {
		s.mu.Unlock()
		return cur.AccessToken, nil
	}
	f := s.startLocked(ctx)
	s.mu.Unlock()
	tok, err := f.wait(ctx)
	if err != nil && time.Now().Before(cur.Expiry) {
		// The token in hand still works; the next call tries again.
		return cur.AccessToken, nil
	}
	return tok.AccessToken, err
}

// renew refreshes after the server refused used, unless another call has
// already replaced it. It returns the token to retry with.
func (s *session) renew(ctx context.Context, used string) (string, bool) {
	s.mu.Lock()
	if s.apiKey != "" || s.tok.RefreshToken == "" {
		s.mu.Unlock()
		return "", false
	}
	if s.tok.AccessToken != used {
		t := s.tok.AccessToken
		s.mu.Unlock()
		return t, t != ""
	}
	f := s.startLocked(ctx)
	s.mu.Unlock()
	tok, err := f.wait(ctx)
	return tok.AccessToken, err == nil
}

// startLocked joins the refresh in flight or starts one. The refresh runs
// on its own so a caller that gives up does not fail the others waiting.
func (s *session) startLocked(ctx context.Context) *flight {
	if s.flight != nil {
		return s.flight
	}
	f := &flight{done: make(chan struct{})}
	s.flight = f
	rt := s.tok.RefreshToken
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		tok, err := s.refresh(rctx, rt)
		cancel()
		s.mu.Lock()
		s.flight = nil
		switch {
		case err != nil:
			s.retryAt = time.Now().Add(refreshBackoff)
		case s.tok.RefreshToken == rt:
			s.setLocked(tok)
		default:
			// Signed in again or out while refreshing: keep that instead.
			tok = s.tok
		}
		f.tok, f.err = tok, err
		s.mu.Unlock()
		// The callback runs before the waiting calls go on, so tokens are
		// saved by the time the call that needed them returns.
		if err == nil {
			s.notify()
		}
		close(f.done)
	}()
	return f
}

func (f *flight) wait(ctx context.Context) (Tokens, error) {
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return Tokens{}, ctx.Err()
	}
}

// jwtExpiry reads the exp claim of an access token without verifying it:
// the client only needs to know when to refresh, the server checks the rest.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) > 8<<10 {
		return time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return time.Time{}
	}
	exp, err := claims.Exp.Int64()
	if err != nil || exp <= 0 {
		return time.Time{}
	}
	return time.Unix(exp, 0)
}

package identity_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
)

// bubbleService is a service with password sign-in on, for tests that run
// inside a synctest bubble.
func bubbleService(t *testing.T, opt identity.Options) *identity.Service {
	t.Helper()
	opt.LocalLogin = true
	return newService(t, opt)
}

func signIn(t *testing.T, s *identity.Service, name string) identity.Tokens {
	t.Helper()
	res, err := s.Login(ctx, name, name+"-password-123", identity.Meta{Addr: "192.0.2.1", UserAgent: "test"})
	if err != nil || res.Tokens == nil {
		t.Fatalf("login %s: %+v %v", name, res, err)
	}
	return *res.Tokens
}

func wantAuth(t *testing.T, s *identity.Service, tok string, ok bool) identity.Caller {
	t.Helper()
	c, err := s.Authenticate(ctx, tok)
	if ok && err != nil {
		t.Fatalf("authenticate: %v, want success", err)
	}
	if !ok && !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("authenticate: %v, want unauthenticated", err)
	}
	return c
}

func refresh(t *testing.T, s *identity.Service, rt string, ok bool) identity.Tokens {
	t.Helper()
	tok, err := s.Refresh(ctx, rt)
	if ok && err != nil {
		t.Fatalf("refresh: %v, want success", err)
	}
	if !ok && !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("refresh: %v, want unauthenticated", err)
	}
	return tok
}

func TestAccessTokenExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{})
		mustUser(t, s, "alice")
		tok := signIn(t, s, "alice")
		wantAuth(t, s, tok.AccessToken, true)
		time.Sleep(10*time.Minute - time.Second)
		wantAuth(t, s, tok.AccessToken, true)
		time.Sleep(2 * time.Second)
		wantAuth(t, s, tok.AccessToken, false)
		// The session itself lives on: a refresh gives a fresh token.
		wantAuth(t, s, refresh(t, s, tok.RefreshToken, true).AccessToken, true)
	})
}

func TestRefreshReuseRevokesTheSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{ReuseGrace: 5 * time.Second})
		mustUser(t, s, "alice")
		first := signIn(t, s, "alice")
		second := refresh(t, s, first.RefreshToken, true)
		time.Sleep(6 * time.Second) // past the grace
		// The stolen first token is replayed: the whole session goes.
		refresh(t, s, first.RefreshToken, false)
		refresh(t, s, second.RefreshToken, false)
		wantAuth(t, s, second.AccessToken, false)
		wantAuth(t, s, first.AccessToken, false)
	})
}

func TestConcurrentRefreshesInsideGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{ReuseGrace: 5 * time.Second})
		mustUser(t, s, "alice")
		tok := signIn(t, s, "alice")
		var got [2]identity.Tokens
		var errs2 [2]error
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i], errs2[i] = s.Refresh(ctx, tok.RefreshToken) })
		}
		wg.Wait()
		for i, err := range errs2 {
			if err != nil {
				t.Fatalf("refresh %d inside the grace: %v", i, err)
			}
		}
		c := wantAuth(t, s, got[0].AccessToken, true)
		list, err := s.Sessions(ctx, c)
		if err != nil || len(list) != 1 {
			t.Fatalf("sessions = %+v, %v; want one live session", list, err)
		}
		// Long after the grace, both new tokens are still good.
		time.Sleep(time.Minute)
		refresh(t, s, got[0].RefreshToken, true)
		refresh(t, s, got[1].RefreshToken, true)
	})
}

func TestSessionLifetimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{SessionTTL: 30 * 24 * time.Hour, IdleTTL: 7 * 24 * time.Hour})
		mustUser(t, s, "alice")
		idle := signIn(t, s, "alice")
		busy := signIn(t, s, "alice")
		day := 24 * time.Hour
		time.Sleep(6 * day)
		rt := refresh(t, s, busy.RefreshToken, true).RefreshToken
		time.Sleep(day + time.Minute)
		refresh(t, s, idle.RefreshToken, false) // idle for seven days
		// A session refreshed within every idle period still ends at thirty.
		for _, gap := range []time.Duration{5 * day, 6 * day, 6 * day, 5 * day} {
			time.Sleep(gap)
			rt = refresh(t, s, rt, true).RefreshToken
		}
		time.Sleep(day + time.Minute) // 30 days and 2 minutes after sign-in
		refresh(t, s, rt, false)
	})
}

func TestLogoutAndRevocationAreImmediate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{})
		mustUser(t, s, "alice")
		mustUser(t, s, "bob")
		a1, a2 := signIn(t, s, "alice"), signIn(t, s, "alice")
		c1 := wantAuth(t, s, a1.AccessToken, true)
		c2 := wantAuth(t, s, a2.AccessToken, true)
		// bob cannot see or end alice's sessions.
		bob := wantAuth(t, s, signIn(t, s, "bob").AccessToken, true)
		if err := s.RevokeSession(ctx, bob, c1.Session); !errs.Is(err, errs.NotFound) {
			t.Fatalf("bob revoking alice's session: %v", err)
		}
		list, _ := s.Sessions(ctx, c1)
		if len(list) != 2 || !list[0].Current && !list[1].Current {
			t.Fatalf("alice's sessions = %+v", list)
		}
		if err := s.RevokeSession(ctx, c1, c2.Session); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, s, a2.AccessToken, false)
		refresh(t, s, a2.RefreshToken, false)
		if err := s.Logout(ctx, c1); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, s, a1.AccessToken, false)
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := bubbleService(t, identity.Options{})
		mustUser(t, s, "alice")
		here, there := signIn(t, s, "alice"), signIn(t, s, "alice")
		c := wantAuth(t, s, here.AccessToken, true)
		if err := s.ChangePassword(ctx, c, "wrong-password-1", "a-new-password-99"); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("change with a wrong current password: %v", err)
		}
		if err := s.ChangePassword(ctx, c, "alice-password-123", "short"); !errs.Is(err, errs.InvalidArgument) {
			t.Fatalf("change to a short password: %v", err)
		}
		wantAuth(t, s, there.AccessToken, true)
		if err := s.ChangePassword(ctx, c, "alice-password-123", "a-new-password-99"); err != nil {
			t.Fatal(err)
		}
		wantAuth(t, s, here.AccessToken, true)
		wantAuth(t, s, there.AccessToken, false)
		refresh(t, s, there.RefreshToken, false)
		if _, err := s.Login(ctx, "alice", "alice-password-123", identity.Meta{}); err == nil {
			t.Fatal("the old password still signs in")
		}
		if _, err := s.Login(ctx, "alice", "a-new-password-99", identity.Meta{}); err != nil {
			t.Fatalf("the new password: %v", err)
		}
	})
}

func TestHostileRefreshTokens(t *testing.T) {
	s := newService(t, identity.Options{LocalLogin: true})
	mustUser(t, s, "alice")
	good := signIn(t, s, "alice")
	sid := good.RefreshToken[:len(good.RefreshToken)-44]
	for _, bad := range []string{
		"", ".", "nope", good.RefreshToken + "x", sid + ".AAAA", sid + "." + string(make([]byte, 43)),
		sid + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x'; DROP TABLE records; --.AAAA",
		string(make([]byte, 10000)), "\xff\xfe." + good.RefreshToken,
	} {
		if _, err := s.Refresh(ctx, bad); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("refresh %.40q: %v, want unauthenticated", bad, err)
		}
	}
	// Guessing at a session's secret does not revoke it.
	refresh(t, s, good.RefreshToken, true)
}

var _ = context.Background

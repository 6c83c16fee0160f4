package identity_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/identity/password"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/store/sqlite"
	"rampart.dev/rampart/internal/token"
)

// guardEnv is a service over a store the test can read directly.
type guardEnv struct {
	t  *testing.T
	s  *identity.Service
	st store.Store
}

func sqliteStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "db"), Origin: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newGuardEnv builds a service with cheap hashing; within a synctest
// bubble every clock is the bubble's.
func newGuardEnv(t *testing.T, st store.Store, opt identity.Options) *guardEnv {
	t.Helper()
	h, err := password.NewHasher(password.Params{Time: 1, MemoryKiB: 8 << 10, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.New(ctx, identity.KeyStore(st), token.Config{Issuer: "https://test", Audience: "rampart", TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s := identity.New(st, h, keys, opt)
	if err := s.EnsureBuiltins(ctx); err != nil {
		t.Fatal(err)
	}
	return &guardEnv{t: t, s: s, st: st}
}

const goodPw = "alice-password-123"

// login signs alice (or another name) in and returns the error, nil on success.
func (e *guardEnv) login(name, pw string) error {
	_, err := e.s.Login(ctx, name, pw, identity.Meta{Addr: "192.0.2.7"})
	return err
}

// refused checks that a sign-in failed exactly like a wrong password.
func (e *guardEnv) refused(name, pw, why string) {
	e.t.Helper()
	err := e.login(name, pw)
	if err == nil {
		e.t.Fatalf("%s: signed in, want refused", why)
	}
	code, msg := errs.Public(err)
	if code != errs.Unauthenticated || msg != "invalid username or password" || errs.DetailsOf(err) != nil {
		e.t.Fatalf("%s: answered %s %q %v, want exactly the wrong-password answer", why, code, msg, errs.DetailsOf(err))
	}
}

func (e *guardEnv) accepted(name, pw, why string) {
	e.t.Helper()
	if err := e.login(name, pw); err != nil {
		e.t.Fatalf("%s: %v, want success", why, err)
	}
}

// failures reads the counter record of a user; 0 when it is absent.
func (e *guardEnv) failures(user string) int {
	e.t.Helper()
	rec, err := e.st.Record(ctx, identity.KindLoginGuard, user)
	if errs.Is(err, errs.NotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var g struct{ Failures int }
	if err := json.Unmarshal(rec.Data, &g); err != nil {
		e.t.Fatal(err)
	}
	return g.Failures
}

func (e *guardEnv) auditKinds(subject, kind string) int {
	e.t.Helper()
	// An empty Subject does not filter the query; filter here instead.
	list, err := e.st.Audit(ctx, store.AuditQuery{Kinds: []string{kind}, Limit: store.MaxAuditPage})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, a := range list {
		if a.Subject == subject {
			n++
		}
	}
	return n
}

func (e *guardEnv) user(name string) string {
	e.t.Helper()
	u, err := e.s.CreateUser(ctx, identity.System, identity.NewUser{Username: name, Password: goodPw})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// TestParallelBurstCountsEveryFailure sends 100 wrong passwords for one
// account at once: the counter must read exactly 100 on every engine, with
// one audit entry for each.
func TestParallelBurstCountsEveryFailure(t *testing.T) {
	engines := map[string]func(*testing.T) store.Store{
		"sqlite":   sqliteStore,
		"postgres": func(t *testing.T) store.Store { return pgtest.Open(t) },
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			e := newGuardEnv(t, open(t), identity.Options{LocalLogin: true})
			alice := e.user("alice")
			const n = 100
			var wg sync.WaitGroup
			errc := make(chan error, n)
			for i := range n {
				wg.Go(func() { errc <- e.login("alice", fmt.Sprintf("wrong-password-%03d", i)) })
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if !errs.Is(err, errs.Unauthenticated) {
					t.Fatalf("wrong password answered %v", err)
				}
			}
			if got := e.failures(alice); got != n {
				t.Fatalf("counter reads %d after %d parallel failures", got, n)
			}
			if got := e.auditKinds(alice, audit.LoginFailure); got != n {
				t.Fatalf("%d login.failure entries, want %d", got, n)
			}
			if got := e.auditKinds(alice, audit.LoginLocked); got != 1 {
				t.Fatalf("%d login.locked entries, want 1", got)
			}
			e.refused("alice", goodPw, "correct password after the burst")
		})
	}
}

// TestLockoutAndUnlock locks an account after N failures in the window,
// refuses even the right password while locked, and lifts the lock by
// time and by an admin.
func TestLockoutAndUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{
			LocalLogin: true, LockoutMaxFailures: 3, LockoutWindow: 10 * time.Minute, LockoutDuration: 15 * time.Minute,
		})
		alice := e.user("alice")
		lock := func() {
			t.Helper()
			e.refused("alice", "wrong-password-1", "first failure")
			e.refused("alice", "wrong-password-2", "second failure")
			time.Sleep(time.Second) // the backoff after two failures
			e.refused("alice", "wrong-password-3", "third failure")
		}
		lock()
		if got := e.failures(alice); got != 3 {
			t.Fatalf("counter %d after 3 failures", got)
		}
		time.Sleep(time.Minute)
		e.refused("alice", goodPw, "right password while locked")
		time.Sleep(13 * time.Minute)
		e.refused("alice", goodPw, "right password a minute before the lock ends")
		time.Sleep(time.Minute)
		e.accepted("alice", goodPw, "right password after the lock")
		if got := e.failures(alice); got != 0 {
			t.Fatalf("counter %d after a success, want reset", got)
		}

		lock()
		e.user("bob")
		if err := e.s.Unlock(ctx, e.callerOf(t, "bob"), alice); !errs.Is(err, errs.PermissionDenied) {
			t.Fatalf("unlock by a non-admin: %v", err)
		}
		if err := e.s.Unlock(ctx, identity.System, "no-such-user"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unlock of a missing user: %v", err)
		}
		if err := e.s.Unlock(ctx, identity.System, alice); err != nil {
			t.Fatal(err)
		}
		e.accepted("alice", goodPw, "right password after an admin unlock")
		if got := e.auditKinds(alice, audit.UserUnlock); got != 1 {
			t.Fatalf("%d user.unlock entries, want 1", got)
		}
	})
}

func (e *guardEnv) callerOf(t *testing.T, name string) acl.Principals {
	t.Helper()
	res, err := e.s.Login(ctx, name, goodPw, identity.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.s.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return c.Principals
}

// TestFailuresOutsideTheWindowDoNotLock spreads failures wider than the
// window: the count starts afresh and the account never locks.
func TestFailuresOutsideTheWindowDoNotLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{
			LocalLogin: true, LockoutMaxFailures: 3, LockoutWindow: 10 * time.Minute, LockoutDuration: time.Hour,
		})
		alice := e.user("alice")
		for i := range 6 {
			e.refused("alice", "wrong-password", fmt.Sprintf("failure %d", i))
			time.Sleep(6 * time.Minute)
		}
		if got := e.failures(alice); got > 2 {
			t.Fatalf("counter %d: failures older than the window still count", got)
		}
		e.accepted("alice", goodPw, "right password")
	})
}

func TestBackoffTable(t *testing.T) {
	for _, tc := range []struct {
		failures int
		duration time.Duration
		want     time.Duration
	}{
		{0, time.Hour, 0},
		{1, time.Hour, 0},
		{2, time.Hour, time.Second},
		{3, time.Hour, 2 * time.Second},
		{4, time.Hour, 4 * time.Second},
		{6, time.Hour, 16 * time.Second},
		{7, time.Hour, 30 * time.Second},
		{1000, time.Hour, 30 * time.Second},
		{5, 3 * time.Second, 3 * time.Second}, // never longer than the lock
		{3, time.Millisecond, time.Millisecond},
	} {
		if got := identity.Backoff(1000, tc.duration, tc.failures); got != tc.want {
			t.Errorf("backoff after %d failures (lock %v) = %v, want %v", tc.failures, tc.duration, got, tc.want)
		}
	}
}

// TestBackoffGrows checks the wait after each failure and that an attempt
// during the wait is refused unheard, right password or not, and counts.
func TestBackoffGrows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{LocalLogin: true, LockoutMaxFailures: 100})
		alice := e.user("alice")
		e.refused("alice", "wrong-password", "failure 1")
		e.accepted("alice", goodPw, "no wait after one failure")

		e.refused("alice", "wrong-password", "failure 1")
		e.refused("alice", "wrong-password", "failure 2")
		e.refused("alice", goodPw, "right password inside the 1 s wait")
		if got := e.failures(alice); got != 3 {
			t.Fatalf("counter %d, want the refused attempt counted (3)", got)
		}
		// Three failures now: the wait is 2 s from the last one.
		time.Sleep(1500 * time.Millisecond)
		e.refused("alice", goodPw, "right password inside the 2 s wait")
		// Four: 4 s.
		time.Sleep(3 * time.Second)
		e.refused("alice", goodPw, "right password inside the 4 s wait")
		time.Sleep(8 * time.Second)
		e.accepted("alice", goodPw, "right password once the 8 s wait is over")
	})
}

// TestUnknownNamesLookAlike compares the answers for a wrong password, an
// unknown name, a throttled and a locked account: all the same, and an
// unknown name is throttled and locked in memory like a real account.
func TestUnknownNamesLookAlike(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newGuardEnv(t, sqliteStore(t), identity.Options{
			LocalLogin: true, LockoutMaxFailures: 3, LockoutDuration: time.Hour,
		})
		e.user("alice")
		for _, name := range []string{"alice", "nobody"} {
			e.refused(name, "wrong-password", name+": failure 1")
			e.refused(name, "wrong-password", name+": failure 2")
			e.refused(name, goodPw, name+": throttled")
			time.Sleep(time.Minute)
			e.refused(name, goodPw, name+": locked")
		}
		// The unknown name went through the same steps, audited alike.
		if got := e.auditKinds("", audit.LoginLocked); got != 1 {
			t.Fatalf("%d login.locked entries for unknown names, want 1", got)
		}
		if _, err := e.st.Record(ctx, identity.KindLoginGuard, "nobody"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an unknown name got a record: %v", err)
		}
	})
}

// TestNameGuardsAreBounded fails far more unknown names than the bound.
func TestNameGuardsAreBounded(t *testing.T) {
	if n := identity.NameGuardsAfter(25000, time.Unix(0, 0)); n > 10000 {
		t.Fatalf("%d unknown-name guards in memory, want at most 10000", n)
	}
}

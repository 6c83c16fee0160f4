package password

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"rampart.dev/rampart/internal/errs"
)

// fastParams keep unit tests quick; DefaultParams get their own tests.
var fastParams = Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func newTestHasher(t testing.TB, p Params, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := NewHasher(p, maxConcurrent)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustHash(t testing.TB, h *Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func check(t *testing.T, h *Hasher, enc, pw string) (ok, rehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(context.Background(), enc, pw)
	if err != nil {
		t.Fatal(err)
	}
	return ok, rehash
}

func TestRoundTripDefaultParams(t *testing.T) {
	h := newTestHasher(t, DefaultParams(), 2)
	enc := mustHash(t, h, "correct horse battery staple")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoded = %q", enc)
	}
	if ok, rehash := check(t, h, enc, "correct horse battery staple"); !ok || rehash {
		t.Fatalf("ok %v rehash %v", ok, rehash)
	}
	if ok, _ := check(t, h, enc, "correct horse battery stapler"); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestSaltsDiffer(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	first, second := mustHash(t, h, "same"), mustHash(t, h, "same")
	if first == second {
		t.Fatal("two hashes of one password are equal")
	}
}

func TestWrongPasswords(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	enc := mustHash(t, h, "Secret-1")
	for _, pw := range []string{"", "secret-1", "Secret-1 ", "Secret-", "Secret-1\x00"} {
		if ok, rehash := check(t, h, enc, pw); ok || rehash {
			t.Errorf("%q: ok %v rehash %v", pw, ok, rehash)
		}
	}
}

func TestRehashWhenParamsChange(t *testing.T) {
	old := newTestHasher(t, fastParams, 1)
	enc := mustHash(t, old, "pw")
	stronger := fastParams
	stronger.Time = 2
	longer := fastParams
	longer.KeyLen = 48
	for name, p := range map[string]Params{"time": stronger, "key length": longer} {
		h := newTestHasher(t, p, 1)
		if ok, rehash := check(t, h, enc, "pw"); !ok || !rehash {
			t.Errorf("%s changed: ok %v rehash %v", name, ok, rehash)
		}
		if ok, rehash := check(t, h, enc, "nope"); ok || rehash {
			t.Errorf("%s changed, wrong password: ok %v rehash %v", name, ok, rehash)
		}
	}
}

func TestNoTruncation(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	long := strings.Repeat("pässwörd", 16)[:128]
	for _, pair := range [][2]string{{long, long[:127]}, {long[:127], long}} {
		if ok, _ := check(t, h, mustHash(t, h, pair[0]), pair[1]); ok {
			t.Fatalf("hash of %d bytes accepted %d bytes", len(pair[0]), len(pair[1]))
		}
	}
	longest := strings.Repeat("x", MaxLen)
	if ok, _ := check(t, h, mustHash(t, h, longest), longest); !ok {
		t.Fatal("password of MaxLen bytes refused")
	}
}

func TestTooLongRefused(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	pw := strings.Repeat("x", MaxLen+1)
	_, err1 := h.Hash(context.Background(), pw)
	_, _, err2 := h.Verify(context.Background(), mustHash(t, h, "x"), pw)
	err3 := h.Dummy(context.Background(), pw)
	for _, err := range []error{err1, err2, err3} {
		if !errs.Is(err, errs.InvalidArgument) || strings.Contains(err.Error(), "xxxx") {
			t.Fatalf("err = %v, want invalid_argument without the password", err)
		}
	}
}

func TestVerifyMalformedIsErrorNotPanic(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	for _, enc := range []string{"", "$argon2id$", "$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		ok, rehash, err := h.Verify(context.Background(), enc, "pw")
		if ok || rehash || !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("ok %v rehash %v err %v", ok, rehash, err)
		}
	}
}

// kdfCall is one computation seen by the test hook.
type kdfCall struct {
	salt []byte
	p    Params
}

// watchKDF wraps the hasher's kdf: every computation waits for gate (if
// non-nil), and the wrapper records calls and the peak in-flight count.
type watchKDF struct {
	mu       sync.Mutex
	calls    []kdfCall
	inFlight atomic.Int32
	peak     int32
	gate     chan struct{}
}

func watch(h *Hasher, gate chan struct{}) *watchKDF {
	w := &watchKDF{gate: gate}
	inner := h.kdf
	h.kdf = func(pw, salt []byte, p Params) []byte {
		n := w.inFlight.Add(1)
		defer w.inFlight.Add(-1)
		w.mu.Lock()
		w.peak = max(w.peak, n)
		w.calls = append(w.calls, kdfCall{bytes.Clone(salt), p})
		w.mu.Unlock()
		if w.gate != nil {
			<-w.gate
		}
		return inner(pw, salt, p)
	}
	return w
}

func TestConcurrencyCapHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit = 3
		h := newTestHasher(t, fastParams, limit)
		gate := make(chan struct{})
		w := watch(h, gate)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := h.Hash(context.Background(), "pw"); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait() // every goroutine is in the kdf or queued for a slot
		if n := w.inFlight.Load(); n != limit {
			t.Fatalf("%d hashes in flight, want %d", n, limit)
		}
		close(gate)
		wg.Wait()
		if p := w.peak; p != limit || len(w.calls) != 20 {
			t.Fatalf("peak %d, calls %d", p, len(w.calls))
		}
	})
}

func TestWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTestHasher(t, fastParams, 1)
		gate := make(chan struct{})
		watch(h, gate)
		go h.Hash(context.Background(), "holds the only slot")
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := h.Verify(ctx, good, "pw")
		if waited := time.Since(start); waited != 50*time.Millisecond {
			t.Fatalf("waited %v, want the context's 50ms", waited)
		}
		if !errs.Is(err, errs.ResourceExhausted) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		close(gate)
	})
}

func TestCancelledContextFailsFast(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	w := watch(h, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Hash(ctx, "pw")
	if !errors.Is(err, context.Canceled) || !errs.Is(err, errs.ResourceExhausted) {
		t.Fatalf("err = %v", err)
	}
	if err := h.Dummy(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dummy err = %v", err)
	}
	if len(w.calls) != 0 {
		t.Fatal("computed a hash for a cancelled context")
	}
}

// TestDummyTakesTheVerifyPath asserts equal work rather than equal time:
// Dummy runs one computation with the hasher's own parameters, as Verify
// of a current hash does.
func TestDummyTakesTheVerifyPath(t *testing.T) {
	h := newTestHasher(t, fastParams, 1)
	enc := mustHash(t, h, "pw")
	w := watch(h, nil)
	check(t, h, enc, "wrong")
	if err := h.Dummy(context.Background(), "wrong"); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 2 {
		t.Fatalf("%d computations, want 2", len(w.calls))
	}
	user, dummy := w.calls[0], w.calls[1]
	if user.p != dummy.p || len(user.salt) != len(dummy.salt) {
		t.Fatalf("dummy params %+v differ from a user's %+v", dummy.p, user.p)
	}
	if bytes.Equal(user.salt, dummy.salt) {
		t.Fatal("dummy reused a user's salt")
	}
	if err := h.Dummy(context.Background(), "pw"); err != nil {
		t.Fatal(err)
	}
}

func TestDummyBoundByTheSameCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTestHasher(t, fastParams, 1)
		gate := make(chan struct{})
		watch(h, gate)
		go h.Hash(context.Background(), "holds the only slot")
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.Dummy(ctx, "pw"); !errs.Is(err, errs.ResourceExhausted) {
			t.Fatalf("Dummy err = %v, want resource_exhausted", err)
		}
		close(gate)
	})
}

func TestDefaultConcurrency(t *testing.T) {
	h := newTestHasher(t, fastParams, 0)
	if cap(h.sem) < 1 || h.Params() != fastParams {
		t.Fatalf("cap %d params %+v", cap(h.sem), h.Params())
	}
}

func BenchmarkHash(b *testing.B) {
	h := newTestHasher(b, DefaultParams(), 1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

package token

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func BenchmarkIssue(b *testing.B) {
	k, _ := newTestKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := k.Issue("user-1", "session-1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached measures the full path: parse, signature and
// claim checks, bypassing the cache.
func BenchmarkVerifyUncached(b *testing.B) {
	k, _ := newTestKeys(b)
	tok := mustIssue(b, k, "user-1")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := k.verifyFull(tok, k.set.Load(), k.cfg.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	k, _ := newTestKeys(b)
	tok := mustIssue(b, k, "user-1")
	if _, err := k.Verify(tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCachedParallel spreads 1024 live tokens over the shards,
// as many users would.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	k, _ := newTestKeys(b)
	toks := make([]string, 1024)
	for i := range toks {
		toks[i] = mustIssue(b, k, "user-"+strconv.Itoa(i))
		if _, err := k.Verify(toks[i]); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Uint32
	b.SetParallelism(32) // 64 goroutines on two cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(97))
		for pb.Next() {
			i++
			if _, err := k.Verify(toks[i%len(toks)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyCachedParallelHot has every goroutine verify one token,
// the worst case for shard contention.
func BenchmarkVerifyCachedParallelHot(b *testing.B) {
	k, _ := newTestKeys(b)
	tok := mustIssue(b, k, "user-1")
	if _, err := k.Verify(tok); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := k.Verify(tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

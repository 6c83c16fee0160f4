package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1e6, 123456789, 1 << 40, math.MaxUint64} {
		mid := bucketMid(bucketOf(v))
		if bucketOf(mid) != bucketOf(v) {
			t.Errorf("value %d: midpoint %d lies in another bucket", v, mid)
		}
		if err := math.Abs(float64(mid)-float64(v)) / math.Max(float64(v), 1); err > 0.01 {
			t.Errorf("value %d read back as %d (%.2f%% off)", v, mid, err*100)
		}
	}
}

func TestBucketsAreOrdered(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v += 7 {
		b := bucketOf(v)
		if b < prev {
			t.Fatalf("bucket of %d is %d, below %d", v, b, prev)
		}
		prev = b
	}
}

func TestQuantileMatchesSortedSample(t *testing.T) {
	var h histogram
	rng := rand.New(rand.NewPCG(1, 2))
	sample := make([]time.Duration, 100000)
	for i := range sample {
		// Log-normal-ish: most around a millisecond, a long tail.
		sample[i] = time.Duration(math.Exp(rng.NormFloat64()*0.8) * float64(time.Millisecond))
		h.record(sample[i])
	}
	slices.Sort(sample)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := sample[int(q*float64(len(sample)))-1]
		got := h.quantile(q)
		if off := math.Abs(float64(got-want)) / float64(want); off > 0.01 {
			t.Errorf("q%.3f: got %v, sorted sample says %v", q, got, want)
		}
	}
	if h.quantile(1) != sample[len(sample)-1] {
		t.Errorf("q1 = %v, max %v", h.quantile(1), sample[len(sample)-1])
	}
}

func TestMerge(t *testing.T) {
	var a, b histogram
	for i := range 100 {
		a.record(time.Duration(i) * time.Microsecond)
		b.record(time.Duration(i+100) * time.Microsecond)
	}
	a.merge(&b)
	if a.total != 200 || a.max != 199*time.Microsecond {
		t.Fatalf("total %d max %v", a.total, a.max)
	}
	if p50 := a.quantile(0.5); p50 < 98*time.Microsecond || p50 > 101*time.Microsecond {
		t.Errorf("p50 %v", p50)
	}
}

package main

import (
	"math/bits"
	"time"
)

// histogram counts latencies in log-linear buckets: exact below 128 ns, and
// 128 buckets per power of two above, so any recorded value is off by less
// than 1% when read back. Recording is a few instructions and allocates
// nothing; each client owns one and they are merged at the end.
type histogram struct {
	counts [(64-subBits+1)*subCount + 1]uint64
	total  uint64
	max    time.Duration
}

const (
	subBits  = 7
	subCount = 1 << subBits // buckets per power of two
)

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return (shift+1)*subCount + int(v>>shift) - subCount
}

// bucketMid is the middle of a bucket's value range.
func bucketMid(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := i/subCount - 1
	low := uint64(i%subCount+subCount) << shift
	return low + (uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.total++
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// quantile returns the latency below which the fraction q of samples fall.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}

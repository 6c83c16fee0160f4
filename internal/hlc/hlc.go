package hlc

import (
	"sync"
	"time"
)

// logicalBits is how many low bits count events within one millisecond.
const logicalBits = 16

// Clock hands out strictly increasing timestamps: milliseconds since the Unix
// epoch in the high 48 bits, a counter in the low 16.
type Clock struct {
	mu   sync.Mutex
	last uint64
	now  func() time.Time
}

// New returns a clock reading now, or time.Now when now is nil.
func New(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a timestamp greater than every one returned or observed before.
func (c *Clock) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	phys := uint64(c.now().UnixMilli()) << logicalBits
	if phys > c.last {
		c.last = phys
	} else {
		c.last++
	}
	return c.last
}

// Observe moves the clock past a timestamp seen from another site.
func (c *Clock) Observe(remote uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}

// Time returns the wall-clock part of a timestamp.
func Time(ts uint64) time.Time { return time.UnixMilli(int64(ts >> logicalBits)).UTC() }

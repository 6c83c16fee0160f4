package hlc

import (
	"testing"
	"time"
)

func TestClockMonotonic(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(func() time.Time { return wall })
	a := c.Now()
	b := c.Now()
	if b <= a {
		t.Fatalf("second stamp %d not after %d", b, a)
	}
	wall = wall.Add(-time.Hour) // the wall clock stepped back
	if d := c.Now(); d <= b {
		t.Fatalf("stamp %d after a clock step back is not after %d", d, b)
	}
	c.Observe(b + 1000)
	if e := c.Now(); e <= b+1000 {
		t.Fatalf("stamp %d does not pass observed %d", e, b+1000)
	}
	if got := Time(a); !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Time(a) = %v", got)
	}
}

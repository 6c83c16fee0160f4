package identity

import (
	"fmt"
	"time"
)

// Internals the black-box tests need to see.

// KindLoginGuard is the record kind of the failed sign-in counters.
const KindLoginGuard = kindLoginGuard

var IsCommonPassword = isCommonPassword

// CommonPasswordCount is how many passwords the shipped list holds.
func CommonPasswordCount() int { return len(commonPasswords()) }

// Backoff is the wait after the failures-th failed attempt.
func Backoff(maxFailures int, duration time.Duration, failures int) time.Duration {
	return lockPolicy{max: maxFailures, duration: duration}.withDefaults().backoff(failures)
}

// NameGuardsAfter fails n distinct unknown names, one every millisecond
// from start, and returns how many guards stay in memory.
func NameGuardsAfter(n int, start time.Time) int {
	g := newNameGuards()
	p := lockPolicy{}.withDefaults()
	for i := range n {
		g.fail(fmt.Sprintf("name-%d", i), start.Add(time.Duration(i)*time.Millisecond), p)
	}
	return len(g.m)
}

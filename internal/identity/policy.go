package identity

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordList is the 30,000 most common passwords, one a line, lower
// case; data/README.md says where it comes from.
//
//go:embed data/common-passwords.txt
var commonPasswordList string

// commonPasswords is built on first use, so a process that never sets a
// password never pays for the set.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 30000)
	for line := range strings.Lines(commonPasswordList) {
		if pw := normalizeCommon(line); pw != "" {
			set[pw] = struct{}{}
		}
	}
	return set
})

// normalizeCommon is the form passwords are compared in: surrounding space
// and case do not make a listed password any harder to guess.
func normalizeCommon(pw string) string {
	return strings.ToLower(strings.TrimSpace(pw))
}

// isCommonPassword reports whether pw is on the shipped list.
func isCommonPassword(pw string) bool {
	_, ok := commonPasswords()[normalizeCommon(pw)]
	return ok
}

package identity

import (
	"strings"
	"testing"
)

// FuzzParseAPIKey: parsing never panics, and whatever it accepts is the
// one canonical spelling of that id and secret, so two different strings
// can never pass as the same key.
func FuzzParseAPIKey(f *testing.F) {
	good := renderKey(newKeyID(), newSecret())
	for _, seed := range []string{good, "", "rk_", "rk__", good + "\n", strings.ToUpper(good), good[:62] + "B", "rk_0123456789abcdef_" + strings.Repeat("A", 43), "rk_" + strings.Repeat("\xff", 60)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id, secret, ok := parseKey(key)
		if ok && renderKey(id, secret[:]) != key {
			t.Fatalf("%q parsed but renders as %q", key, renderKey(id, secret[:]))
		}
	})
}

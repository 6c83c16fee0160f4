package jsonx

import "testing"

func TestHasNUL(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want bool
	}{
		{"plain", false},
		{"a\x00b", true},
		{[]any{"x", []any{"\x00"}}, true},
		{map[string]any{"k": "v", "n": 1.0}, false},
		{map[string]any{"k\x00": "v"}, true},
		{map[string]any{"k": map[string]any{"deep": "\x00"}}, true},
		{nil, false},
	} {
		if got := HasNUL(tt.v); got != tt.want {
			t.Errorf("HasNUL(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

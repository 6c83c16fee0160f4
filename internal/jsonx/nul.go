package jsonx

import "strings"

// HasNUL reports whether any key or string in a decoded value holds a NUL
// character. Request text ends up in text columns, which PostgreSQL refuses
// to hold NUL in, so every surface refuses it up front.
func HasNUL(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.IndexByte(t, 0) >= 0
	case []any:
		for _, c := range t {
			if HasNUL(c) {
				return true
			}
		}
	case map[string]any:
		for k, c := range t {
			if strings.IndexByte(k, 0) >= 0 || HasNUL(c) {
				return true
			}
		}
	}
	return false
}

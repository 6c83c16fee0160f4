package errs

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) || seen[id] {
			t.Fatalf("id %q: want 24 fresh hex digits", id)
		}
		seen[id] = true
	}
}

func TestPanicHidesTheValue(t *testing.T) {
	for v, logged := range map[any]string{
		"index out of range":        "panic: index out of range",
		errors.New("nil map write"): "panic: nil map write",
		42:                          "panic: non-error value",
	} {
		err := Panic(v)
		code, msg := Public(err)
		if code != Internal || msg != "internal error" {
			t.Errorf("%v: public %s %q", v, code, msg)
		}
		if !strings.HasSuffix(err.Error(), logged) {
			t.Errorf("%v: logged as %q, want it to end %q", v, err.Error(), logged)
		}
	}
}

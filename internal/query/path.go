package query

import (
	"strconv"
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// Path is a dotted field path, split into segments. A segment made only of
// digits addresses an array element. Every segment matches a strict grammar
// (letters, digits, '_' and '-', at most MaxSegmentLen bytes), which is what
// lets dialects render paths as SQL literals so expression indexes match.
type Path []string

const (
	MaxPathSegments = 16
	MaxSegmentLen   = 64
	MaxIndexDigits  = 9
)

// ParsePath splits and validates a dotted path such as "address.city".
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, errs.E(errs.InvalidArgument, "field path is empty")
	}
	segs := strings.Split(s, ".")
	if len(segs) > MaxPathSegments {
		return nil, errs.E(errs.InvalidArgument, "field path %.80q has more than %d segments", s, MaxPathSegments)
	}
	for i, seg := range segs {
		if !validSegment(seg) {
			return nil, errs.E(errs.InvalidArgument, "field path %.80q: segments are 1-%d letters, digits, '_' or '-'", s, MaxSegmentLen)
		}
		// PostgreSQL's -> takes a 32-bit index.
		if Path(segs).IsIndex(i) && len(seg) > MaxIndexDigits {
			return nil, errs.E(errs.InvalidArgument, "field path %.80q: array index has more than %d digits", s, MaxIndexDigits)
		}
	}
	return Path(segs), nil
}

// MustPath is ParsePath for constant paths written in Rampart's own code.
func MustPath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

func validSegment(seg string) bool {
	if len(seg) == 0 || len(seg) > MaxSegmentLen {
		return false
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// IsIndex reports whether segment i addresses an array element.
func (p Path) IsIndex(i int) bool {
	_, err := strconv.Atoi(p[i])
	return err == nil && p[i][0] != '-' && p[i][0] != '+'
}

func (p Path) String() string { return strings.Join(p, ".") }

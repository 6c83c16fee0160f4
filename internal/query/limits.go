package query

import (
	"bytes"
	"unicode/utf8"

	"rampart.dev/rampart/internal/errs"
)

// Limits bound the size and shape of what a caller may ask for.
type Limits struct {
	MaxBytes  int // encoded size of one filter, sort, projection or pipeline
	MaxDepth  int // nesting of $and/$or/$nor/$not/$elemMatch and values
	MaxNodes  int // operators in one filter
	MaxIn     int // values in one $in/$nin
	MaxRegex  int // bytes in one $regex
	MaxStages int // stages in one pipeline
}

// DefaultLimits are the limits used when configuration says nothing.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 64 << 10, MaxDepth: 8, MaxNodes: 256, MaxIn: 1000, MaxRegex: 256, MaxStages: 16}
}

const (
	// MaxSortKeys bounds the keys of one sort.
	MaxSortKeys = 8
	// MaxLimit bounds a pipeline's $limit stage.
	MaxLimit = 100000
	// maxFields bounds the outputs of one $group or $project stage, which
	// keeps jsonb_build_object under PostgreSQL's 100 arguments.
	maxFields = 32
)

// orDefaults fills the zero fields of l from DefaultLimits, so a partly
// configured Limits still bounds everything.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxBytes, d.MaxBytes)
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxNodes, d.MaxNodes)
	fill(&l.MaxIn, d.MaxIn)
	fill(&l.MaxRegex, d.MaxRegex)
	fill(&l.MaxStages, d.MaxStages)
	return l
}

// invalid builds the invalid_argument error every parse failure returns.
func invalid(format string, args ...any) error {
	return errs.E(errs.InvalidArgument, format, args...)
}

// emptyInput reports whether raw holds nothing but whitespace.
func emptyInput(raw []byte) bool {
	return len(bytes.TrimSpace(raw)) == 0
}

// checkRaw applies the checks all caller JSON shares: at most maxBytes
// (0: unbounded) of valid UTF-8. It runs before decoding because
// encoding/json silently replaces invalid UTF-8.
func checkRaw(raw []byte, maxBytes int, what string) error {
	if maxBytes > 0 && len(raw) > maxBytes {
		return invalid("%s is larger than %d bytes", what, maxBytes)
	}
	if !utf8.Valid(raw) {
		return invalid("%s is not valid UTF-8", what)
	}
	return nil
}

package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"rampart.dev/rampart/internal/errs"
)

// Limits bound one decoded value.
type Limits struct {
	MaxBytes int // 0 means no size limit
	MaxDepth int // nesting of objects and arrays; 0 means 64
}

// Member is one key of an Object.
type Member struct {
	Key   string
	Value any
}

// Object is a JSON object that keeps its keys in input order, for the few
// places where order means something (sort specifications).
type Object []Member

// Decode parses raw into nil, bool, json.Number, string, []any or
// map[string]any.
func Decode(raw []byte, lim Limits) (any, error) {
	return decode(raw, lim, false)
}

// DecodeOrdered is Decode with objects as Object, in input order.
func DecodeOrdered(raw []byte, lim Limits) (any, error) {
	return decode(raw, lim, true)
}

func decode(raw []byte, lim Limits, ordered bool) (any, error) {
	if lim.MaxBytes > 0 && len(raw) > lim.MaxBytes {
		return nil, errs.E(errs.TooLarge, "JSON value of %d bytes is over the limit of %d", len(raw), lim.MaxBytes)
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 64
	}
	if !utf8.Valid(raw) {
		return nil, errs.E(errs.InvalidArgument, "JSON is not valid UTF-8")
	}
	if err := checkSurrogates(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	d := decoder{dec: dec, max: lim.MaxDepth, ordered: ordered}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errs.E(errs.InvalidArgument, "unexpected data after the JSON value")
	}
	return v, nil
}

// DecodeObject is Decode for input that must be a JSON object.
func DecodeObject(raw []byte, lim Limits) (map[string]any, error) {
	v, err := Decode(raw, lim)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errs.E(errs.InvalidArgument, "expected a JSON object")
	}
	return m, nil
}

type decoder struct {
	dec     *json.Decoder
	max     int
	ordered bool
}

func (d *decoder) value(depth int) (any, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= d.max {
			return nil, errs.E(errs.InvalidArgument, "JSON is nested deeper than %d levels", d.max)
		}
		if t == '{' {
			return d.object(depth + 1)
		}
		return d.array(depth + 1)
	case json.Number:
		if err := checkNumber(t); err != nil {
			return nil, err
		}
		return t, nil
	default:
		return t, nil
	}
}

// maxNumberLen bounds a number literal: enough for any float64 written out
// in full, well inside what PostgreSQL's numeric keeps.
const maxNumberLen = 400

// checkNumber admits only numbers both engines hold alike: no infinities,
// and nothing so close to zero that float64 reads it as 0 while PostgreSQL
// would keep (or refuse) its digits.
func checkNumber(n json.Number) error {
	if len(n) > maxNumberLen {
		return errs.E(errs.InvalidArgument, "number of %d characters is over the limit of %d", len(n), maxNumberLen)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return errs.E(errs.InvalidArgument, "number %.32s is out of range", n)
	}
	if f == 0 && strings.ContainsAny(string(n)[:mantissaLen(n)], "123456789") {
		return errs.E(errs.InvalidArgument, "number %.32s is too close to zero", n)
	}
	return nil
}

// mantissaLen is the length of n before its exponent.
func mantissaLen(n json.Number) int {
	if i := strings.IndexAny(string(n), "eE"); i >= 0 {
		return i
	}
	return len(n)
}

func (d *decoder) object(depth int) (any, error) {
	m := map[string]any{}
	var o Object
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key := tok.(string) // the decoder only yields strings as object keys
		if _, dup := m[key]; dup {
			return nil, errs.E(errs.InvalidArgument, "JSON object repeats the key %.64q", key)
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
		if d.ordered {
			o = append(o, Member{key, v})
		}
	}
	if _, err := d.dec.Token(); err != nil { // closing brace
		return nil, syntaxError(err)
	}
	if d.ordered {
		if o == nil {
			o = Object{}
		}
		return o, nil
	}
	return m, nil
}

func (d *decoder) array(depth int) ([]any, error) {
	a := []any{}
	for d.dec.More() {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	_, err := d.dec.Token() // closing bracket
	return a, syntaxError(err)
}

func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	var typed *errs.Error
	if errors.As(err, &typed) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return errs.E(errs.InvalidArgument, "JSON ends too early")
	}
	return errs.Wrap(err, errs.InvalidArgument, "malformed JSON")
}

// checkSurrogates refuses \u escapes of half a UTF-16 surrogate pair: the
// decoder would quietly turn them into U+FFFD, which is invalid UTF-8
// repaired rather than refused. A backslash outside a string is a syntax
// error the decoder reports, so the whole input can be scanned.
func checkSurrogates(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character, skipped by the loop unless it is u
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw[i+1:])
		if !ok {
			continue // a bad escape; the decoder reports it
		}
		i += 4
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return errLoneSurrogate
		case r >= 0xd800 && r <= 0xdbff:
			if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw[i+3:]); ok && lo >= 0xdc00 && lo <= 0xdfff {
					i += 6
					continue
				}
			}
			return errLoneSurrogate
		}
	}
	return nil
}

var errLoneSurrogate = errs.E(errs.InvalidArgument, "JSON escapes half of a UTF-16 surrogate pair")

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

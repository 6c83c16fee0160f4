package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"rampart.dev/rampart/internal/errs"
)

// Limits bound one decoded value.
type Limits struct {
	MaxBytes int // 0 means no size limit
	MaxDepth int // nesting of objects and arrays; 0 means 64
}

// Decode parses raw into nil, bool, json.Number, string, []any or
// map[string]any.
func Decode(raw []byte, lim Limits) (any, error) {
	if lim.MaxBytes > 0 && len(raw) > lim.MaxBytes {
		return nil, errs.E(errs.TooLarge, "JSON value of %d bytes is over the limit of %d", len(raw), lim.MaxBytes)
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 64
	}
	if !utf8.Valid(raw) {
		return nil, errs.E(errs.InvalidArgument, "JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	d := decoder{dec: dec, max: lim.MaxDepth}
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
	dec *json.Decoder
	max int
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
		// Both engines must be able to hold it: no infinities.
		if _, err := strconv.ParseFloat(string(t), 64); err != nil {
			return nil, errs.E(errs.InvalidArgument, "number %.32s is out of range", t)
		}
		return t, nil
	default:
		return t, nil
	}
}

func (d *decoder) object(depth int) (map[string]any, error) {
	m := map[string]any{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key := tok.(string) // the decoder only yields strings as object keys
		if _, dup := m[key]; dup {
			return nil, errs.E(errs.InvalidArgument, "JSON object repeats the key %.64q", key)
		}
		if m[key], err = d.value(depth); err != nil {
			return nil, err
		}
	}
	_, err := d.dec.Token() // closing brace
	return m, syntaxError(err)
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

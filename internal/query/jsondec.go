package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// member is one key of a decoded object, in input order.
type member struct {
	key string
	val any
}

// object is a decoded JSON object that keeps its key order, which sort
// specifications depend on.
type object []member

// decoder turns caller JSON into nil, bool, json.Number, string, []any and
// object values. Unlike encoding/json it keeps key order, rejects duplicate
// keys and stops at a depth bound before recursing further.
type decoder struct {
	dec      *json.Decoder
	maxDepth int
}

// decodeJSON decodes exactly one JSON value from raw.
func decodeJSON(raw []byte, maxDepth int, what string) (any, error) {
	d := decoder{dec: json.NewDecoder(bytes.NewReader(raw)), maxDepth: maxDepth}
	d.dec.UseNumber()
	v, err := d.value(0)
	if err != nil {
		return nil, d.wrap(err, what)
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, invalid("%s: unexpected data after the JSON value", what)
	}
	return v, nil
}

var errTooDeep = errors.New("too deep")

func (d *decoder) wrap(err error, what string) error {
	if errors.Is(err, errTooDeep) {
		return invalid("%s is nested too deeply", what)
	}
	var e *dupError
	if errors.As(err, &e) {
		return invalid("%s: duplicate key %.64q", what, e.key)
	}
	return invalid("%s is not valid JSON", what)
}

type dupError struct{ key string }

func (e *dupError) Error() string { return "duplicate key " + e.key }

func (d *decoder) value(depth int) (any, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= d.maxDepth {
			return nil, errTooDeep
		}
		if t == '{' {
			return d.object(depth + 1)
		}
		if t == '[' {
			return d.array(depth + 1)
		}
		return nil, errors.New("unexpected delimiter")
	default:
		return t, nil
	}
}

func (d *decoder) object(depth int) (object, error) {
	obj := object{}
	seen := map[string]bool{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		if seen[key] {
			return nil, &dupError{key}
		}
		seen[key] = true
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		obj = append(obj, member{key, v})
	}
	_, err := d.dec.Token() // closing brace
	return obj, err
}

func (d *decoder) array(depth int) ([]any, error) {
	arr := []any{}
	for d.dec.More() {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	_, err := d.dec.Token() // closing bracket
	return arr, err
}

// plain converts decoded values into the map form documents use.
func plain(v any) any {
	switch t := v.(type) {
	case object:
		m := make(map[string]any, len(t))
		for _, mb := range t {
			m[mb.key] = plain(mb.val)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// valueDepth is how many containers nest inside v.
func valueDepth(v any) int {
	max := 0
	switch t := v.(type) {
	case object:
		for _, mb := range t {
			max = maxInt(max, valueDepth(mb.val))
		}
		return max + 1
	case []any:
		for _, e := range t {
			max = maxInt(max, valueDepth(e))
		}
		return max + 1
	}
	return 0
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

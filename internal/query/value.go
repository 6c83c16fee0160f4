package query

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// kind is the JSON type of a value. Its order is the sort order of types:
// null (and missing) < numbers < strings < objects < arrays < booleans.
type kind int

const (
	kNull kind = iota
	kNumber
	kString
	kObject
	kArray
	kBool
)

// number is a JSON number as SQLite binds it: an integer when it fits.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{isInt: true, i: i, f: float64(i)}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return number{}, false
	}
	return number{f: f}, true
}

// bind is the number as an SQLite parameter.
func (n number) bind() any {
	if n.isInt {
		return n.i
	}
	return n.f
}

func (n number) cmp(o number) int {
	if n.isInt && o.isInt {
		return cmpOrdered(n.i, o.i)
	}
	return cmpOrdered(n.f, o.f)
}

func cmpOrdered[T int64 | float64 | int | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// toNumber accepts the number types a decoded document may hold.
func toNumber(v any) (number, bool) {
	switch t := v.(type) {
	case json.Number:
		return parseNumber(string(t))
	case float64:
		return number{f: t}, !math.IsInf(t, 0) && !math.IsNaN(t)
	case float32:
		return toNumber(float64(t))
	case int:
		return number{isInt: true, i: int64(t), f: float64(t)}, true
	case int64:
		return number{isInt: true, i: t, f: float64(t)}, true
	case int32:
		return toNumber(int64(t))
	}
	return number{}, false
}

// kindOf classifies a decoded document value.
func kindOf(v any) kind {
	switch v.(type) {
	case nil:
		return kNull
	case string:
		return kString
	case bool:
		return kBool
	case map[string]any, object:
		return kObject
	case []any:
		return kArray
	}
	if _, ok := toNumber(v); ok {
		return kNumber
	}
	return kNull
}

// value is a caller-supplied JSON value inside a query, with the forms each
// engine binds.
type value struct {
	kind kind
	v    any    // plain Go form, for Match
	num  number // when kind is kNumber
	json string // canonical JSON: sorted keys, compact, as Rampart stores bodies
}

// newValue validates a decoded caller value.
func newValue(raw any) (value, error) {
	if err := checkValue(raw); err != nil {
		return value{}, err
	}
	v := plain(raw)
	b, err := json.Marshal(v)
	if err != nil {
		return value{}, invalid("value cannot be encoded as JSON")
	}
	out := value{kind: kindOf(v), v: v, json: string(b)}
	if out.kind == kNumber {
		out.num, _ = toNumber(v)
	}
	return out, nil
}

// checkValue rejects what one of the engines cannot hold: NUL characters
// (PostgreSQL text) and numbers outside float64.
func checkValue(v any) error {
	switch t := v.(type) {
	case string:
		if strings.IndexByte(t, 0) >= 0 {
			return invalid("strings may not contain NUL characters")
		}
	case json.Number:
		if _, ok := parseNumber(string(t)); !ok {
			return invalid("number %.40q is out of range", string(t))
		}
	case object:
		for _, m := range t {
			if err := checkValue(m.Key); err != nil {
				return err
			}
			if err := checkValue(m.Value); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := checkValue(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// isScalar reports whether a value may appear in $in and comparisons.
func (v value) isScalar() bool { return v.kind != kObject && v.kind != kArray }

// equalJSON is typed whole-value equality: numbers by value, objects by keys
// regardless of order, arrays element by element.
func equalJSON(a, b any) bool {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		return false
	}
	switch ka {
	case kNull:
		return true
	case kNumber:
		na, _ := toNumber(a)
		nb, _ := toNumber(b)
		return na.cmp(nb) == 0
	case kString:
		return a.(string) == b.(string)
	case kBool:
		return a.(bool) == b.(bool)
	case kArray:
		return equalArrays(a.([]any), b.([]any))
	}
	return equalObjects(asMap(a), asMap(b))
}

func equalArrays(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equalJSON(a[i], b[i]) {
			return false
		}
	}
	return true
}

func equalObjects(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !equalJSON(va, vb) {
			return false
		}
	}
	return true
}

func asMap(v any) map[string]any {
	if o, ok := v.(object); ok {
		return plain(o).(map[string]any)
	}
	m, _ := v.(map[string]any)
	return m
}

// compareSortValues orders two document values the way ORDER BY does: by
// kind, then numbers by value, strings by bytes, false before true. Objects
// and arrays compare equal among themselves.
func compareSortValues(a, b any) int {
	ka, kb := kindOf(a), kindOf(b)
	if ka != kb {
		return cmpOrdered(int(ka), int(kb))
	}
	switch ka {
	case kNumber:
		na, _ := toNumber(a)
		nb, _ := toNumber(b)
		return na.cmp(nb)
	case kString:
		return strings.Compare(a.(string), b.(string))
	case kBool:
		return cmpOrdered(boolInt(a.(bool)), boolInt(b.(bool)))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

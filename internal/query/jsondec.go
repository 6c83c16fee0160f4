package query

import (
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
)

// member and object are jsonx's ordered form: sort specifications depend
// on key order.
type (
	member = jsonx.Member
	object = jsonx.Object
)

// decodeJSON decodes exactly one JSON value from raw, keeping key order and
// refusing what jsonx refuses (repeated keys, lone surrogates, numbers the
// engines would hold differently), with errors that name what was decoded.
func decodeJSON(raw []byte, maxDepth int, what string) (any, error) {
	v, err := jsonx.DecodeOrdered(raw, jsonx.Limits{MaxDepth: maxDepth})
	if err != nil {
		_, msg := errs.Public(err)
		return nil, invalid("%s: %s", what, msg)
	}
	return v, nil
}

// plain converts decoded values into the map form documents use.
func plain(v any) any {
	switch t := v.(type) {
	case object:
		m := make(map[string]any, len(t))
		for _, mb := range t {
			m[mb.Key] = plain(mb.Value)
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
			max = maxInt(max, valueDepth(mb.Value))
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

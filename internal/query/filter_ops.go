package query

import (
	"encoding/json"
	"strings"
)

// fieldOps are the operators allowed on a field.
var fieldOps = map[string]bool{
	"$eq": true, "$ne": true, "$gt": true, "$gte": true, "$lt": true, "$lte": true,
	"$in": true, "$nin": true, "$exists": true, "$regex": true, "$options": true,
	"$elemMatch": true, "$not": true,
}

// operators parses an operator map; all its operators must hold.
func (p *parser) operators(obj object, d int) (pred, error) {
	if err := p.depth(d); err != nil {
		return nil, err
	}
	var out predAnd
	for _, m := range obj {
		if !strings.HasPrefix(m.Key, "$") {
			return nil, invalid("cannot mix operators and field %.64q in one object", m.Key)
		}
		if err := p.node(); err != nil {
			return nil, err
		}
		pr, err := p.operator(obj, m, d)
		if err != nil {
			return nil, err
		}
		if pr != nil {
			out = append(out, pr)
		}
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *parser) operator(obj object, m member, d int) (pred, error) {
	switch m.Key {
	case "$eq", "$ne":
		v, err := p.value(m.Value, d)
		if err != nil {
			return nil, err
		}
		return negateIf(m.Key == "$ne", predEq{v}), nil
	case "$gt", "$gte", "$lt", "$lte":
		return p.compare(m.Key, m.Value)
	case "$in", "$nin":
		in, err := p.in(m.Key, m.Value, d)
		if err != nil {
			return nil, err
		}
		return negateIf(m.Key == "$nin", in), nil
	case "$exists":
		b, ok := m.Value.(bool)
		if !ok {
			return nil, invalid("$exists takes true or false")
		}
		return predExists{b}, nil
	case "$regex":
		return p.regex(obj, m.Value)
	case "$options":
		if _, ok := lookup(obj, "$regex"); !ok {
			return nil, invalid("$options needs $regex")
		}
		return nil, nil // read by $regex
	case "$not":
		return p.not(m.Value, d)
	case "$elemMatch":
		return p.elemMatch(m.Value, d)
	}
	return nil, unknownOperator(m.Key)
}

func negateIf(neg bool, p pred) pred {
	if neg {
		return predNot{p}
	}
	return p
}

func lookup(obj object, key string) (any, bool) {
	for _, m := range obj {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

func (p *parser) compare(op string, raw any) (pred, error) {
	switch raw.(type) {
	case json.Number, string:
	default:
		return nil, invalid("%s takes a number or a string", op)
	}
	v, err := newValue(raw)
	if err != nil {
		return nil, err
	}
	return predCmp{op: op, v: v}, nil
}

func (p *parser) in(op string, raw any, d int) (pred, error) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, invalid("%s takes an array", op)
	}
	if len(arr) > p.lim.MaxIn {
		return nil, invalid("%s has more than %d values", op, p.lim.MaxIn)
	}
	vals := make([]value, 0, len(arr))
	for _, el := range arr {
		v, err := p.value(el, d)
		if err != nil {
			return nil, err
		}
		if !v.isScalar() {
			return nil, invalid("%s takes only numbers, strings, booleans and null", op)
		}
		vals = append(vals, v)
	}
	return predIn{vals}, nil
}

func (p *parser) regex(obj object, raw any) (pred, error) {
	pattern, ok := raw.(string)
	if !ok {
		return nil, invalid("$regex takes a string")
	}
	flags := ""
	if o, ok := lookup(obj, "$options"); ok {
		if flags, ok = o.(string); !ok {
			return nil, invalid("$options takes a string")
		}
	}
	rx, err := parseRegex(pattern, flags, p.lim)
	if err != nil {
		return nil, err
	}
	return predRegex{rx}, nil
}

func (p *parser) not(raw any, d int) (pred, error) {
	obj, ok := raw.(object)
	if !ok || len(obj) == 0 || !allOperators(obj) {
		return nil, invalid("$not takes a non-empty object of operators")
	}
	inner, err := p.operators(obj, d+1)
	if err != nil {
		return nil, err
	}
	return predNot{inner}, nil
}

func allOperators(obj object) bool {
	for _, m := range obj {
		if !strings.HasPrefix(m.Key, "$") {
			return false
		}
	}
	return true
}

// elemMatch takes either an operator map applied to each element or a
// filter applied to each object element.
func (p *parser) elemMatch(raw any, d int) (pred, error) {
	obj, ok := raw.(object)
	if !ok || len(obj) == 0 {
		return nil, invalid("$elemMatch takes a non-empty object")
	}
	if isOperatorMap(obj) {
		inner, err := p.operators(obj, d+1)
		if err != nil {
			return nil, err
		}
		return predElem{inner}, nil
	}
	f, err := p.filter(obj, d+1)
	if err != nil {
		return nil, err
	}
	return predElemDoc{f}, nil
}

// isOperatorMap tells an $elemMatch operator map from a sub-filter: it is
// one when any key is a field operator.
func isOperatorMap(obj object) bool {
	for _, m := range obj {
		if fieldOps[m.Key] {
			return true
		}
	}
	return false
}

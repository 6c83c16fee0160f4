package query

import "strconv"

// Match evaluates f on a decoded document in Go, with exactly the semantics
// of the compiled SQL. Numbers may be json.Number or Go numeric types.
func (f Filter) Match(doc map[string]any) bool {
	if f.root == nil {
		return true
	}
	return matchExpr(f.root.(expr), doc)
}

func matchExpr(e expr, doc map[string]any) bool {
	switch e := e.(type) {
	case andExpr:
		for _, k := range e {
			if !matchExpr(k, doc) {
				return false
			}
		}
		return true
	case orExpr:
		for _, k := range e {
			if matchExpr(k, doc) {
				return true
			}
		}
		return false
	case norExpr:
		return !matchExpr(orExpr(e), doc)
	case condExpr:
		v, ok := resolve(doc, e.path)
		return matchPred(e.p, v, ok)
	}
	return false
}

// resolve finds the value at p. Digit segments index arrays only, as
// SQLite's [n] and PostgreSQL's -> n do.
func resolve(doc map[string]any, p Path) (any, bool) {
	var cur any = doc
	for i, seg := range p {
		switch c := cur.(type) {
		case map[string]any:
			if p.IsIndex(i) {
				return nil, false
			}
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(seg)
			if !p.IsIndex(i) || err != nil || n >= len(c) {
				return nil, false
			}
			cur = c[n]
		default:
			return nil, false
		}
	}
	return cur, true
}

// matchPred evaluates p on a value; present is false for a missing one.
func matchPred(p pred, v any, present bool) bool {
	switch p := p.(type) {
	case predAnd:
		for _, k := range p {
			if !matchPred(k, v, present) {
				return false
			}
		}
		return true
	case predNot:
		return !matchPred(p.p, v, present)
	case predEq:
		return matchEq(p.v, v, present)
	case predCmp:
		return present && matchCmp(p, v)
	case predIn:
		return matchIn(p, v, present)
	case predExists:
		return present == p.want
	case predRegex:
		s, ok := v.(string)
		return present && ok && p.rx.re.MatchString(s)
	case predElem, predElemDoc:
		return present && matchElem(p, v)
	}
	return false
}

func matchEq(want value, v any, present bool) bool {
	if want.kind == kNull {
		return !present || v == nil
	}
	return present && equalJSON(want.v, v)
}

func matchIn(p predIn, v any, present bool) bool {
	for _, w := range p.vals {
		if matchEq(w, v, present) {
			return true
		}
	}
	return false
}

// matchCmp brackets by type: numbers compare with numbers, strings with
// strings (by bytes), anything else does not match.
func matchCmp(p predCmp, v any) bool {
	var c int
	switch p.v.kind {
	case kNumber:
		n, ok := toNumber(v)
		if !ok {
			return false
		}
		c = n.cmp(p.v.num)
	case kString:
		s, ok := v.(string)
		if !ok {
			return false
		}
		c = cmpOrdered(s, p.v.v.(string))
	default:
		return false
	}
	switch p.op {
	case "$gt":
		return c > 0
	case "$gte":
		return c >= 0
	case "$lt":
		return c < 0
	}
	return c <= 0
}

func matchElem(p pred, v any) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, el := range arr {
		switch p := p.(type) {
		case predElem:
			if matchPred(p.p, el, true) {
				return true
			}
		case predElemDoc:
			if m, ok := el.(map[string]any); ok && matchExpr(p.f, m) {
				return true
			}
		}
	}
	return false
}

package query

import "strings"

// Filter is a parsed filter. The zero Filter matches every document.
type Filter struct{ root any }

// IsEmpty reports whether f matches every document.
func (f Filter) IsEmpty() bool { return f.root == nil }

// The filter AST. An expr is a condition on a whole document (or on one
// object element inside $elemMatch); a pred is a condition on the single
// value found at a path, which may be missing.
type expr interface{ isExpr() }

type (
	andExpr  []expr
	orExpr   []expr
	norExpr  []expr
	condExpr struct {
		path Path
		p    pred
	}
)

func (andExpr) isExpr()  {}
func (orExpr) isExpr()   {}
func (norExpr) isExpr()  {}
func (condExpr) isExpr() {}

type pred interface{ isPred() }

type (
	predAnd []pred
	predNot struct{ p pred }
	// predEq is typed equality; null also matches a missing value.
	predEq  struct{ v value }
	predCmp struct {
		op string // "$gt", "$gte", "$lt" or "$lte"
		v  value  // a number or a string
	}
	predIn     struct{ vals []value }
	predExists struct{ want bool }
	predRegex  struct{ rx *regex }
	// predElem holds when the value is an array with an element matching p.
	predElem struct{ p pred }
	// predElemDoc holds when the value is an array with an object element
	// matching f.
	predElemDoc struct{ f expr }
)

func (predAnd) isPred()     {}
func (predNot) isPred()     {}
func (predEq) isPred()      {}
func (predCmp) isPred()     {}
func (predIn) isPred()      {}
func (predExists) isPred()  {}
func (predRegex) isPred()   {}
func (predElem) isPred()    {}
func (predElemDoc) isPred() {}

// ParseFilter parses a MongoDB-style filter. Empty input, JSON null and {}
// give the zero Filter. Every error is invalid_argument.
func ParseFilter(raw []byte, lim Limits) (Filter, error) {
	if emptyInput(raw) {
		return Filter{}, nil
	}
	lim = lim.orDefaults()
	if err := checkRaw(raw, lim.MaxBytes, "filter"); err != nil {
		return Filter{}, err
	}
	v, err := decodeJSON(raw, rawDepth(lim), "filter")
	if err != nil || v == nil {
		return Filter{}, err
	}
	return parseFilterValue(v, lim)
}

func parseFilterValue(v any, lim Limits) (Filter, error) {
	obj, ok := v.(object)
	if !ok {
		return Filter{}, invalid("filter must be a JSON object")
	}
	p := &parser{lim: lim}
	e, err := p.filter(obj, 1)
	if err != nil {
		return Filter{}, err
	}
	if a, ok := e.(andExpr); ok && len(a) == 0 {
		return Filter{}, nil
	}
	return Filter{root: e}, nil
}

// rawDepth bounds JSON nesting before the filter grammar is looked at: each
// logical level takes at most two JSON levels, so deeper input is refused
// whatever it holds.
func rawDepth(lim Limits) int {
	return 2*lim.MaxDepth + 2
}

type parser struct {
	lim   Limits
	nodes int
}

func (p *parser) node() error {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return invalid("filter has more than %d operators", p.lim.MaxNodes)
	}
	return nil
}

func (p *parser) depth(d int) error {
	if d > p.lim.MaxDepth {
		return invalid("filter is nested more than %d levels", p.lim.MaxDepth)
	}
	return nil
}

// filter parses a document-level filter object at nesting depth d.
func (p *parser) filter(obj object, d int) (expr, error) {
	if err := p.depth(d); err != nil {
		return nil, err
	}
	out := andExpr{}
	for _, m := range obj {
		e, err := p.member(m, d)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *parser) member(m member, d int) (expr, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	switch m.Key {
	case "$and", "$or", "$nor":
		return p.logical(m.Key, m.Value, d)
	}
	if strings.HasPrefix(m.Key, "$") {
		return nil, unknownOperator(m.Key)
	}
	path, err := ParsePath(m.Key)
	if err != nil {
		return nil, err
	}
	pr, err := p.fieldValue(m.Value, d)
	if err != nil {
		return nil, err
	}
	return condExpr{path: path, p: pr}, nil
}

func unknownOperator(op string) error {
	return invalid("unknown operator %.40q", op)
}

func (p *parser) logical(op string, v any, d int) (expr, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, invalid("%s takes a non-empty array of filters", op)
	}
	kids := make([]expr, 0, len(arr))
	for _, el := range arr {
		obj, ok := el.(object)
		if !ok {
			return nil, invalid("%s takes a non-empty array of filters", op)
		}
		e, err := p.filter(obj, d+1)
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
	}
	switch op {
	case "$and":
		return andExpr(kids), nil
	case "$or":
		return orExpr(kids), nil
	}
	return norExpr(kids), nil
}

// fieldValue parses what follows a field name: an operator object or a
// value to compare with.
func (p *parser) fieldValue(v any, d int) (pred, error) {
	if obj, ok := v.(object); ok && hasOperator(obj) {
		return p.operators(obj, d)
	}
	val, err := p.value(v, d)
	if err != nil {
		return nil, err
	}
	return predEq{val}, nil
}

// hasOperator reports whether an object is an operator map rather than a
// literal object value.
func hasOperator(obj object) bool {
	for _, m := range obj {
		if strings.HasPrefix(m.Key, "$") {
			return true
		}
	}
	return false
}

// value validates a literal compared at depth d.
func (p *parser) value(v any, d int) (value, error) {
	if err := p.depth(d + valueDepth(v)); err != nil {
		return value{}, err
	}
	return newValue(v)
}

package query

import (
	"encoding/json"
	"errors"
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// Pipeline is a parsed aggregate pipeline.
type Pipeline struct{ stages []any }

// The stages. Each reads the documents the previous stage produced.
type (
	matchStage struct{ f Filter }
	sortStage  struct{ keys []SortKey }
	limitStage struct{ n int }
	countStage struct{ name string }
	// projectStage keeps fields (paths and renames) or drops paths.
	projectStage struct {
		keep   []projField
		drop   []Path
		dropID bool
	}
	groupStage struct {
		key  []groupField // nil: one group; one field named "": key is a path
		accs []accumulator
	}
)

// projField writes the value at src under the output path out.
type projField struct {
	out Path
	src Path
}

type groupField struct {
	name string
	path Path
}

// accumulator computes one output field of a group; path is nil for
// counts.
type accumulator struct {
	name string
	op   string // $sum, $avg, $min, $max, $push, or $count for counting
	path Path
}

// Len is the number of stages.
func (p Pipeline) Len() int { return len(p.stages) }

// ParsePipeline parses a JSON array of single-key stages: $match, $group,
// $sort, $limit, $project and $count. Any other stage is invalid_argument.
func ParsePipeline(raw []byte, lim Limits) (Pipeline, error) {
	if emptyInput(raw) {
		return Pipeline{}, nil
	}
	lim = lim.orDefaults()
	if err := checkRaw(raw, lim.MaxBytes, "pipeline"); err != nil {
		return Pipeline{}, err
	}
	v, err := decodeJSON(raw, rawDepth(lim)+2, "pipeline")
	if err != nil || v == nil {
		return Pipeline{}, err
	}
	arr, ok := v.([]any)
	if !ok {
		return Pipeline{}, invalid("pipeline must be a JSON array")
	}
	if len(arr) > lim.MaxStages {
		return Pipeline{}, invalid("pipeline has more than %d stages", lim.MaxStages)
	}
	var p Pipeline
	for i, el := range arr {
		st, err := parseStage(el, lim)
		if err != nil {
			return Pipeline{}, withStage(err, i)
		}
		p.stages = append(p.stages, st)
	}
	return p, nil
}

func withStage(err error, i int) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return invalid("stage %d: %s", i, e.Message)
	}
	return err
}

func parseStage(el any, lim Limits) (any, error) {
	obj, ok := el.(object)
	if !ok || len(obj) != 1 {
		return nil, invalid("a stage is an object with exactly one key")
	}
	m := obj[0]
	switch m.Key {
	case "$match":
		f, err := parseFilterValue(m.Value, lim)
		return matchStage{f}, err
	case "$sort":
		keys, err := parseSortValue(m.Value)
		if err == nil && len(keys) == 0 {
			err = invalid("$sort needs at least one key")
		}
		return sortStage{keys}, err
	case "$limit":
		return parseLimit(m.Value)
	case "$count":
		name, err := outputName(m.Value, "$count")
		return countStage{name}, err
	case "$project":
		return parseProject(m.Value)
	case "$group":
		return parseGroup(m.Value)
	}
	return nil, invalid("unsupported stage %.40q", m.Key)
}

func parseLimit(v any) (any, error) {
	n, ok := v.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil || i < 1 || i > MaxLimit {
		return nil, invalid("$limit takes an integer from 1 to %d", MaxLimit)
	}
	return limitStage{int(i)}, nil
}

// outputName validates the name of a field a stage creates.
func outputName(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok || strings.HasPrefix(s, "$") || !validSegment(s) {
		return "", invalid("%s takes a field name of letters, digits, '_' or '-'", what)
	}
	return s, nil
}

// fieldRef parses "$a.b", a reference to a field of the input document.
func fieldRef(v any, what string) (Path, error) {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(s, "$") {
		return nil, invalid("%s takes a field reference such as \"$a.b\"", what)
	}
	p, err := ParsePath(s[1:])
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parseProject(v any) (any, error) {
	obj, ok := v.(object)
	if !ok || len(obj) == 0 {
		return nil, invalid("$project takes a non-empty object")
	}
	if len(obj) > maxFields {
		return nil, invalid("$project has more than %d fields", maxFields)
	}
	var st projectStage
	for _, m := range obj {
		if err := st.add(m); err != nil {
			return nil, err
		}
	}
	if len(st.keep) > 0 && len(st.drop) > 0 {
		return nil, invalid("$project cannot mix inclusion and exclusion")
	}
	if len(st.keep) == 0 && st.dropID {
		st.drop, st.dropID = append(st.drop, Path{idField}), false
	}
	return st, st.checkPaths()
}

func (st *projectStage) add(m member) error {
	out, err := ParsePath(m.Key)
	if err != nil {
		return err
	}
	if err := noIndexSegments(out); err != nil {
		return err
	}
	if s, ok := m.Value.(string); ok {
		if len(out) != 1 {
			return invalid("$project renames to top-level fields only")
		}
		src, err := fieldRef(s, "$project")
		st.keep = append(st.keep, projField{out: out, src: src})
		return err
	}
	_, keep, err := projectionField(m)
	switch {
	case err != nil:
		return err
	case keep:
		st.keep = append(st.keep, projField{out: out, src: out})
	case out.String() == idField:
		st.dropID = true
	default:
		st.drop = append(st.drop, out)
	}
	return nil
}

func (st projectStage) checkPaths() error {
	paths := append([]Path(nil), st.drop...)
	for _, f := range st.keep {
		paths = append(paths, f.out)
	}
	return checkCollisions(paths)
}

// keepsID reports whether an inclusion names _id itself.
func (st projectStage) keepsID() bool {
	for _, f := range st.keep {
		if f.out.String() == idField {
			return true
		}
	}
	return false
}

func parseGroup(v any) (any, error) {
	obj, ok := v.(object)
	if !ok {
		return nil, invalid("$group takes an object")
	}
	idSpec, ok := lookup(obj, idField)
	if !ok {
		return nil, invalid("$group needs _id")
	}
	if len(obj) > maxFields {
		return nil, invalid("$group has more than %d fields", maxFields)
	}
	key, err := groupKey(idSpec)
	if err != nil {
		return nil, err
	}
	st := groupStage{key: key}
	for _, m := range obj {
		if m.Key == idField {
			continue
		}
		acc, err := parseAccumulator(m)
		if err != nil {
			return nil, err
		}
		st.accs = append(st.accs, acc)
	}
	return st, nil
}

// groupKey parses _id: null, "$path" or {"name": "$path", ...}.
func groupKey(v any) ([]groupField, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		p, err := fieldRef(t, "$group _id")
		return []groupField{{path: p}}, err
	case object:
		if len(t) == 0 || len(t) > maxFields {
			return nil, invalid("$group _id takes 1 to %d fields", maxFields)
		}
		out := make([]groupField, 0, len(t))
		for _, m := range t {
			name, err := outputName(m.Key, "$group _id")
			if err != nil {
				return nil, err
			}
			p, err := fieldRef(m.Value, "$group _id")
			if err != nil {
				return nil, err
			}
			out = append(out, groupField{name: name, path: p})
		}
		return out, nil
	}
	return nil, invalid("$group _id takes null, a field reference or an object of them")
}

func parseAccumulator(m member) (accumulator, error) {
	name, err := outputName(m.Key, "$group")
	if err != nil {
		return accumulator{}, err
	}
	obj, ok := m.Value.(object)
	if !ok || len(obj) != 1 {
		return accumulator{}, invalid("$group field %.64q takes one accumulator", name)
	}
	acc := accumulator{name: name, op: obj[0].Key}
	arg := obj[0].Value
	switch acc.op {
	case "$sum":
		if n, ok := arg.(json.Number); ok && n == "1" {
			acc.op = "$count"
			return acc, nil
		}
		acc.path, err = fieldRef(arg, "$sum")
	case "$avg", "$min", "$max", "$push":
		acc.path, err = fieldRef(arg, acc.op)
	case "$count":
		if o, ok := arg.(object); !ok || len(o) != 0 {
			err = invalid("$count takes {}")
		}
	default:
		err = invalid("unsupported accumulator %.40q", acc.op)
	}
	return acc, err
}

package query

import (
	"encoding/json"
	"strings"
)

// Projection selects fields of a result. The zero Projection keeps every
// field.
type Projection struct{ spec any }

// IsEmpty reports whether the projection keeps every field as it is.
func (p Projection) IsEmpty() bool { return p.spec == nil }

// projSpec is either a list of paths to keep or a list of paths to drop.
type projSpec struct {
	include bool
	paths   []Path
	dropID  bool // an inclusion that also says _id: 0
}

// ParseProjection parses an inclusion ({"a": 1, "b.c": 1}) or an exclusion
// ({"a": 0}); the two do not mix, except _id: 0 in an inclusion. _id is kept
// unless excluded. Paths address object fields, not array elements.
func ParseProjection(raw []byte, lim Limits) (Projection, error) {
	if emptyInput(raw) {
		return Projection{}, nil
	}
	lim = lim.orDefaults()
	if err := checkRaw(raw, lim.MaxBytes, "projection"); err != nil {
		return Projection{}, err
	}
	v, err := decodeJSON(raw, 2, "projection")
	if err != nil || v == nil {
		return Projection{}, err
	}
	obj, ok := v.(object)
	if !ok {
		return Projection{}, invalid("projection must be a JSON object")
	}
	if len(obj) > lim.MaxNodes {
		return Projection{}, invalid("projection has more than %d fields", lim.MaxNodes)
	}
	return parseProjection(obj)
}

func parseProjection(obj object) (Projection, error) {
	if len(obj) == 0 {
		return Projection{}, nil
	}
	var incl, excl []Path
	dropID := false
	for _, m := range obj {
		p, keep, err := projectionField(m)
		if err != nil {
			return Projection{}, err
		}
		switch {
		case p.String() == idField && !keep:
			dropID = true
		case keep:
			incl = append(incl, p)
		default:
			excl = append(excl, p)
		}
	}
	if len(incl) > 0 && len(excl) > 0 {
		return Projection{}, invalid("projection cannot mix inclusion and exclusion")
	}
	if len(incl) == 0 {
		if dropID {
			excl = append(excl, Path{idField})
		}
		return newProjection(&projSpec{paths: excl})
	}
	return newProjection(&projSpec{include: true, paths: incl, dropID: dropID})
}

func newProjection(s *projSpec) (Projection, error) {
	if err := checkCollisions(s.paths); err != nil {
		return Projection{}, err
	}
	if len(s.paths) == 0 {
		return Projection{}, nil
	}
	return Projection{spec: s}, nil
}

func projectionField(m member) (Path, bool, error) {
	p, err := ParsePath(m.Key)
	if err != nil {
		return nil, false, err
	}
	if err := noIndexSegments(p); err != nil {
		return nil, false, err
	}
	switch v := m.Value.(type) {
	case bool:
		return p, v, nil
	case json.Number:
		if v == "1" || v == "0" {
			return p, v == "1", nil
		}
	}
	return nil, false, invalid("projection of %.64q must be 1 or 0", m.Key)
}

func noIndexSegments(p Path) error {
	for i := range p {
		if p.IsIndex(i) {
			return invalid("projection path %.64q addresses an array element", p.String())
		}
	}
	return nil
}

// checkCollisions refuses a path that is a prefix of another.
func checkCollisions(paths []Path) error {
	for i, a := range paths {
		for j, b := range paths {
			if i != j && strings.HasPrefix(b.String()+".", a.String()+".") {
				return invalid("projection paths %.64q and %.64q collide", a.String(), b.String())
			}
		}
	}
	return nil
}

// Apply returns the projected document. It never changes doc; the result
// may share values with it.
func (p Projection) Apply(doc map[string]any) map[string]any {
	s, ok := p.spec.(*projSpec)
	if !ok || doc == nil {
		return doc
	}
	if s.include {
		return s.keep(doc)
	}
	out := copyMap(doc)
	for _, path := range s.paths {
		dropPath(out, path)
	}
	return out
}

func (s *projSpec) keep(doc map[string]any) map[string]any {
	out := map[string]any{}
	if v, ok := doc[idField]; ok && !s.dropID {
		out[idField] = v
	}
	for _, path := range s.paths {
		keepPath(out, doc, path)
	}
	return out
}

// keepPath copies the value at path; an object on the way is kept even when
// it lacks the rest of the path.
func keepPath(out, src map[string]any, path Path) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		out[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		return
	}
	dst, ok := out[path[0]].(map[string]any)
	if !ok {
		dst = map[string]any{}
		out[path[0]] = dst
	}
	keepPath(dst, sub, path[1:])
}

// dropPath removes the value at path from m, copying each object on the
// way so the input document stays as it was.
func dropPath(m map[string]any, path Path) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	sub, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	sub = copyMap(sub)
	m[path[0]] = sub
	dropPath(sub, path[1:])
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"rampart.dev/rampart/internal/errs"
)

// unmarshalKnown decodes into a struct, refusing unknown fields and wrong
// types with a message that names the field.
func unmarshalKnown(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		// Name JSON kinds, never the Go types behind them.
		return errs.E(errs.InvalidArgument, "field %q: expected %s, got %.40s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
	case bytes.HasPrefix([]byte(err.Error()), []byte("json: unknown field")):
		return errs.E(errs.InvalidArgument, "%s", err.Error()[len("json: "):])
	default:
		return errs.Wrap(err, errs.InvalidArgument, "malformed request")
	}
}

// jsonKind describes what a Go type accepts in JSON terms.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another kind of value"
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactKeys refuses object keys that match a field only when case is
// ignored, as encoding/json allows: {"Username":..} must not be taken for
// "username", nor may two spellings of one field both arrive and the last
// silently win.
func exactKeys(v any, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type mismatch; unmarshalKnown names it
		}
		fields := jsonFields(t)
		for k, child := range m {
			ft, ok := fields[k]
			if !ok {
				return errs.E(errs.InvalidArgument, "unknown field %.64q", k)
			}
			if err := exactKeys(child, ft); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, _ := v.([]any)
		for _, child := range list {
			if err := exactKeys(child, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps a struct's JSON field names to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct:
			for k, v := range jsonFields(f.Type) { // promoted fields
				out[k] = v
			}
			continue
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

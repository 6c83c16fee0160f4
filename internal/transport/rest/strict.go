package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

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
		return errs.E(errs.InvalidArgument, "field %q must be %s", typeErr.Field, typeErr.Type)
	case bytes.HasPrefix([]byte(err.Error()), []byte("json: unknown field")):
		return errs.E(errs.InvalidArgument, "%s", err.Error()[len("json: "):])
	default:
		return errs.Wrap(err, errs.InvalidArgument, "malformed request: %s", fmt.Sprint(trim(err.Error())))
	}
}

func trim(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

package docs

import (
	"encoding/json"
	"strings"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/store"
)

// body is a client document split into what the server treats specially.
type body struct {
	fields map[string]any // user fields plus _type and _encrypt
	acl    acl.List
	hasACL bool
	id     string
}

// maxTypeLen bounds _type, which is a short tag.
const maxTypeLen = 64

// parseBody decodes and checks a document sent by a client.
func (s *Service) parseBody(raw []byte) (body, error) {
	m, err := jsonx.DecodeObject(raw, s.jsonLimits())
	if err != nil {
		return body{}, err
	}
	return splitBody(m)
}

// splitBody checks reserved fields and separates _id and _acl.
func splitBody(m map[string]any) (body, error) {
	b := body{fields: m}
	for k, v := range m {
		if !strings.HasPrefix(k, "_") {
			continue
		}
		if !store.Settable[k] {
			return body{}, errs.E(errs.InvalidArgument, "field %.64q is reserved and set by the server", k)
		}
		var err error
		switch k {
		case store.FieldID:
			b.id, err = parseID(v)
		case store.FieldACL:
			b.acl, err = parseACL(v)
			b.hasACL = true
		case store.FieldType:
			err = checkType(v)
		case store.FieldEncrypt:
			err = checkEncrypt(v)
		}
		if err != nil {
			return body{}, err
		}
	}
	delete(m, store.FieldID)
	delete(m, store.FieldACL)
	return b, checkKeys(m)
}

func parseID(v any) (string, error) {
	id, ok := v.(string)
	if !ok {
		return "", errs.E(errs.InvalidArgument, "_id must be a string")
	}
	return id, store.ValidID(id)
}

func parseACL(v any) (acl.List, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, errs.E(errs.InvalidArgument, "_acl is not valid")
	}
	return acl.ParseList(raw)
}

func checkType(v any) error {
	t, ok := v.(string)
	if !ok || len(t) == 0 || len(t) > maxTypeLen {
		return errs.E(errs.InvalidArgument, "_type must be a string of 1-%d bytes", maxTypeLen)
	}
	return nil
}

func checkEncrypt(v any) error {
	list, ok := v.([]any)
	if !ok {
		return errs.E(errs.InvalidArgument, "_encrypt must be a list of field names")
	}
	for _, f := range list {
		if name, ok := f.(string); !ok || name == "" || strings.HasPrefix(name, "_") {
			return errs.E(errs.InvalidArgument, "_encrypt must list non-reserved field names")
		}
	}
	return nil
}

// checkKeys refuses keys that queries could mistake for operators, and NUL
// in keys and string values: PostgreSQL cannot store it, so an engine would
// decide whether a document is valid.
func checkKeys(v any) error {
	switch t := v.(type) {
	case string:
		if strings.ContainsRune(t, 0) {
			return errs.E(errs.InvalidArgument, "string values may not contain NUL")
		}
	case map[string]any:
		for k, child := range t {
			if strings.HasPrefix(k, "$") {
				return errs.E(errs.InvalidArgument, "field names may not start with '$': %.64q", k)
			}
			if strings.ContainsRune(k, 0) {
				return errs.E(errs.InvalidArgument, "field names may not contain NUL")
			}
			if err := checkKeys(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range t {
			if err := checkKeys(child); err != nil {
				return err
			}
		}
	}
	return nil
}

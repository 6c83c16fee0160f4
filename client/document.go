package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// Rights are ACL bits.
type Rights uint32

// The rights an ACL entry grants or denies.
const (
	RightCreate Rights = 1
	RightRead   Rights = 2
	RightUpdate Rights = 4
	RightDelete Rights = 8
	RightInvoke Rights = 16
	RightManage Rights = 32
)

// ACLEntry grants (or, with Deny, refuses) rights to a user or role id.
type ACLEntry struct {
	ID     string `json:"id"`
	Rights Rights `json:"rights"`
	Deny   bool   `json:"deny,omitempty"`
}

// Document is one JSON document as the server returned it. The reserved
// fields are decoded into the named fields; Raw holds the whole document.
type Document struct {
	ID         string
	Version    int64
	Type       string
	ACL        []ACLEntry
	Created    time.Time
	CreatedBy  string
	Modified   time.Time
	ModifiedBy string
	Raw        json.RawMessage
}

// serverOwned are the reserved fields only the server writes.
var serverOwned = []string{"_version", "_created", "_createdby", "_modified", "_modifiedby"}

// Decode unmarshals the whole document into v.
func (d Document) Decode(v any) error { return json.Unmarshal(d.Raw, v) }

// Map returns the document's fields, reserved ones included; numbers are
// json.Number so none loses precision.
func (d Document) Map() (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(d.Raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	return m, nil
}

// Body is the document without the fields the server stamps (_version,
// _created, ...): what Replace or Insert accept back. Passing a Document to
// them sends its Body.
func (d Document) Body() (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(d.Raw, &m); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	for _, k := range serverOwned {
		delete(m, k)
	}
	return json.Marshal(m)
}

// MarshalJSON writes the document as the server sent it.
func (d Document) MarshalJSON() ([]byte, error) {
	if len(d.Raw) == 0 {
		return []byte("null"), nil
	}
	return d.Raw, nil
}

// UnmarshalJSON reads a document and its reserved fields.
func (d *Document) UnmarshalJSON(b []byte) error {
	var r struct {
		ID         any        `json:"_id"`
		Version    int64      `json:"_version"`
		Type       string     `json:"_type"`
		ACL        []ACLEntry `json:"_acl"`
		Created    string     `json:"_created"`
		CreatedBy  string     `json:"_createdby"`
		Modified   string     `json:"_modified"`
		ModifiedBy string     `json:"_modifiedby"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("decode document: %w", err)
	}
	// Aggregate groups put any value in _id; only a string is an id.
	id, _ := r.ID.(string)
	*d = Document{
		ID: id, Version: r.Version, Type: r.Type, ACL: r.ACL,
		Created: parseTime(r.Created), CreatedBy: r.CreatedBy,
		Modified: parseTime(r.Modified), ModifiedBy: r.ModifiedBy,
		Raw: append(json.RawMessage(nil), b...),
	}
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseDocument(m *rampartv1.Document) (Document, error) {
	var d Document
	if m == nil {
		return d, &Error{Code: Internal, Message: "the server answered without a document"}
	}
	if err := d.UnmarshalJSON([]byte(m.GetJson())); err != nil {
		return Document{}, &Error{Code: Internal, Message: "the server answered with a malformed document", cause: err}
	}
	return d, nil
}

func parseDocuments(ms []*rampartv1.Document) ([]Document, error) {
	out := make([]Document, 0, len(ms))
	for _, m := range ms {
		d, err := parseDocument(m)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// jsonText renders a document, filter, sort or pipeline for the wire:
// string, []byte and json.RawMessage are taken as JSON text, a Document as
// its Body, anything else is marshalled. nil gives "".
func jsonText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case json.RawMessage:
		return string(x), nil
	case Document:
		b, err := x.Body()
		if err != nil {
			return "", localError("%v", err)
		}
		return string(b), nil
	case *Document:
		if x == nil {
			return "", nil
		}
		return jsonText(*x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", localError("encode json: %v", err)
	}
	return string(b), nil
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/query"
)

// Reserved document fields. The store owns the ones it stamps; clients may
// set only Settable.
const (
	FieldID         = "_id"
	FieldType       = "_type"
	FieldACL        = "_acl"
	FieldCreated    = "_created"
	FieldCreatedBy  = "_createdby"
	FieldModified   = "_modified"
	FieldModifiedBy = "_modifiedby"
	FieldVersion    = "_version"
	FieldEncrypt    = "_encrypt"
)

// Settable are the reserved fields a client may write ( _id only on insert).
var Settable = map[string]bool{FieldID: true, FieldType: true, FieldACL: true, FieldEncrypt: true}

// TimeLayout renders times fixed-width so they sort as text.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// Doc is one version of a document.
type Doc struct {
	Collection string
	ID         string
	Version    int64
	ACL        acl.List
	Created    time.Time
	CreatedBy  string
	Modified   time.Time
	ModifiedBy string
	// Fields holds every other field, including _type and _encrypt.
	// Numbers are json.Number. It is nil on a document read by
	// Reader.GetMeta, whose Map, MarshalJSON and JSON still hold every
	// field.
	Fields map[string]any

	raw     []byte // the stored encoding, when known; see JSON
	partial bool   // Fields was not decoded from raw
}

// WithRaw returns d remembering b as its stored encoding.
func (d Doc) WithRaw(b []byte) Doc {
	d.raw = b
	return d
}

// JSON is the document as clients see it: the stored bytes when d came from
// the store (or was just written by it) and has not been changed since,
// which saves re-encoding on every read. Anything that changes a document's
// fields must go through the store, or use MarshalJSON.
func (d Doc) JSON() (json.RawMessage, error) {
	if d.raw != nil {
		return d.raw, nil
	}
	return d.MarshalJSON()
}

// Map renders the document as clients see it: Fields plus every reserved
// field, with JSON-shaped values.
func (d Doc) Map() map[string]any {
	if d.partial {
		// The stored body decoded once already; a failure here cannot
		// happen short of memory corruption, and leaves only the reserved
		// fields.
		if full, err := DecodeDoc(d.Collection, d.raw); err == nil {
			d = full
		}
	}
	m := make(map[string]any, len(d.Fields)+7)
	for k, v := range d.Fields {
		m[k] = v
	}
	entries := d.ACL.Normalize()
	acls := make([]any, len(entries))
	for i, e := range entries {
		acls[i] = map[string]any{"id": e.ID, "rights": json.Number(strconv.Itoa(int(e.Rights))), "deny": e.Deny}
	}
	m[FieldID] = d.ID
	m[FieldVersion] = json.Number(strconv.FormatInt(d.Version, 10))
	m[FieldACL] = acls
	m[FieldCreated] = d.Created.UTC().Format(TimeLayout)
	m[FieldCreatedBy] = d.CreatedBy
	m[FieldModified] = d.Modified.UTC().Format(TimeLayout)
	m[FieldModifiedBy] = d.ModifiedBy
	return m
}

// MarshalJSON renders the document as clients see it.
func (d Doc) MarshalJSON() ([]byte, error) {
	if d.partial {
		return bytes.Clone(d.raw), nil
	}
	return json.Marshal(d.Map())
}

// storedMeta is the reserved fields of a stored body. encoding/json matches
// names without regard to case, which is safe here: the only top-level
// names starting with "_" a client may store are Settable, none of which
// folds to another reserved name, and _acl entries are the store's own
// encoding.
type storedMeta struct {
	ID         string          `json:"_id"`
	Version    json.RawMessage `json:"_version"`
	ACL        []storedACE     `json:"_acl"`
	Created    string          `json:"_created"`
	CreatedBy  string          `json:"_createdby"`
	Modified   string          `json:"_modified"`
	ModifiedBy string          `json:"_modifiedby"`
}

type storedACE struct {
	ID     string          `json:"id"`
	Rights json.RawMessage `json:"rights"`
	Deny   bool            `json:"deny"`
}

// isNumber reports whether raw is a JSON number, as DecodeDoc's
// json.Number is: a quoted number is a string there.
func isNumber(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// DecodeMeta parses only the reserved fields of a stored body: the Doc
// has no Fields, and its JSON is body as stored. A point read answered as
// stored skips building a map of every field, most of its decoding cost.
func DecodeMeta(coll string, body []byte) (Doc, error) {
	var m storedMeta
	if err := json.Unmarshal(body, &m); err != nil {
		return Doc{}, fmt.Errorf("decode stored document: %w", err)
	}
	d := Doc{Collection: coll, ID: m.ID, CreatedBy: m.CreatedBy, ModifiedBy: m.ModifiedBy, raw: body, partial: true}
	var err error
	if isNumber(m.Version) {
		if d.Version, err = strconv.ParseInt(string(m.Version), 10, 64); err != nil {
			return Doc{}, fmt.Errorf("decode stored document version: %w", err)
		}
	}
	if d.Created, err = parseTime(m.Created); err != nil {
		return Doc{}, err
	}
	if d.Modified, err = parseTime(m.Modified); err != nil {
		return Doc{}, err
	}
	d.ACL = make(acl.List, 0, len(m.ACL))
	for _, e := range m.ACL {
		r, err := strconv.ParseUint(string(e.Rights), 10, 32)
		if err != nil || !isNumber(e.Rights) {
			return Doc{}, fmt.Errorf("decode stored acl entry %v", e)
		}
		d.ACL = append(d.ACL, acl.Entry{ID: e.ID, Rights: acl.Right(r), Deny: e.Deny})
	}
	return d, nil
}

// DecodeDoc parses a stored body back into a Doc.
func DecodeDoc(coll string, body []byte) (Doc, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return Doc{}, fmt.Errorf("decode stored document: %w", err)
	}
	d := Doc{Collection: coll, Fields: m, raw: body}
	var err error
	d.ID, _ = m[FieldID].(string)
	d.CreatedBy, _ = m[FieldCreatedBy].(string)
	d.ModifiedBy, _ = m[FieldModifiedBy].(string)
	if n, ok := m[FieldVersion].(json.Number); ok {
		d.Version, err = n.Int64()
		if err != nil {
			return Doc{}, fmt.Errorf("decode stored document version: %w", err)
		}
	}
	if d.Created, err = parseTime(m[FieldCreated]); err != nil {
		return Doc{}, err
	}
	if d.Modified, err = parseTime(m[FieldModified]); err != nil {
		return Doc{}, err
	}
	if d.ACL, err = decodeACL(m[FieldACL]); err != nil {
		return Doc{}, err
	}
	for _, f := range []string{FieldID, FieldVersion, FieldACL, FieldCreated, FieldCreatedBy, FieldModified, FieldModifiedBy} {
		delete(m, f)
	}
	return d, nil
}

// decodeACL reads a stored _acl, which the store itself wrote.
func decodeACL(v any) (acl.List, error) {
	items, _ := v.([]any)
	l := make(acl.List, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		n, _ := m["rights"].(json.Number)
		r, err := strconv.ParseUint(string(n), 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("decode stored acl entry %v", it)
		}
		id, _ := m["id"].(string)
		deny, _ := m["deny"].(bool)
		l = append(l, acl.Entry{ID: id, Rights: acl.Right(r), Deny: deny})
	}
	return l, nil
}

func parseTime(v any) (time.Time, error) {
	s, _ := v.(string)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode stored time: %w", err)
	}
	return t.UTC(), nil
}

// Collection holds a collection's settings.
type Collection struct {
	Name string `json:"name"`
	// History keeps every earlier version of every document.
	History bool `json:"history"`
	// Replicate sends the collection's changes over mesh links.
	Replicate bool `json:"replicate"`
	// Priority is the mesh priority class, 0 (first) to 9 (last).
	Priority int `json:"priority"`
	// CreateACL says who may insert documents.
	CreateACL acl.List `json:"create_acl"`
	// EncryptedFields are encrypted at rest on every document.
	EncryptedFields []string `json:"encrypted_fields,omitempty"`
	// SearchableFields are the encrypted fields that get a blind index.
	SearchableFields []string `json:"searchable_fields,omitempty"`
	// System collections are written only by Rampart's own services.
	System  bool      `json:"system,omitempty"`
	Created time.Time `json:"created"`
}

// DefaultCollection is the settings a collection gets on first insert:
// history on, replicated, middle priority, every signed-in user may insert.
func DefaultCollection(name string) Collection {
	return Collection{
		Name:      name,
		History:   true,
		Replicate: true,
		Priority:  5,
		CreateACL: acl.List{{ID: acl.RoleUsers, Rights: acl.Create}},
	}
}

// Validate checks the settings a caller may set.
func (c Collection) Validate() error {
	if err := ValidCollection(c.Name); err != nil {
		return err
	}
	if c.Priority < 0 || c.Priority > 9 {
		return errs.E(errs.InvalidArgument, "priority must be 0 to 9")
	}
	if err := fieldList("encrypted_fields", c.EncryptedFields); err != nil {
		return err
	}
	if err := fieldList("searchable_fields", c.SearchableFields); err != nil {
		return err
	}
	for _, f := range c.SearchableFields {
		if !slices.Contains(c.EncryptedFields, f) {
			return errs.E(errs.InvalidArgument, "searchable field %q must also be encrypted", f)
		}
	}
	return c.CreateACL.Validate()
}

// maxFieldList bounds the encrypted and searchable field lists.
const maxFieldList = 64

func fieldList(name string, fields []string) error {
	if len(fields) > maxFieldList {
		return errs.E(errs.InvalidArgument, "%s holds at most %d fields", name, maxFieldList)
	}
	for _, f := range fields {
		if _, err := query.ParsePath(f); err != nil || strings.HasPrefix(f, "_") {
			return errs.E(errs.InvalidArgument, "%s: %.64q is not a non-reserved field path", name, f)
		}
	}
	return nil
}

// Index is an expression index over one or more JSON paths of a collection.
type Index struct {
	Collection string       `json:"-"`
	Name       string       `json:"name"`
	Fields     []query.Path `json:"fields"`
	Unique     bool         `json:"unique,omitempty"`
}

// MaxIndexFields bounds a compound index.
const MaxIndexFields = 8

// Validate checks the index name and fields.
func (ix Index) Validate() error {
	if err := ValidIndexName(ix.Name); err != nil {
		return err
	}
	if len(ix.Fields) == 0 || len(ix.Fields) > MaxIndexFields {
		return errs.E(errs.InvalidArgument, "an index has 1 to %d fields", MaxIndexFields)
	}
	return nil
}

// ValidIndexName checks an index name: a letter, then up to 47 letters,
// digits, '_' or '-'.
func ValidIndexName(name string) error {
	if !validName(name, 48) {
		return errs.E(errs.InvalidArgument, "index name must be 1-48 letters, digits, '_' or '-', starting with a letter")
	}
	return nil
}

// ValidCollection checks a collection name: a letter, then up to 62 letters,
// digits, '_' or '-'.
func ValidCollection(name string) error {
	if !validName(name, 63) {
		return errs.E(errs.InvalidArgument, "collection name must be 1-63 letters, digits, '_' or '-', starting with a letter")
	}
	return nil
}

// ValidID checks a document id; ids share the grammar of principal ids.
func ValidID(id string) error {
	if !acl.ValidPrincipalID(id) {
		return errs.E(errs.InvalidArgument, "_id must be 1-128 letters, digits, '-', '_', '.' or ':'")
	}
	return nil
}

func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

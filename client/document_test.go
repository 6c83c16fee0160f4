package client

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const stored = `{"_id":"n1","_type":"note","_acl":[{"id":"u1","rights":63},{"id":"users","rights":2,"deny":true}],` +
	`"_created":"2026-11-22T10:00:00.000000001Z","_createdby":"u1","_modified":"2026-11-22T11:00:00.000000000Z",` +
	`"_modifiedby":"u2","_version":3,"title":"hello","n":12345678901234567890}`

func TestDocumentReservedFields(t *testing.T) {
	var d Document
	if err := json.Unmarshal([]byte(stored), &d); err != nil {
		t.Fatal(err)
	}
	want := Document{ID: "n1", Version: 3, Type: "note", CreatedBy: "u1", ModifiedBy: "u2",
		Created: time.Date(2026, 11, 22, 10, 0, 0, 1, time.UTC), Modified: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)}
	if d.ID != want.ID || d.Version != want.Version || d.Type != want.Type || d.CreatedBy != want.CreatedBy ||
		d.ModifiedBy != want.ModifiedBy || !d.Created.Equal(want.Created) || !d.Modified.Equal(want.Modified) {
		t.Fatalf("got %+v", d)
	}
	if len(d.ACL) != 2 || d.ACL[0] != (ACLEntry{ID: "u1", Rights: 63}) || !d.ACL[1].Deny || d.ACL[1].Rights != RightRead {
		t.Fatalf("acl %+v", d.ACL)
	}
	m, err := d.Map()
	if err != nil || m["n"].(json.Number).String() != "12345678901234567890" || m["_id"] != "n1" {
		t.Fatalf("map %v %v", m, err)
	}
	out, _ := json.Marshal(d)
	if string(out) != stored {
		t.Fatalf("re-encoded as %s", out)
	}
}

func TestDocumentBodyDropsServerFields(t *testing.T) {
	var d Document
	if err := json.Unmarshal([]byte(stored), &d); err != nil {
		t.Fatal(err)
	}
	text, err := jsonText(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal([]byte(text), &m)
	for _, k := range serverOwned {
		if _, ok := m[k]; ok {
			t.Errorf("body keeps %s", k)
		}
	}
	for _, k := range []string{"_id", "_type", "_acl", "title", "n"} {
		if _, ok := m[k]; !ok {
			t.Errorf("body lost %s", k)
		}
	}
	if !strings.Contains(text, "12345678901234567890") {
		t.Errorf("body changed a number: %s", text)
	}
}

func TestDocumentHostile(t *testing.T) {
	var d Document
	for _, raw := range []string{`[1]`, `"x"`, `{"_version":"three"}`, `{"_acl":"all"}`, `{`} {
		if err := json.Unmarshal([]byte(raw), &d); err == nil {
			t.Errorf("%s decoded as a document", raw)
		}
	}
	// Aggregate rows may group on a non-string _id.
	if err := json.Unmarshal([]byte(`{"_id":{"k":1},"n":2}`), &d); err != nil || d.ID != "" {
		t.Errorf("group row: %+v %v", d, err)
	}
	if _, err := jsonText(Document{Raw: json.RawMessage(`not json`)}); !IsCode(err, InvalidArgument) {
		t.Errorf("Body of a broken document: %v", err)
	}
	if _, err := jsonText(map[string]any{"f": func() {}}); !IsCode(err, InvalidArgument) {
		t.Errorf("unencodable value: %v", err)
	}
}

func TestJSONText(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, ""},
		{(*Document)(nil), ""},
		{`{"a":1}`, `{"a":1}`},
		{[]byte(`{"a":1}`), `{"a":1}`},
		{json.RawMessage(`[1]`), `[1]`},
		{map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{struct {
			X string `json:"x"`
		}{"y"}, `{"x":"y"}`},
	} {
		if got, err := jsonText(tc.in); err != nil || got != tc.want {
			t.Errorf("jsonText(%#v) = %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeMeta: whatever the body, a DecodeMeta that succeeds reads the
// reserved fields DecodeDoc reads and renders the same document. It may
// refuse more (types the store never writes); it may differ only on
// names that equal a reserved one but for case, which the store never
// writes (see storedMeta).
func FuzzDecodeMeta(f *testing.F) {
	for _, body := range []string{
		`{"_id":"a","_version":3,"_acl":[{"id":"u1","rights":2,"deny":false},{"id":"r1","rights":63,"deny":true}],` +
			`"_created":"2026-01-02T03:04:05.000000006Z","_createdby":"u1","_modified":"2026-01-02T03:04:05.000000007Z",` +
			`"_modifiedby":"u2","_type":"note","title":"x","n":1.5,"nested":{"_id":"inner","a":[1,2]}}`,
		`{"_id":"b","_version":1,"_acl":[]}`,
		`{}`,
		`{"_id":null,"_acl":null,"_version":null}`,
		`{"_version":"5"}`,
		`{"_version":1e3}`,
		`{"_acl":[{"id":"u","rights":-1}]}`,
		`{"_acl":[{"id":"u","rights":"2"}]}`,
		`{"_acl":[{"id":"u"}]}`,
		`{"_created":"yesterday"}`,
		`{"_id":"a","_ID":"b"}`,
		`{"_id":"a"} trailing`,
		`[1,2]`,
		`{"_id":"\u00e9\ud83d\ude00"}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		meta, err := DecodeMeta("c", body)
		if err != nil || foldsToReserved(body) {
			return
		}
		full, err := DecodeDoc("c", body)
		if err != nil {
			t.Fatalf("DecodeMeta read %q, which DecodeDoc refuses: %v", body, err)
		}
		if got, want := reservedOf(meta), reservedOf(full); got != want {
			t.Fatalf("body %q:\nDecodeMeta %s\nDecodeDoc  %s", body, got, want)
		}
		if !reflect.DeepEqual(meta.Map(), full.Map()) {
			t.Fatalf("body %q: Map %v, want %v", body, meta.Map(), full.Map())
		}
	})
}

// foldsToReserved reports whether body has a name, at the top or in an
// _acl entry, that matches one the store writes only when case is
// ignored: the store never writes such a body.
func foldsToReserved(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	var entries []map[string]json.RawMessage
	_ = json.Unmarshal(m[FieldACL], &entries)
	if folds(m, FieldID, FieldVersion, FieldACL, FieldCreated, FieldCreatedBy, FieldModified, FieldModifiedBy) {
		return true
	}
	for _, e := range entries {
		if folds(e, "id", "rights", "deny") {
			return true
		}
	}
	return false
}

func folds(m map[string]json.RawMessage, names ...string) bool {
	for k := range m {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}

func reservedOf(d Doc) string {
	return fmt.Sprintf("%s|%s|%d|%v|%s|%s|%s|%s", d.Collection, d.ID, d.Version, d.ACL, d.Created, d.CreatedBy, d.Modified, d.ModifiedBy)
}

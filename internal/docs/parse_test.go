package docs

import (
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

func TestParseBody(t *testing.T) {
	s := New(nil, Options{MaxDocument: 1024, MaxDepth: 4})
	for _, tc := range []struct {
		name string
		in   string
		code errs.Code
	}{
		{"plain", `{"a":1,"b":{"c":[1,2]}}`, ""},
		{"settable reserved", `{"_id":"x1","_type":"note","_acl":[{"id":"u","rights":2}],"_encrypt":["ssn"]}`, ""},
		{"forged version", `{"_version":9}`, errs.InvalidArgument},
		{"forged created", `{"_created":"2020-01-01T00:00:00Z"}`, errs.InvalidArgument},
		{"forged createdby", `{"_createdby":"root"}`, errs.InvalidArgument},
		{"forged modifiedby", `{"_modifiedby":"root"}`, errs.InvalidArgument},
		{"unknown reserved", `{"_foo":1}`, errs.InvalidArgument},
		{"id not a string", `{"_id":5}`, errs.InvalidArgument},
		{"id with a quote", `{"_id":"a'b"}`, errs.InvalidArgument},
		{"type not a string", `{"_type":[]}`, errs.InvalidArgument},
		{"type too long", `{"_type":"` + strings.Repeat("t", 65) + `"}`, errs.InvalidArgument},
		{"encrypt reserved", `{"_encrypt":["_acl"]}`, errs.InvalidArgument},
		{"encrypt not a list", `{"_encrypt":"ssn"}`, errs.InvalidArgument},
		{"acl bad rights", `{"_acl":[{"id":"u","rights":128}]}`, errs.InvalidArgument},
		{"acl not a list", `{"_acl":{"id":"u"}}`, errs.InvalidArgument},
		{"dollar key", `{"a":{"$where":"1"}}`, errs.InvalidArgument},
		{"dollar key in array", `{"a":[{"$gt":1}]}`, errs.InvalidArgument},
		{"too deep", `{"a":{"b":{"c":{"d":{"e":1}}}}}`, errs.InvalidArgument},
		{"too large", `{"a":"` + strings.Repeat("x", 2000) + `"}`, errs.TooLarge},
		{"not an object", `[1]`, errs.InvalidArgument},
		{"duplicate acl", `{"_acl":[],"_acl":[{"id":"u","rights":63}]}`, errs.InvalidArgument},
		{"invalid utf-8", "{\"a\":\"\xff\"}", errs.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.parseBody([]byte(tc.in))
			if got := errs.CodeOf(err); got != tc.code {
				t.Fatalf("parseBody(%s) = %v, want code %q", tc.in, err, tc.code)
			}
		})
	}
}

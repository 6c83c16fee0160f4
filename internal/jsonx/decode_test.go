package jsonx

import (
	"encoding/json"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/errs"
)

func TestDecode(t *testing.T) {
	lim := Limits{MaxBytes: 1 << 10, MaxDepth: 4}
	for _, tc := range []struct {
		name string
		in   string
		code errs.Code
	}{
		{"object", `{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}`, ""},
		{"scalar", `42`, ""},
		{"max depth", `[[[["x"]]]]`, ""},
		{"too deep", `[[[[["x"]]]]]`, errs.InvalidArgument},
		{"too deep objects", `{"a":{"b":{"c":{"d":{"e":1}}}}}`, errs.InvalidArgument},
		{"duplicate key", `{"a":1,"a":2}`, errs.InvalidArgument},
		{"nested duplicate key", `{"x":{"_acl":[],"_acl":[1]}}`, errs.InvalidArgument},
		{"invalid utf-8", "{\"a\":\"\xff\xfe\"}", errs.InvalidArgument},
		{"invalid utf-8 key", "{\"\xc3\x28\":1}", errs.InvalidArgument},
		{"trailing data", `{"a":1} {"b":2}`, errs.InvalidArgument},
		{"trailing garbage", `{"a":1}x`, errs.InvalidArgument},
		{"truncated", `{"a":[1,2`, errs.InvalidArgument},
		{"empty", ``, errs.InvalidArgument},
		{"bare word", `nope`, errs.InvalidArgument},
		{"single quotes", `{'a':1}`, errs.InvalidArgument},
		{"too large", `"` + strings.Repeat("x", 2000) + `"`, errs.TooLarge},
		{"comment", `{"a":1 /* no */}`, errs.InvalidArgument},
		{"infinite number", `{"a":1e999}`, errs.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in), lim)
			if got := errs.CodeOf(err); got != tc.code {
				t.Fatalf("Decode(%q) error %v, want code %q", tc.in, err, tc.code)
			}
		})
	}
}

func TestDecodeKeepsNumbers(t *testing.T) {
	v, err := DecodeObject([]byte(`{"big":12345678901234567890,"f":0.1}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v["big"] != json.Number("12345678901234567890") || v["f"] != json.Number("0.1") {
		t.Fatalf("numbers = %#v", v)
	}
	if _, err := DecodeObject([]byte(`[1]`), Limits{}); errs.CodeOf(err) != errs.InvalidArgument {
		t.Fatalf("array as object: %v", err)
	}
}

func TestDecodeDeepNestingDefault(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := Decode([]byte(deep), Limits{}); errs.CodeOf(err) != errs.InvalidArgument {
		t.Fatalf("100 levels with the default limit: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":null}]}`, `[[[[[[`, "\"\xff\"", `{"a":1,"a":1}`, `1e999`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(raw, Limits{MaxBytes: 4096, MaxDepth: 8})
		if err != nil {
			if errs.CodeOf(err) == errs.Internal {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("decoded value does not re-encode: %v", err)
		}
	})
}

package identity

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind codeKind
		norm string
	}{
		{"123456", codeTOTP, "123456"},
		{" 123 456 ", codeTOTP, "123456"},
		{"123-456", codeTOTP, "123456"},
		{"000000", codeTOTP, "000000"},
		{"abcde-fghjk", codeRecovery, "abcdefghjk"},
		{"ABCDE FGHJK", codeRecovery, "abcdefghjk"},
		{"0123456789", codeRecovery, "0123456789"},
		{"", codeInvalid, ""},
		{"12345", codeInvalid, ""},
		{"1234567", codeInvalid, ""},
		{"12345a", codeInvalid, ""},
		{"abcdef", codeInvalid, ""},      // six letters are neither kind
		{"abcde-fghij", codeInvalid, ""}, // i is not in the alphabet
		{"abcde-fghjkm", codeInvalid, ""},
		{"１２３４５６", codeInvalid, ""},
		{"12\x003456", codeInvalid, ""},
		{"123456\n", codeInvalid, ""},
		{"\xff23456", codeInvalid, ""},
		{strings.Repeat("-", 60) + "123456", codeInvalid, ""}, // over maxCodeInput
		{strings.Repeat("1", 100), codeInvalid, ""},
	} {
		kind, norm := parseCode(tc.in)
		if kind != tc.kind || norm != tc.norm {
			t.Errorf("parseCode(%q) = %d %q, want %d %q", tc.in, kind, norm, tc.kind, tc.norm)
		}
	}
}

func TestRecoveryCodesParse(t *testing.T) {
	shown, hashes := newRecoveryCodes("u1")
	if len(shown) != RecoveryCodes || len(hashes) != RecoveryCodes {
		t.Fatalf("%d codes, %d hashes", len(shown), len(hashes))
	}
	for i, c := range shown {
		kind, norm := parseCode(c)
		if kind != codeRecovery || string(hashRecovery("u1", norm)) != string(hashes[i]) {
			t.Fatalf("code %q does not parse back to its hash", c)
		}
		if string(hashRecovery("u2", norm)) == string(hashes[i]) {
			t.Fatal("the hash does not depend on the user")
		}
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", "abcde-fghjk", "", "\xff", "１２３４５６", "12 34 56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		kind, norm := parseCode(in)
		switch kind {
		case codeInvalid:
			if norm != "" {
				t.Fatalf("invalid code %q normalised to %q", in, norm)
			}
		case codeTOTP, codeRecovery:
			if len(in) > maxCodeInput || !utf8.ValidString(norm) || strings.ContainsAny(norm, " -") {
				t.Fatalf("%q accepted as %q", in, norm)
			}
			if k2, n2 := parseCode(norm); k2 != kind || n2 != norm {
				t.Fatalf("normalising %q is not stable", in)
			}
		}
	})
}

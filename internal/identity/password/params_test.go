package password

import (
	"errors"
	"strings"
	"testing"
)

// The parser needs well-formed fields, not a real hash, so these use
// fixed salt and key bytes.
const (
	salt16 = "c2FsdHNhbHRzYWx0c2FsdA"                      // 16 bytes
	key32  = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U" // 32 bytes
	good   = "$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32
)

func TestDecodeAcceptsCanonical(t *testing.T) {
	s, err := decode(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.params != DefaultParams() {
		t.Fatalf("params = %+v, want %+v", s.params, DefaultParams())
	}
	if got := encode(s.params, s.salt, s.key); got != good {
		t.Fatalf("re-encoded %q", got)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	swap := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	cases := map[string]string{
		"empty":               "",
		"argon2i":             swap("argon2id", "argon2i"),
		"argon2d":             swap("argon2id", "argon2d"),
		"bcrypt":              "$2b$10$abcdefghijklmnopqrstuu5ZlFq6mjbWkWtyMT5HM6mT5tXzMfgyG",
		"version 16":          swap("v=19", "v=16"),
		"version missing":     swap("$v=19", ""),
		"version padded":      swap("v=19", "v=019"),
		"memory over 1 GiB":   swap("m=19456", "m=1048577"),
		"memory over 32 bits": swap("m=19456", "m=99999999999"),
		"memory below 8p":     swap("m=19456,t=2,p=1", "m=15,t=2,p=2"),
		"time over 100":       swap("t=2", "t=101"),
		"time zero":           swap("t=2", "t=0"),
		"work over budget":    swap("m=19456,t=2", "m=1048576,t=5"),
		"threads 17":          swap("p=1", "p=17"),
		"threads 300":         swap("p=1", "p=300"),
		"threads zero":        swap("p=1", "p=0"),
		"negative":            swap("t=2", "t=-2"),
		"plus sign":           swap("t=2", "t=+2"),
		"leading zero":        swap("t=2", "t=02"),
		"space":               swap("t=2", "t= 2"),
		"params reordered":    swap("m=19456,t=2,p=1", "t=2,m=19456,p=1"),
		"params missing":      swap("m=19456,t=2,p=1", "m=19456,t=2"),
		"extra param":         swap("p=1", "p=1,keyid=x"),
		"empty param value":   swap("t=2", "t="),
		"salt missing":        swap(salt16+"$", ""),
		"hash missing":        strings.TrimSuffix(good, "$"+key32),
		"trailing field":      good + "$",
		"no leading dollar":   strings.TrimPrefix(good, "$"),
		"salt padded":         swap(salt16, salt16+"=="),
		"salt bad chars":      swap(salt16, "c2FsdH!hbHRzYWx0c2FsdA"),
		"salt url alphabet":   swap(salt16, "c2FsdH-hbHRzYWx0c2FsdA"),
		"salt trailing bits":  swap(salt16, "c2FsdHNhbHRzYWx0c2FsdB"),
		"salt with newline":   swap(salt16, salt16[:4]+"\r\n"+salt16[4:]),
		"salt too short":      swap(salt16, "c2FsdA"),
		"salt too long":       swap(salt16, strings.Repeat("QUFB", 22)),
		"hash too short":      swap(key32, "a2V5a2V5"),
		"hash too long":       swap(key32, strings.Repeat("QUFB", 22)),
		"too long":            good + strings.Repeat("A", 300),
		"invalid utf-8":       swap("argon2id", "argon2id\xff"),
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decode(enc)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("err = %v, want ErrMalformedHash", err)
			}
			if strings.Contains(err.Error(), salt16[:8]) || strings.Contains(err.Error(), key32[:8]) {
				t.Fatalf("error quotes the hash: %v", err)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("default params invalid: %v", err)
	}
	edit := func(f func(*Params)) Params { p := DefaultParams(); f(&p); return p }
	bad := map[string]Params{
		"time 0":       edit(func(p *Params) { p.Time = 0 }),
		"time 101":     edit(func(p *Params) { p.Time = 101 }),
		"memory tiny":  edit(func(p *Params) { p.MemoryKiB = 7 }),
		"memory huge":  edit(func(p *Params) { p.MemoryKiB = maxMemoryKiB + 1 }),
		"threads 0":    edit(func(p *Params) { p.Threads = 0 }),
		"threads 255":  edit(func(p *Params) { p.Threads = 255 }),
		"salt short":   edit(func(p *Params) { p.SaltLen = 4 }),
		"salt long":    edit(func(p *Params) { p.SaltLen = 65 }),
		"key short":    edit(func(p *Params) { p.KeyLen = 8 }),
		"key long":     edit(func(p *Params) { p.KeyLen = 65 }),
		"work too big": edit(func(p *Params) { p.MemoryKiB, p.Time = maxMemoryKiB, 5 }),
	}
	for name, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := NewHasher(p, 1); err == nil {
			t.Errorf("%s: NewHasher accepted", name)
		}
	}
}

// FuzzDecode checks that no input panics the parser and that whatever it
// accepts is in canonical form.
func FuzzDecode(f *testing.F) {
	f.Add(good)
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$" + salt16 + "$" + key32)
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$argon2i$v=16$m=1,t=1,p=1$AA$AA")
	f.Fuzz(func(t *testing.T, enc string) {
		s, err := decode(enc)
		if err != nil {
			return
		}
		if got := encode(s.params, s.salt, s.key); got != enc {
			t.Fatalf("accepted non-canonical %q (canonical %q)", enc, got)
		}
		if s.params.Validate() != nil {
			t.Fatalf("accepted out-of-bounds params %+v", s.params)
		}
	})
}

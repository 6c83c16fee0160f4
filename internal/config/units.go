package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration string ("10m", "5s")
// in YAML and in environment variables.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String renders d without trailing zero units: "10m", not "10m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(text)))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a Go duration such as 10m or 5s", text)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	return scalarText(n, d.UnmarshalText)
}

// ByteSize is a number of bytes written either as a plain integer ("512") or
// with a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB
// (powers of 1000).
type ByteSize int64

// Binary units, for writing sizes in code.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

// Longer suffixes come first so "KiB" is not read as "B".
var byteUnits = []struct {
	suffix string
	size   ByteSize
}{
	{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", TiB},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// Int64 returns b as an int64.
func (b ByteSize) Int64() int64 { return int64(b) }

// String renders b in the largest binary unit that divides it exactly.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		size   ByteSize
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// ParseByteSize parses a size such as "16MiB", "64KiB" or "512".
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	num, unit := s, ByteSize(1)
	for _, u := range byteUnits {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			num, unit = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid byte size %q: want an integer with an optional unit such as 512, 64KiB or 16MiB", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("invalid byte size %q: negative", s)
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("invalid byte size %q: too large", s)
	}
	return ByteSize(n) * unit, nil
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	return scalarText(n, b.UnmarshalText)
}

// scalarText feeds a scalar node to parse. Failures come back as a
// yaml.TypeError so the decoder keeps going and reports every bad value with
// its line, like its own type errors.
func scalarText(n *yaml.Node, parse func([]byte) error) error {
	if n.Kind != yaml.ScalarNode {
		return lineError(n, errors.New("want a single value"))
	}
	if err := parse([]byte(n.Value)); err != nil {
		return lineError(n, err)
	}
	return nil
}

func lineError(n *yaml.Node, err error) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
}

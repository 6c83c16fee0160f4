package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters and output sizes.
type Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory per hash, in KiB
	Threads   uint8  // lanes computed in parallel
	SaltLen   uint32 // bytes of random salt
	KeyLen    uint32 // bytes of derived hash
}

// DefaultParams returns the OWASP-recommended argon2id settings: 19 MiB,
// two passes, one lane, 16-byte salt, 32-byte hash.
func DefaultParams() Params {
	return Params{Time: 2, MemoryKiB: 19 << 10, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on any parameters, ours or a stored hash's. A stored hash is
// data, and data can be forged, so these bound the cost of one check.
const (
	maxTime      = 100
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxThreads   = 16
	// maxWorkKiB bounds memory times passes: even within the single
	// limits, 1 GiB over 100 passes would take minutes.
	maxWorkKiB = 4 << 20
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
	// maxEncodedLen is longer than any hash within the bounds above.
	maxEncodedLen = 256
)

// ErrMalformedHash marks a stored hash that cannot be parsed or whose
// parameters are out of bounds.
var ErrMalformedHash = errors.New("malformed password hash")

// Validate reports whether p is within the bounds this package accepts.
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time must be 1..%d", maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2 threads must be 1..%d", maxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2 memory must be 8*threads..%d KiB", maxMemoryKiB)
	case uint64(p.MemoryKiB)*uint64(p.Time) > maxWorkKiB:
		return errors.New("argon2 memory times passes too large")
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt length must be %d..%d", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key length must be %d..%d", minKeyLen, maxKeyLen)
	}
	return nil
}

// b64 is the PHC string encoding: standard alphabet, no padding, and
// strict so one hash has exactly one encoding.
var b64 = base64.RawStdEncoding.Strict()

const phcPrefix = "$argon2id$v="

// encode renders a PHC string.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("%s%d$m=%d,t=%d,p=%d$%s$%s", phcPrefix, argon2.Version,
		p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// stored is a parsed PHC string.
type stored struct {
	params Params
	salt   []byte
	key    []byte
}

// decode parses a PHC string strictly: argon2id, v=19, parameters m, t, p
// in that order in canonical decimal, and bounded sizes. Errors never
// quote the input, which is a secret.
func decode(encoded string) (stored, error) {
	if len(encoded) > maxEncodedLen {
		return stored{}, malformed("too long")
	}
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return stored{}, malformed("wrong number of fields")
	}
	if f[1] != "argon2id" {
		return stored{}, malformed("unsupported algorithm")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return stored{}, malformed("unsupported version")
	}
	p, err := decodeParams(f[3])
	if err != nil {
		return stored{}, err
	}
	return decodeSaltAndKey(p, f[4], f[5])
}

func decodeSaltAndKey(p Params, salt64, key64 string) (stored, error) {
	salt, err := decodeB64(salt64)
	if err != nil {
		return stored{}, malformed("bad salt encoding")
	}
	key, err := decodeB64(key64)
	if err != nil {
		return stored{}, malformed("bad hash encoding")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return stored{}, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return stored{params: p, salt: salt, key: key}, nil
}

// decodeB64 decodes and insists the input was the canonical encoding:
// the decoder itself skips CR and LF.
func decodeB64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if b64.EncodeToString(b) != s {
		return nil, errors.New("non-canonical base64")
	}
	return b, nil
}

// decodeParams parses "m=<KiB>,t=<passes>,p=<lanes>".
func decodeParams(s string) (Params, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return Params{}, malformed("wrong parameter list")
	}
	m, err1 := decodeUint(f[0], "m=")
	t, err2 := decodeUint(f[1], "t=")
	p, err3 := decodeUint(f[2], "p=")
	if err := errors.Join(err1, err2, err3); err != nil {
		return Params{}, err
	}
	if p > maxThreads {
		return Params{}, malformed("too many threads")
	}
	return Params{MemoryKiB: m, Time: t, Threads: uint8(p)}, nil
}

// decodeUint parses one "k=<n>" field; n is canonical decimal that fits
// in 32 bits.
func decodeUint(field, prefix string) (uint32, error) {
	v, ok := strings.CutPrefix(field, prefix)
	if !ok {
		return 0, malformed("missing parameter " + strings.TrimSuffix(prefix, "="))
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != v {
		return 0, malformed("bad parameter " + strings.TrimSuffix(prefix, "="))
	}
	return uint32(n), nil
}

func malformed(why string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, why)
}

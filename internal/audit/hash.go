package audit

import (
	"crypto/sha256"
	"encoding/binary"

	"rampart.dev/rampart/internal/store"
)

// HashSize is the size of PrevHash and Hash.
const HashSize = sha256.Size

// genesis is the PrevHash of entry 1.
var genesis = make([]byte, HashSize)

// Hash computes an entry's hash from its PrevHash and fields, as the
// package documentation defines it. Hash ignores e.Hash.
func Hash(e store.AuditEntry) []byte {
	h := sha256.New()
	h.Write(e.PrevHash)
	h.Write(canonical(e))
	return h.Sum(nil)
}

// canonical is the encoding of an entry's fields that the hash covers.
func canonical(e store.AuditEntry) []byte {
	fields := []string{e.Kind, e.Actor, e.Subject, e.Addr, string(e.Data)}
	n := 16
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixNano()))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

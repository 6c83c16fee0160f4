package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/store"
)

var vector = store.AuditEntry{
	Seq:     7,
	At:      time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC),
	Kind:    "login.failure",
	Actor:   "",
	Subject: "alice",
	Addr:    "192.0.2.10",
	Data:    []byte(`{"reason":"bad password"}`),
	PrevHash: func() []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}(),
}

// TestHashFollowsTheDocumentedEncoding builds the hashed bytes the way the
// package documentation describes them, independently of the package.
func TestHashFollowsTheDocumentedEncoding(t *testing.T) {
	var b bytes.Buffer
	b.Write(vector.PrevHash)
	binary.Write(&b, binary.BigEndian, uint64(vector.Seq))
	binary.Write(&b, binary.BigEndian, vector.At.UnixNano())
	for _, f := range []string{vector.Kind, vector.Actor, vector.Subject, vector.Addr, string(vector.Data)} {
		binary.Write(&b, binary.BigEndian, uint32(len(f)))
		b.WriteString(f)
	}
	want := sha256.Sum256(b.Bytes())
	if got := audit.Hash(vector); !bytes.Equal(got, want[:]) {
		t.Fatalf("Hash = %x, documented encoding gives %x", got, want)
	}
}

// TestHashKnownAnswer pins format version 1: a change here breaks every
// existing log.
func TestHashKnownAnswer(t *testing.T) {
	const want = "eedb66f641cfd4c12663a1e0ea650285fd5c567f4aedc7112cfaf274699c7e91"
	if got := hex.EncodeToString(audit.Hash(vector)); got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
}

// TestHashCoversEveryField: changing any one field changes the hash, and
// moving bytes between neighbouring fields does too (the length prefixes).
func TestHashCoversEveryField(t *testing.T) {
	base := audit.Hash(vector)
	edits := map[string]func(*store.AuditEntry){
		"seq":       func(e *store.AuditEntry) { e.Seq++ },
		"at":        func(e *store.AuditEntry) { e.At = e.At.Add(time.Nanosecond) },
		"kind":      func(e *store.AuditEntry) { e.Kind = "login.success" },
		"actor":     func(e *store.AuditEntry) { e.Actor = "x" },
		"subject":   func(e *store.AuditEntry) { e.Subject = "alicf" },
		"addr":      func(e *store.AuditEntry) { e.Addr = "192.0.2.11" },
		"data":      func(e *store.AuditEntry) { e.Data = []byte(`{"reason":"bad passwore"}`) },
		"prev hash": func(e *store.AuditEntry) { e.PrevHash = make([]byte, 32) },
		"shift":     func(e *store.AuditEntry) { e.Actor, e.Subject = "a", "lice" },
	}
	for name, edit := range edits {
		e := vector
		edit(&e)
		if bytes.Equal(audit.Hash(e), base) {
			t.Errorf("changing %s leaves the hash as it was", name)
		}
	}
}

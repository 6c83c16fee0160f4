package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"rampart.dev/rampart/internal/store"
)

// MaxData bounds the encoded Data of one entry.
const MaxData = 16 << 10

// ErrSecretKey is returned by Append when a Data key looks like a secret.
// It is the caller's bug, not the client's, so it carries no public code.
var ErrSecretKey = errors.New("audit data key looks like a secret")

// secretWords are matched case-insensitively anywhere in a Data key. The
// list is broad on purpose: a refused harmless key costs a rename, a
// logged secret cannot be taken back from an append-only log.
var secretWords = []string{
	"password", "passwd", "pwd", "secret", "token", "code", "key", "hash",
	"otp", "seed", "salt", "credential", "private", "cookie", "bearer", "signature",
}

// SecretKey reports whether a Data key looks like it names a secret.
func SecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Append records ev at now as the next entry of the log, inside tx. It
// fails, and so should tx, when the event is malformed (invalid kind, text
// that is not UTF-8 or too long), when Data is too big, or when a Data key
// at any depth looks like a secret.
func Append(tx store.Tx, ev Event, now time.Time) (store.AuditEntry, error) {
	data, err := encodeData(ev.Data)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("audit %s: %w", ev.Kind, err)
	}
	last, err := tx.LastAudit()
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("audit %s: %w", ev.Kind, err)
	}
	prev := last.Hash
	if last.Seq == 0 {
		prev = genesis
	}
	e := store.AuditEntry{
		Seq: last.Seq + 1,
		// Through UnixNano and back: what is hashed is exactly what is kept.
		At:   time.Unix(0, now.UnixNano()).UTC(),
		Kind: ev.Kind, Actor: ev.Actor, Subject: ev.Subject, Addr: ev.Addr,
		Data: data, PrevHash: prev,
	}
	if err := e.Validate(); err != nil {
		return store.AuditEntry{}, fmt.Errorf("audit %s: %w", ev.Kind, err)
	}
	e.Hash = Hash(e)
	return tx.AppendAudit(e)
}

// encodeData turns Data into its canonical JSON: through a generic value
// first, so struct fields get sorted keys too and are checked for secrets
// under the names they are written with.
func encodeData(m map[string]any) (json.RawMessage, error) {
	if len(m) == 0 {
		return json.RawMessage(`{}`), nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	if err := refuseSecrets(v, ""); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(out) > MaxData {
		return nil, fmt.Errorf("data is %d bytes, over the limit of %d", len(out), MaxData)
	}
	return out, nil
}

func refuseSecrets(v any, path string) error {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			p := path + "." + k
			if SecretKey(k) {
				return fmt.Errorf("%w: %q", ErrSecretKey, strings.TrimPrefix(p, "."))
			}
			if err := refuseSecrets(c, p); err != nil {
				return err
			}
		}
	case []any:
		for i, c := range t {
			if err := refuseSecrets(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

package errs

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID is a fresh correlation id: it names one request in its answer
// (X-Request-Id, the error detail) and in the server's log.
func NewID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails on the platforms Go supports
	return hex.EncodeToString(b[:])
}

// Panic is the internal error a recovered panic is answered with; the
// panic value is its hidden cause, for the log.
func Panic(p any) *Error {
	return Wrap(panicError{p}, Internal, "internal error")
}

type panicError struct{ v any }

func (p panicError) Error() string {
	switch v := p.v.(type) {
	case error:
		return "panic: " + v.Error()
	case string:
		return "panic: " + v
	}
	return "panic: non-error value"
}

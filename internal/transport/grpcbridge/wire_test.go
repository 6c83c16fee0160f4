package grpcbridge

import (
	"net/http"
	"testing"
)

// TestKeyTables: the tables of common names agree with the general
// conversions they stand in for.
func TestKeyTables(t *testing.T) {
	for _, k := range []string{"content-type", "user-agent", "authorization", "grpc-accept-encoding", "grpc-encoding",
		"x-api-key", "x-request-id", "te", "cache-control", "grpc-status", "grpc-message", "accept-encoding", "x-other"} {
		c := http.CanonicalHeaderKey(k)
		if got := canonicalKey(k); got != c {
			t.Errorf("canonicalKey(%q) = %q, want %q", k, got, c)
		}
		if got := lowerKey(c); got != k {
			t.Errorf("lowerKey(%q) = %q, want %q", c, got, k)
		}
	}
}

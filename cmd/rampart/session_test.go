package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSessionFileRefusals: the client commands refuse session files others
// could read or plant, and refuse to sign in without what they need.
func TestSessionFileRefusals(t *testing.T) {
	h := cliNode(t)
	path := cliHome(t)

	wantIn(t, mustFail(t, "", "doc", "count", "notes"), "not signed in")
	wantIn(t, mustFail(t, "", "login", "--username", "root", "--password-stdin"), "--server is required")
	wantIn(t, mustFail(t, "", loginArgs(h, "root")...), "no password")
	wantIn(t, mustFail(t, "", "login", "--server", h.PublicURL, "--username", "root"), "--password-stdin")
	wantIn(t, mustFail(t, "", "login", "--server", h.PublicURL, "--password-stdin", "--api-key-stdin"), "not both")
	wantIn(t, mustFail(t, "wrong password, long enough\n", loginArgs(h, "root")...), "unauthenticated")
	wantIn(t, mustFail(t, cliRootPass+"\n", "login", "--server", "ftp://"+strings.TrimPrefix(h.PublicURL, "https://"), "--username", "root", "--password-stdin"), "unsupported url scheme")
	// Without --ca the local CA is not trusted.
	wantIn(t, mustFail(t, cliRootPass+"\n", "login", "--server", h.PublicURL, "--username", "root", "--password-stdin"), "certificate")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a failed login wrote a session file")
	}

	// A directory others can enter is tightened when the session is saved.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	mustRun(t, cliRootPass+"\n", "login", "--server", h.PublicURL, "--ca", h.Node.Info.CAFile, "--username", "root", "--password-stdin")
	s := readSession(t, path)
	if s.AdminServer != "" {
		t.Fatalf("admin server saved without --admin-server: %+v", s)
	}
	wantIn(t, mustFail(t, "", "user", "list"), "--admin-server")
	mustRun(t, "", "user", "list", "--admin-server", h.AdminURL)
	wantIn(t, mustFail(t, "", "doc", "count", "notes", "--server", "https://127.0.0.1:1"), "signed in to")

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	wantIn(t, mustFail(t, "", "doc", "count", "notes"), "mode")
	os.Chmod(path, 0o600)
	mustRun(t, "", "doc", "count", "notes")

	for name, plant := range map[string]func(){
		"a symlink": func() {
			real := filepath.Join(t.TempDir(), "elsewhere.json")
			os.WriteFile(real, raw, 0o600)
			os.Remove(path)
			os.Symlink(real, path)
		},
		"a directory":  func() { os.Remove(path); os.Mkdir(path, 0o700) },
		"damaged JSON": func() { os.Remove(path); os.WriteFile(path, []byte(`{"server":`), 0o600) },
		"no server":    func() { os.Remove(path); os.WriteFile(path, []byte(`{"tokens":{}}`), 0o600) },
	} {
		plant()
		if err := mustFail(t, "", "doc", "count", "notes"); !strings.Contains(err.Error(), "session file") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSessionRefreshIsSaved: a command that finds the access token expired
// refreshes it and saves the rotated tokens, atomically and still private.
func TestSessionRefreshIsSaved(t *testing.T) {
	h := cliNode(t)
	path := cliHome(t)
	mustRun(t, cliRootPass+"\n", loginArgs(h, "root")...)
	before := readSession(t, path)

	// Pretend the token expired; the server still accepts the refresh token.
	s := before
	s.Tokens.Expiry = time.Now().Add(-time.Second)
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", "doc", "count", "notes")
	after := readSession(t, path)
	if after.Tokens.RefreshToken == before.Tokens.RefreshToken || after.Tokens.AccessToken == before.Tokens.AccessToken ||
		!after.Tokens.Expiry.After(time.Now()) || after.Server != before.Server || after.CA != before.CA {
		t.Fatalf("session after refresh: %+v", after)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left beside the session: %v", entries)
	}
	raw, _ := os.ReadFile(path)
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m["api_key"] != nil {
		t.Fatalf("session file content: %s", raw)
	}
}

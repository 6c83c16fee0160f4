package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
)

// startWithConfig starts a server over data with a configuration file and
// waits until it is ready, trying other ports if one was taken.
func startWithConfig(t *testing.T, data, cfgFile string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		pub, adm := freeAddr(t), freeAddr(t)
		s := startServer(t, "", filepath.Join(data, "tls", "ca.crt"), pub, adm,
			"--config", cfgFile, "--data", data, "--listen", pub, "--admin-listen", adm)
		err := s.ready("/readyz")
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(s.log(), "address already in use") {
			continue
		}
		t.Fatal(err)
	}
}

// TestAdminRecoverAndUnlock issues a break-glass token on the host while a
// server with password sign-in switched off runs on the same data, and
// signs in with it once.
func TestAdminRecoverAndUnlock(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	makeAdmin(t, data, "root", "root-password-123")
	cfg := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(cfg, []byte("auth:\n  local:\n    enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startWithConfig(t, data, cfg)
	ctx := context.Background()
	pwLogin := map[string]string{"username": "root", "password": "root-password-123"}
	if status, body, err := srv.do(ctx, "", "POST", srv.public+"/api/v1/auth/login", pwLogin, nil); err != nil || status != http.StatusPreconditionFailed {
		t.Fatalf("password sign-in while off: %d %s %v", status, body, err)
	}

	stdout, stderr, code := runCLI(t, "", "", "admin", "recover", "--data", data, "--username", "root")
	tok := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(tok, "rbg_") || strings.Count(stdout, "\n") != 1 || !strings.Contains(stderr, "valid until") {
		t.Fatalf("admin recover: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var toks struct {
		AccessToken string `json:"access_token"`
	}
	url := srv.public + "/api/v1/auth/recover"
	if status, body, err := srv.do(ctx, "", "POST", url, map[string]string{"token": tok}, &toks); err != nil || status != http.StatusOK || toks.AccessToken == "" {
		t.Fatalf("recover: %d %s %v", status, body, err)
	}
	if status, _, err := srv.do(ctx, toks.AccessToken, "GET", srv.admin+"/api/v1/users", nil, nil); err != nil || status != http.StatusOK {
		t.Fatalf("the recovered admin on the admin listener: %d %v", status, err)
	}
	if status, _, _ := srv.do(ctx, "", "POST", url, map[string]string{"token": tok}, nil); status != http.StatusUnauthorized {
		t.Fatalf("second use: %d", status)
	}
	if strings.Contains(srv.log(), tok) {
		t.Fatal("the server logged the recovery token")
	}

	stdout, stderr, code = runCLI(t, "", "", "admin", "unlock", "--data", data, "--username", "ROOT")
	if code != 0 || !strings.Contains(stdout, "unlocked") {
		t.Fatalf("admin unlock: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"admin", "recover", "--data", data, "--username", "nobody"},
		{"admin", "recover", "--data", data, "--username", "root", "--ttl", "2h"},
		{"admin", "recover", "--data", data},
		{"admin", "unlock", "--data", data, "--username", "nobody"},
		{"admin", "unlock", "--data", data, "--username", "bad name"},
		{"admin", "recover", "--data", filepath.Join(dir, "empty"), "--username", "root"},
	} {
		if stdout, stderr, code := runCLI(t, "", "", args...); code == 0 || strings.Contains(stdout, "rbg_") || stderr == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a refusal", args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "empty")); !os.IsNotExist(err) {
		t.Errorf("a refused command created a data directory: %v", err)
	}
}

// TestKeysRotateSigning: the host-side rotation makes a new active key,
// publishes both keys, and audits it.
func TestKeysRotateSigning(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	ctx := context.Background()
	first, err := rotateSigning(ctx, cfg)
	if err == nil {
		t.Fatalf("rotation on a data directory without a database made key %s", first)
	}
	if _, err := createAdmin(ctx, cfg, "root", "a long admin password"); err != nil {
		t.Fatal(err)
	}
	first, err = rotateSigning(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := rotateSigning(ctx, cfg)
	if err != nil || second == first {
		t.Fatalf("second rotation = %s, %v; want a new key", second, err)
	}
	err = withServices(ctx, cfg, true, func(svc *app.Services) error {
		jwks := string(svc.Keys.JWKS())
		if !strings.Contains(jwks, first) || !strings.Contains(jwks, second) {
			return fmt.Errorf("JWKS %s lacks a key", jwks)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAdminCreateRefusesBeforeTouchingData(t *testing.T) {
	cfg := config.Default()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	if _, err := createAdmin(context.Background(), cfg, "root", "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := os.Stat(cfg.Data); !os.IsNotExist(err) {
		t.Fatalf("a refused admin create left %s behind: %v", cfg.Data, err)
	}
}

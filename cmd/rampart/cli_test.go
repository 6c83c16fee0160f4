package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	stdout, stderr, code := runCLI(t, "", "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "rampart ") || strings.TrimSpace(stdout) == "rampart" {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	valid := write("valid.yaml", "data: /var/lib/rampart\nlisten:\n  public: 0.0.0.0:9443\nlog:\n  level: debug\n")
	// Every value is well-formed YAML of the right type but breaks a rule.
	badValues := write("bad-values.yaml", strings.Join([]string{
		"site:",
		"  id: Not A Site",
		"database:",
		"  driver: mysql",
		"limits:",
		"  max_depth: 0",
		"log:",
		"  level: loud",
	}, "\n")+"\n")
	// Unknown keys and wrong types are found while decoding.
	badShape := write("bad-shape.yaml", "listen:\n  pubic: 127.0.0.1:1\nlimits:\n  max_depth: deep\nnot_a_key: 1\n")

	t.Run("valid", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "", "", "config", "check", valid)
		if code != 0 || !strings.Contains(stdout, "is valid") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	for _, tc := range []struct {
		name, file string
		keys       []string
	}{
		{"bad values", badValues, []string{"site.id", "database.driver", "limits.max_depth", "log.level"}},
		{"bad shape", badShape, []string{"listen.pubic", "limits.max_depth", "not_a_key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "", "", "config", "check", tc.file)
			if code == 0 {
				t.Fatalf("exit 0 for an invalid file; stdout %q", stdout)
			}
			for _, key := range tc.keys {
				if !strings.Contains(stderr, key) {
					t.Errorf("problem with %s not reported:\n%s", key, stderr)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, _, code := runCLI(t, "", "", "config", "check", filepath.Join(dir, "absent.yaml")); code == 0 {
			t.Fatal("exit 0 for a missing file")
		}
	})
}

func TestAdminCreateRefusals(t *testing.T) {
	t.Run("password as argument", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		_, stderr, code := runCLI(t, "", "a-long-enough-password\n",
			"admin", "create", "--data", data, "--username", "root")
		if code == 0 || !strings.Contains(stderr, "--password-stdin") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("refused command touched the data directory: %v", err)
		}
	})
	t.Run("short password", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		_, stderr, code := runCLI(t, "", "short\n",
			"admin", "create", "--data", data, "--username", "root", "--password-stdin")
		if code == 0 || !strings.Contains(stderr, "password") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("empty password", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		_, stderr, code := runCLI(t, "", "\n",
			"admin", "create", "--data", data, "--username", "root", "--password-stdin")
		if code == 0 || !strings.Contains(stderr, "password") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestServeWithDefaults starts `rampart serve` with no flags at all, as a
// first-time user would, and checks the promised defaults.
func TestServeWithDefaults(t *testing.T) {
	const public, admin = "127.0.0.1:8443", "127.0.0.1:8444"
	for _, addr := range []string{public, admin} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("default port %s is taken: %v", addr, err)
		}
		ln.Close()
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "rampart-data", "tls", "ca.crt")
	srv := startServer(t, dir, ca, public, admin)
	if err := srv.ready("/healthz"); err != nil {
		if strings.Contains(srv.log(), "address already in use") {
			t.Skip("a default port was taken while the server started")
		}
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rampart-data", "rampart.db")); err != nil {
		t.Errorf("database not in ./rampart-data: %v", err)
	}
	// The admin listener answers over TLS with the same CA.
	if res, err := srv.client.Get(srv.admin + "/healthz"); err != nil {
		t.Errorf("admin listener: %v", err)
	} else {
		res.Body.Close()
	}
	start := time.Now()
	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.log())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if log := srv.log(); !strings.Contains(log, "shutting down") {
		t.Errorf("no shutdown line in the log:\n%s", log)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/store"
)

// TestReloadOnSIGHUP: a running server re-reads its configuration on SIGHUP,
// applies the log level at once, names what needs a restart, refuses an
// invalid file without stopping, and audits every reload.
func TestReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	makeAdmin(t, data, "root", "root-password-123")
	cfgFile := filepath.Join(dir, "rampart.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("log:\n  level: info\n")
	srv := startWithConfig(t, data, cfgFile)
	hup := func(want string) {
		t.Helper()
		if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(srv.log(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log after SIGHUP:\n%s", want, srv.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	write("log:\n  level: debug\nacl:\n  admins_bypass: false\n")
	hup("configuration reloaded")
	if l := srv.log(); !strings.Contains(l, "applied=[log.level]") || !strings.Contains(l, "need_restart=[acl.admins_bypass]") {
		t.Fatalf("reload did not say what it applied and what waits:\n%s", l)
	}
	write("log:\n  level: shouting\n")
	hup("configuration reload refused")
	if _, err := os.Stat(filepath.Join(data, "rampart.db")); err != nil {
		t.Fatal(err)
	}
	if err := srv.ready("/healthz"); err != nil {
		t.Fatalf("server stopped after a refused reload: %v", err)
	}
	if err := srv.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data = data
	st, err := app.OpenStore(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Audit(context.Background(), store.AuditQuery{Kinds: []string{audit.ConfigReload}, Limit: 10})
	if err != nil || len(got) != 2 || !strings.Contains(string(got[0].Data), `"ok":true`) || !strings.Contains(string(got[1].Data), `"ok":false`) {
		t.Fatalf("config.reload entries = %+v, %v", got, err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/client"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
)

// run runs the CLI in-process, as main does, with stdin as standard input.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = root.ExecuteContext(ctx)
	return o.String(), e.String(), err
}

// mustRun runs the CLI and fails the test if the command fails.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	stdout, stderr, err := run(t, stdin, args...)
	if err != nil {
		t.Fatalf("rampart %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return stdout
}

// mustFail runs the CLI and returns its error, failing the test if the
// command succeeds.
func mustFail(t *testing.T, stdin string, args ...string) error {
	t.Helper()
	stdout, _, err := run(t, stdin, args...)
	if err == nil {
		t.Fatalf("rampart %s succeeded: %s", strings.Join(args, " "), stdout)
	}
	return err
}

// cliHome points the user's config directory at a fresh one and returns
// where the session file goes.
func cliHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	return filepath.Join(home, "config", "rampart", "session.json")
}

const cliRootPass = "root has a long password"

func cliNode(t *testing.T) *apptest.Harness {
	t.Helper()
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("root", cliRootPass, true)
	return h
}

func loginArgs(h *apptest.Harness, username string) []string {
	return []string{"login", "--server", h.PublicURL, "--admin-server", h.AdminURL, "--ca", h.Node.Info.CAFile,
		"--username", username, "--password-stdin"}
}

// readSession reads the session file and checks its and its directory's modes.
func readSession(t *testing.T, path string) savedSession {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("session file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file mode %v", fi.Mode().Perm())
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("session directory: %v %v", di.Mode().Perm(), err)
	}
	raw, _ := os.ReadFile(path)
	var s savedSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("session file: %v", err)
	}
	return s
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}

// field reads one field of a JSON line.
func field(t *testing.T, line, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not a JSON line: %q", line)
	}
	return m[name]
}

func wantIn(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("error %v does not say %q", err, p)
		}
	}
}

// TestClientDocCommands signs in, writes and reads documents and signs out.
func TestClientDocCommands(t *testing.T) {
	h := cliNode(t)
	path := cliHome(t)
	out := mustRun(t, cliRootPass+"\n", loginArgs(h, "root")...)
	if !strings.Contains(out, "signed in to "+h.PublicURL+" as root") {
		t.Fatalf("login said %q", out)
	}
	s := readSession(t, path)
	if s.Server != h.PublicURL || s.AdminServer != h.AdminURL || s.CA != h.Node.Info.CAFile || !filepath.IsAbs(s.CA) ||
		s.Tokens.AccessToken == "" || s.Tokens.RefreshToken == "" || s.Tokens.Expiry.IsZero() || s.APIKey != "" {
		t.Fatalf("session file %+v", s)
	}

	first := lines(mustRun(t, "", "doc", "insert", "notes", `{"title":"a","n":1}`))
	if len(first) != 1 || field(t, first[0], "_id") == "" || field(t, first[0], "_version") != float64(1) {
		t.Fatalf("insert printed %q", first)
	}
	id := field(t, first[0], "_id").(string)
	// JSON lines are inserted one by one; an array all or nothing.
	more := lines(mustRun(t, "{\"title\":\"b\",\"n\":2}\n{\"title\":\"c\",\"n\":3}\n[{\"n\":4},{\"n\":5}]\n", "doc", "insert", "notes"))
	if len(more) != 4 {
		t.Fatalf("insert from stdin printed %d lines", len(more))
	}
	if got := lines(mustRun(t, "", "doc", "get", "notes", id)); len(got) != 1 || field(t, got[0], "title") != "a" {
		t.Fatalf("get printed %q", got)
	}
	if got := lines(mustRun(t, "", "doc", "query", "notes", "--filter", `{"n":{"$gte":2}}`, "--sort", `{"n":-1}`, "--limit", "3")); len(got) != 3 || field(t, got[0], "n") != float64(5) {
		t.Fatalf("query printed %q", got)
	}
	if got := lines(mustRun(t, "", "doc", "query", "notes")); len(got) != 5 {
		t.Fatalf("query of all printed %d lines", len(got))
	}
	if got := strings.TrimSpace(mustRun(t, "", "doc", "count", "notes", "--filter", `{"n":{"$lt":3}}`)); got != "2" {
		t.Fatalf("count printed %q", got)
	}
	wantIn(t, mustFail(t, "", "doc", "delete", "notes", id, "--if-match", "9"), "failed_precondition")
	mustRun(t, "", "doc", "delete", "notes", id, "--if-match", "1")
	wantIn(t, mustFail(t, "", "doc", "get", "notes", id), "not_found")

	// Bad input is refused before or by the server, with its reason.
	wantIn(t, mustFail(t, "", "doc", "query", "notes", "--filter", "{nope"), "--filter is not valid JSON")
	wantIn(t, mustFail(t, "", "doc", "insert", "notes", `{"_version":3}`), "invalid_argument")
	wantIn(t, mustFail(t, "", "doc", "insert", "notes", `{"a":`), "not valid JSON")
	wantIn(t, mustFail(t, "", "doc", "insert", "notes"), "no JSON document")
	wantIn(t, mustFail(t, "", "doc", "insert", "notes", `[{"ok":1},{"_created":"x"}]`), "invalid_argument")
	if got := strings.TrimSpace(mustRun(t, "", "doc", "count", "notes")); got != "4" {
		t.Fatalf("refused inserts changed the collection: %s documents", got)
	}

	if out := mustRun(t, "", "logout"); !strings.Contains(out, "signed out") {
		t.Fatalf("logout said %q", out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("session file still there after logout: %v", err)
	}
	wantIn(t, mustFail(t, "", "doc", "count", "notes"), "not signed in")
	// The tokens of the ended session no longer work.
	c, err := client.Dial(context.Background(), h.PublicURL, client.WithCAFile(h.Node.Info.CAFile), client.WithTokens(s.Tokens))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Me(context.Background()); !client.IsCode(err, client.Unauthenticated) {
		t.Fatalf("old tokens after logout: %v", err)
	}
}

// TestClientAdminCommands manages users, roles and API keys.
func TestClientAdminCommands(t *testing.T) {
	h := cliNode(t)
	cliHome(t)
	mustRun(t, cliRootPass+"\n", loginArgs(h, "root")...)

	bob := lines(mustRun(t, "bob has a long password\n", "user", "create", "--username", "bob", "--name", "Bob", "--password-stdin"))
	if len(bob) != 1 || field(t, bob[0], "username") != "bob" {
		t.Fatalf("user create printed %q", bob)
	}
	bobID := field(t, bob[0], "_id").(string)
	if got := mustRun(t, "", "user", "list"); !strings.Contains(got, bobID) || len(lines(got)) != 2 {
		t.Fatalf("user list printed %q", got)
	}
	if got := mustRun(t, "", "user", "disable", "bob"); field(t, got, "disabled") != true {
		t.Fatalf("user disable printed %q", got)
	}
	mustRun(t, "", "user", "enable", bobID)
	wantIn(t, mustFail(t, "x\n", "user", "create", "--username", "bob", "--password-stdin"), "password")
	wantIn(t, mustFail(t, "", "user", "delete", "nobody"), "not_found")

	role := mustRun(t, "", "role", "create", "editors", "--member", "bob")
	roleID := field(t, role, "_id").(string)
	if got := lines(mustRun(t, "", "role", "members", "editors")); len(got) != 1 || got[0] != bobID {
		t.Fatalf("role members printed %q", got)
	}
	if got := lines(mustRun(t, "", "role", "members", roleID, "--remove", "bob")); len(got) != 0 {
		t.Fatalf("members after --remove: %q", got)
	}
	if got := lines(mustRun(t, "", "role", "members", "editors", "--add", bobID, "--add", "admins")); len(got) != 2 {
		t.Fatalf("members after --add: %q", got)
	}
	if got := lines(mustRun(t, "", "role", "members", "editors", "--set", "")); len(got) != 0 {
		t.Fatalf("members after --set '': %q", got)
	}
	wantIn(t, mustFail(t, "", "role", "members", "editors", "--add", "ghost"), "ghost")
	if got := mustRun(t, "", "role", "list"); !strings.Contains(got, roleID) || !strings.Contains(got, `"admins"`) {
		t.Fatalf("role list printed %q", got)
	}
	mustRun(t, "", "role", "delete", "editors")
	wantIn(t, mustFail(t, "", "role", "delete", "editors"), "not_found")
	mustRun(t, "", "user", "delete", "bob")
	wantIn(t, mustFail(t, "", "user", "delete", bobID), "not_found")

	// The key is printed once, alone on standard output.
	stdout, stderr, err := run(t, "", "apikey", "create", "--name", "ci", "--rights", "read,create", "--expires-in", "1h")
	key := strings.TrimSpace(stdout)
	if err != nil || len(lines(stdout)) != 1 || !strings.HasPrefix(key, identity.APIKeyPrefix) || strings.Contains(stderr, key) {
		t.Fatalf("apikey create: %v, stdout %q, stderr %q", err, stdout, stderr)
	}
	list := mustRun(t, "", "apikey", "list")
	if len(lines(list)) != 1 || field(t, list, "name") != "ci" || field(t, list, "rights") != float64(3) || strings.Contains(list, key) {
		t.Fatalf("apikey list printed %q", list)
	}
	keyID := field(t, list, "id").(string)
	rotated := strings.TrimSpace(mustRun(t, "", "apikey", "rotate", keyID))
	if rotated == key || !strings.HasPrefix(rotated, identity.APIKeyPrefix) {
		t.Fatalf("apikey rotate printed %q", rotated)
	}
	wantIn(t, mustFail(t, "", "apikey", "create", "--name", "x", "--rights", "read,fly"), "unknown right")

	// A session made from the key works until the key is revoked.
	mustRun(t, rotated+"\n", "login", "--server", h.PublicURL, "--ca", h.Node.Info.CAFile, "--api-key-stdin")
	mustRun(t, "", "doc", "count", "notes")
	mustRun(t, cliRootPass+"\n", loginArgs(h, "root")...)
	mustRun(t, "", "apikey", "revoke", keyID)
	wantIn(t, mustFail(t, rotated+"\n", "login", "--server", h.PublicURL, "--ca", h.Node.Info.CAFile, "--api-key-stdin"), "unauthenticated")
}

// TestClientLoginMFA signs in with a password and a code on standard input.
func TestClientLoginMFA(t *testing.T) {
	h := cliNode(t)
	path := cliHome(t)
	const pw = "carol has a long password"
	h.CreateUser("carol", pw, false)
	ctx := context.Background()
	c, err := client.Dial(ctx, h.PublicURL, client.WithCAFile(h.Node.Info.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.LoginPassword(ctx, "carol", pw); err != nil {
		t.Fatal(err)
	}
	enrol, err := c.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(enrol.Secret, now)
	if _, err := c.ConfirmTOTP(ctx, code); err != nil {
		t.Fatal(err)
	}

	wantIn(t, mustFail(t, pw+"\n", loginArgs(h, "carol")...), "second-factor code")
	wantIn(t, mustFail(t, pw+"\n000000\n", loginArgs(h, "carol")...), "unauthenticated")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a failed login wrote a session")
	}
	next, _ := totp.GenerateCode(enrol.Secret, now.Add(30*time.Second))
	mustRun(t, pw+"\n"+next+"\n", loginArgs(h, "carol")...)
	if s := readSession(t, path); s.Tokens.AccessToken == "" {
		t.Fatalf("session after MFA login: %+v", s)
	}
}

// TestClientOverEveryTransport signs in and works over each URL scheme the
// node serves; admin commands keep using the admin listener.
func TestClientOverEveryTransport(t *testing.T) {
	dir, err := os.MkdirTemp("", "rs") // socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "rampart.sock")
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: func(c *config.Config) {
		c.Listen.TCP, c.Listen.Unix = "127.0.0.1:0", sock
	}})
	h.CreateUser("root", cliRootPass, true)
	path := cliHome(t)
	host := strings.TrimPrefix(h.PublicURL, "https://")
	for _, url := range []string{"grpcs://" + host, "wss://" + host, "tcp+tls://" + h.Node.TCPAddr().String(), "unix://" + sock} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			mustRun(t, cliRootPass+"\n", "login", "--server", url, "--admin-server", h.AdminURL, "--ca", h.Node.Info.CAFile,
				"--username", "root", "--password-stdin")
			if s := readSession(t, path); s.Server != url {
				t.Fatalf("session server %q", s.Server)
			}
			doc := mustRun(t, "", "doc", "insert", "notes", `{"via":"`+url+`"}`)
			id := field(t, doc, "_id").(string)
			if got := mustRun(t, "", "doc", "get", "notes", id); field(t, got, "via") != url {
				t.Fatalf("get printed %q", got)
			}
			if got := mustRun(t, "", "user", "list"); len(lines(got)) != 1 {
				t.Fatalf("user list printed %q", got)
			}
			mustRun(t, "", "logout")
		})
	}
}

// TestClientEnvDefaults: RAMPART_SERVER, RAMPART_ADMIN_SERVER and RAMPART_CA
// stand in for the flags, and a server named there must match the session.
func TestClientEnvDefaults(t *testing.T) {
	h := cliNode(t)
	path := cliHome(t)
	t.Setenv("RAMPART_SERVER", h.PublicURL)
	t.Setenv("RAMPART_ADMIN_SERVER", h.AdminURL)
	t.Setenv("RAMPART_CA", h.Node.Info.CAFile)
	mustRun(t, cliRootPass+"\n", "login", "--username", "root", "--password-stdin")
	if s := readSession(t, path); s.Server != h.PublicURL || s.AdminServer != h.AdminURL || s.CA != h.Node.Info.CAFile {
		t.Fatalf("session file %+v", s)
	}
	if got := lines(mustRun(t, "", "user", "list")); len(got) != 1 || field(t, got[0], "username") != "root" {
		t.Fatalf("user list printed %q", got)
	}
	t.Setenv("RAMPART_SERVER", "https://127.0.0.1:1")
	if err := mustFail(t, "", "doc", "count", "notes"); !strings.Contains(err.Error(), "signed in to "+h.PublicURL) {
		t.Fatalf("a different RAMPART_SERVER answered %v", err)
	}
}

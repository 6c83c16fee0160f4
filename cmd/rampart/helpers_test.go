package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests drive the real binary, built once per test run.
var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// rampartBinary builds cmd/rampart without -race: the child processes are
// the system under test, the race detector only needs to watch the test.
func rampartBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "rampart-cli-test-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "rampart")
		cmd := exec.Command("go", "build", "-o", buildBin, "rampart.dev/rampart/cmd/rampart")
		cmd.Env = testEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if errors.Is(buildErr, exec.ErrNotFound) {
		t.Skip("the go command is not on PATH")
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// testEnv is the environment without RAMPART_* variables, so a developer's
// settings cannot change what a child process does.
func testEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAMPART_") {
			out = append(out, kv)
		}
	}
	return out
}

// runCLI runs the binary to completion and returns its output and exit code.
func runCLI(t *testing.T, dir, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(rampartBinary(t), args...)
	cmd.Dir, cmd.Env = dir, testEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run rampart %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// makeAdmin makes an admin on a data directory through the CLI.
func makeAdmin(t *testing.T, data, username, password string) {
	t.Helper()
	_, stderr, code := runCLI(t, "", password+"\n", "admin", "create", "--data", data, "--username", username, "--password-stdin")
	if code != 0 {
		t.Fatalf("admin create exited %d: %s", code, stderr)
	}
}

// reservedPorts are used by other services on shared machines.
var reservedPorts = map[int]bool{4222: true, 5432: true, 5672: true, 6379: true, 3306: true, 1883: true}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		ln.Close()
		if !reservedPorts[addr.Port] {
			return addr.String()
		}
	}
}

// server is one `rampart serve` child process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	caFile  string
	public  string // https://host:port
	admin   string
	logPath string
	exited  chan struct{}
	waitErr error
	client  *http.Client
}

// startServer runs `rampart serve args...` in dir (the test's working
// directory when empty). caFile is where the server's local CA will appear.
func startServer(t *testing.T, dir, caFile, public, admin string, args ...string) *server {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	s := &server{
		t: t, caFile: caFile, public: "https://" + public, admin: "https://" + admin,
		logPath: logFile.Name(), exited: make(chan struct{}),
	}
	s.cmd = exec.Command(rampartBinary(t), append([]string{"serve"}, args...)...)
	s.cmd.Dir, s.cmd.Env = dir, testEnv()
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// startOn starts a server on fresh loopback ports over data and waits
// until it is ready. A port taken between freeAddr and the server's bind
// just means another try.
func startOn(t *testing.T, data string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		pub, adm := freeAddr(t), freeAddr(t)
		s := startServer(t, "", filepath.Join(data, "tls", "ca.crt"), pub, adm,
			"--data", data, "--listen", pub, "--admin-listen", adm)
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

// log returns what the server printed so far.
func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// ready polls path over HTTPS until it answers 200, trusting the server's
// CA as soon as it has been written.
func (s *server) ready(path string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before it was ready (%v):\n%s", s.waitErr, s.log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after 30s:\n%s", s.log())
		}
		if s.client == nil {
			s.client = httpsClient(s.caFile)
		}
		if s.client != nil {
			if res, err := s.client.Get(s.public + path); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpsClient trusts only caFile; nil while the file does not exist yet.
func httpsClient(caFile string) *http.Client {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil
	}
	return &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 64,
		},
	}
}

// stop sends sig and waits for the process to end.
func (s *server) stop(sig syscall.Signal) error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal server: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not exit within 30s of %v:\n%s", sig, s.log())
	}
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
	return s.waitErr
}

// login signs in on the public listener and returns the access token.
func (s *server) login(username, password string) string {
	s.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	status, body, err := s.do(context.Background(), "", "POST", s.public+"/api/v1/auth/login",
		map[string]string{"username": username, "password": password}, &tok)
	if err != nil || status != http.StatusOK || tok.AccessToken == "" {
		s.t.Fatalf("login %s: %d %v %s", username, status, err, body)
	}
	return tok.AccessToken
}

// do sends a JSON request and decodes a 2xx answer into out when given.
// It is safe for concurrent use and never calls t.Fatal.
func (s *server) do(ctx context.Context, token, method, url string, in, out any) (int, []byte, error) {
	var rd io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	if out != nil && res.StatusCode/100 == 2 {
		if err := json.Unmarshal(body, out); err != nil {
			return res.StatusCode, body, fmt.Errorf("decode %s: %w", body, err)
		}
	}
	return res.StatusCode, body, nil
}

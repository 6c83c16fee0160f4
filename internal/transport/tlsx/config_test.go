package tlsx

import (
	"bytes"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the Reloader.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// installPair copies l's server pair to certFile and keyFile, each through
// a rename, as a certificate manager would.
func installPair(t *testing.T, l Local, certFile, keyFile string) {
	t.Helper()
	if err := writeFileAtomic(keyFile, readFile(t, l.KeyFile), keyMode); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(certFile, readFile(t, l.CertFile), certMode); err != nil {
		t.Fatal(err)
	}
}

func served(t *testing.T, r *Reloader) []byte {
	t.Helper()
	cert, err := r.GetCertificate(nil)
	if err != nil || cert == nil {
		t.Fatalf("GetCertificate = %v, %v", cert, err)
	}
	return cert.Certificate[0]
}

func derOf(t *testing.T, l Local) []byte {
	t.Helper()
	return leafOf(t, l.CertFile).Raw
}

func TestReloaderPicksUpReplacedPair(t *testing.T) {
	a, b := newLocal(t), newLocal(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	installPair(t, a, certFile, keyFile)
	r, err := NewReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	var reported []error
	r.Now, r.OnError = clock.Now, func(err error) { reported = append(reported, err) }

	steps := []struct {
		name    string
		change  func()
		advance time.Duration
		want    Local
		errors  int
	}{
		{"initial pair", nil, 0, a, 0},
		{"replaced, before the interval", func() { installPair(t, b, certFile, keyFile) }, 500 * time.Millisecond, a, 0},
		{"after the interval", nil, 500 * time.Millisecond, b, 0},
		{"garbage keeps the old pair", func() { writeGarbage(t, certFile, keyFile) }, PollInterval, b, 1},
		{"garbage is reported once", nil, PollInterval, b, 1},
		{"missing file keeps the old pair", func() { _ = os.Remove(certFile) }, PollInterval, b, 2},
		{"good pair again", func() { installPair(t, a, certFile, keyFile) }, PollInterval, a, 2},
	}
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		clock.Advance(s.advance)
		if !bytes.Equal(served(t, r), derOf(t, s.want)) {
			t.Errorf("%s: served the wrong certificate", s.name)
		}
		if len(reported) != s.errors {
			t.Errorf("%s: %d errors reported, want %d: %v", s.name, len(reported), s.errors, reported)
		}
	}
}

func TestReloaderServesTheReloadedPairInHandshakes(t *testing.T) {
	a, b := newLocal(t), newLocal(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	installPair(t, a, certFile, keyFile)
	r, err := NewReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	r.Now = clock.Now
	server := ServerConfig(r, nil)
	if res := handshake(t, server, clientFor(t, a, "localhost")); res.client != nil {
		t.Fatalf("before reload: %v", res.client)
	}
	installPair(t, b, certFile, keyFile)
	clock.Advance(PollInterval)
	if res := handshake(t, server, clientFor(t, b, "localhost")); res.client != nil {
		t.Fatalf("after reload: %v", res.client)
	}
}

func TestNewReloaderRejectsBadPairs(t *testing.T) {
	a, b := newLocal(t), newLocal(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	writeGarbage(t, garbage)
	tests := map[string][2]string{
		"missing cert":     {filepath.Join(dir, "none"), a.KeyFile},
		"missing key":      {a.CertFile, filepath.Join(dir, "none")},
		"garbage cert":     {garbage, a.KeyFile},
		"mismatched pair":  {a.CertFile, b.KeyFile},
		"ca key for cert":  {a.CertFile, a.CAKeyFile},
		"garbage key file": {a.CertFile, garbage},
	}
	for name, files := range tests {
		if _, err := NewReloader(files[0], files[1]); err == nil {
			t.Errorf("%s: NewReloader accepted it", name)
		}
	}
}

func TestServerConfigRejectsWeakClients(t *testing.T) {
	l := newLocal(t)
	server := serverFor(t, l, nil)
	tests := []struct {
		name    string
		tweak   func(c *tls.Config)
		accept  bool
		version uint16
	}{
		{"default client gets TLS 1.3 and h2", func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1"} }, true, tls.VersionTLS13},
		{"TLS 1.2 with AES-GCM", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		}, true, tls.VersionTLS12},
		{"TLS 1.2 with ChaCha20", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
		}, true, tls.VersionTLS12},
		{"P-256 only", func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.CurveP256} }, true, 0},
		{"X25519 only", func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519} }, true, 0},
		{"TLS 1.1", func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 }, false, 0},
		{"TLS 1.2 with CBC only", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}
		}, false, 0},
		{"TLS 1.2 with RSA key exchange only", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
		}, false, 0},
		{"P-384 only", func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.CurveP384} }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := clientFor(t, l, "localhost")
			tt.tweak(client)
			res := handshake(t, server, client)
			if !tt.accept {
				if res.server == nil || res.client == nil {
					t.Fatalf("handshake succeeded (server %v, client %v), want it refused", res.server, res.client)
				}
				return
			}
			if res.server != nil || res.client != nil {
				t.Fatalf("handshake failed: server %v, client %v", res.server, res.client)
			}
			if tt.version != 0 && res.state.Version != tt.version {
				t.Errorf("negotiated version %x, want %x", res.state.Version, tt.version)
			}
			if len(client.NextProtos) > 0 && res.state.NegotiatedProtocol != "h2" {
				t.Errorf("negotiated %q, want h2", res.state.NegotiatedProtocol)
			}
		})
	}
}

func TestServerConfigSettings(t *testing.T) {
	cfg := serverFor(t, newLocal(t), nil)
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert {
		t.Errorf("MinVersion %x ClientAuth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	for _, id := range cfg.CipherSuites {
		name := tls.CipherSuiteName(id)
		aead := strings.Contains(name, "_GCM_") || strings.Contains(name, "CHACHA20_POLY1305")
		if !strings.HasPrefix(name, "TLS_ECDHE_") || !aead {
			t.Errorf("suite %s is not ECDHE with an AEAD", name)
		}
	}
	if strings.Join(cfg.NextProtos, ",") != "h2,http/1.1" {
		t.Errorf("NextProtos %v", cfg.NextProtos)
	}
}

func TestMutualTLS(t *testing.T) {
	l, stranger := newLocal(t), newLocal(t)
	pool, err := LoadCertPool(l.CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	server := serverFor(t, l, pool)
	tests := []struct {
		name   string
		certs  []tls.Certificate
		accept bool
	}{
		{"no client certificate", nil, false},
		{"certificate from another CA", []tls.Certificate{clientCert(t, stranger)}, false},
		{"certificate from the trusted CA", []tls.Certificate{clientCert(t, l)}, true},
	}
	for _, tt := range tests {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			client := clientFor(t, l, "localhost")
			client.Certificates, client.MaxVersion = tt.certs, version
			res := handshake(t, server, client)
			if tt.accept != (res.server == nil) {
				t.Errorf("%s, version %x: server error %v", tt.name, version, res.server)
			}
			if tt.accept && len(res.state.PeerCertificates) == 0 {
				t.Errorf("%s: no server certificate seen", tt.name)
			}
		}
	}
}

func TestClientConfigNeedsCertificates(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	writeGarbage(t, empty)
	if _, err := ClientConfig(filepath.Join(dir, "missing.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ClientConfig(empty); !errors.Is(err, errNoCertificates) {
		t.Errorf("file without certificates: %v", err)
	}
	cfg, err := ClientConfig(newLocal(t).CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify || cfg.MinVersion != tls.VersionTLS12 || cfg.RootCAs == nil {
		t.Errorf("client config too weak: %+v", cfg)
	}
}

func writeGarbage(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.WriteFile(p, []byte("-----BEGIN GARBAGE-----\nbm90IGEgY2VydA==\n-----END GARBAGE-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

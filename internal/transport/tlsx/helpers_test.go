package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// result is the outcome of one handshake, seen from both ends.
type result struct {
	server, client error
	state          tls.ConnectionState // the client's view
}

// handshake runs one TLS handshake over a loopback TCP connection.
func handshake(t *testing.T, serverCfg, clientCfg *tls.Config) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	serverDone := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			serverDone <- err
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		serverDone <- tls.Server(conn, serverCfg).Handshake()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	conn := tls.Client(raw, clientCfg)
	var res result
	res.client = conn.Handshake()
	res.server = <-serverDone
	res.state = conn.ConnectionState()
	return res
}

// newLocal runs EnsureLocal in a fresh directory at the real time, so real
// handshakes can verify what it issued.
func newLocal(t *testing.T, hosts ...string) Local {
	t.Helper()
	l, err := EnsureLocal(filepath.Join(t.TempDir(), "tls"), hosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serverFor serves l's certificate through a Reloader.
func serverFor(t *testing.T, l Local, clientCAs *x509.CertPool) *tls.Config {
	t.Helper()
	r, err := NewReloader(l.CertFile, l.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return ServerConfig(r, clientCAs)
}

// clientFor trusts l's CA and asks for serverName.
func clientFor(t *testing.T, l Local, serverName string) *tls.Config {
	t.Helper()
	cfg, err := ClientConfig(l.CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerName = serverName
	return cfg
}

// clientCert issues a client certificate from l's CA.
func clientCert(t *testing.T, l Local) tls.Certificate {
	t.Helper()
	ca := loadAuthority(t, l)
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "robot"},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	key, der, err := issue(tmpl, &ca)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func loadAuthority(t *testing.T, l Local) authority {
	t.Helper()
	ca, err := parseAuthority(readFile(t, l.CACertFile), readFile(t, l.CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func leafOf(t *testing.T, certFile string) *x509.Certificate {
	t.Helper()
	cert, err := loadLeaf(certFile, filepath.Join(filepath.Dir(certFile), "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

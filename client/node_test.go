package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/client"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// transport is one way to reach a test node. urls returns the public and
// admin URLs, or why the node cannot be reached that way yet. Adding a
// transport is adding a row.
type transport struct {
	name string
	urls func(h *apptest.Harness) (public, admin, skip string)
}

var transports = []transport{
	{"https", func(h *apptest.Harness) (string, string, string) { return h.PublicURL, h.AdminURL, "" }},
	{"grpcs", func(h *apptest.Harness) (string, string, string) {
		return "grpcs://" + hostOf(h.PublicURL), "grpcs://" + hostOf(h.AdminURL), ""
	}},
	// The envelope transports serve the public services; admin calls still
	// go to the admin listener.
	{"wss", func(h *apptest.Harness) (string, string, string) {
		return "wss://" + hostOf(h.PublicURL), h.AdminURL, ""
	}},
	{"tcp+tls", func(h *apptest.Harness) (string, string, string) {
		if h.Node.TCPAddr() == nil {
			return "", "", "the node has no TCP listener (listen.tcp)"
		}
		return "tcp+tls://" + h.Node.TCPAddr().String(), h.AdminURL, ""
	}},
	{"unix", func(h *apptest.Harness) (string, string, string) {
		if h.Cfg.Listen.Unix == "" {
			return "", "", "the node has no unix socket (listen.unix)"
		}
		return "unix://" + h.Cfg.Listen.Unix, h.AdminURL, ""
	}},
}

// withSockets turns on the TCP and unix-socket envelope listeners.
func withSockets(t *testing.T, c *config.Config) {
	c.Listen.TCP = "127.0.0.1:0"
	// Socket paths are short (sun_path), so not under t.TempDir().
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.Listen.Unix = filepath.Join(dir, "rampart.sock")
}

func hostOf(url string) string { return strings.TrimPrefix(url, "https://") }

// node is a running test node with an admin and the URLs of one transport.
type node struct {
	h             *apptest.Harness
	tr            transport
	public, admin string
}

const (
	rootName = "root"
	rootPass = "root has a long password"
)

func startNode(t *testing.T, edit func(*config.Config)) *apptest.Harness {
	t.Helper()
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: edit})
	h.CreateUser(rootName, rootPass, true)
	return h
}

// on returns the node as reached over tr, or skips the test.
func on(t *testing.T, h *apptest.Harness, tr transport) *node {
	t.Helper()
	pub, adm, skip := tr.urls(h)
	if skip != "" {
		t.Skip(skip)
	}
	return &node{h: h, tr: tr, public: pub, admin: adm}
}

// name makes a collection, user or role name unique to the transport.
func (n *node) name(base string) string {
	return base + "-" + strings.NewReplacer("+", "-").Replace(n.tr.name)
}

// dial returns a client of the node that trusts its CA, closed at the end.
func (n *node) dial(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithCAFile(n.h.Node.Info.CAFile), client.WithAdminURL(n.admin)}, opts...)
	c, err := client.Dial(context.Background(), n.public, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", n.public, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login returns a client signed in as username.
func (n *node) login(t *testing.T, username, password string, opts ...client.Option) *client.Client {
	t.Helper()
	c := n.dial(t, opts...)
	if err := c.LoginPassword(context.Background(), username, password); err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return c
}

// user creates a user on the node and returns its id.
func (n *node) user(t *testing.T, base string) (id, username, password string) {
	t.Helper()
	username, password = n.name(base), base+" has a long password"
	return n.h.CreateUser(username, password, false), username, password
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, what string, err error, code client.Code) {
	t.Helper()
	if !client.IsCode(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// testCA is a certificate authority made for one test.
type testCA struct {
	file string // its certificate, PEM
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	path := filepath.Join(t.TempDir(), name+".crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{file: path, cert: cert, key: key}
}

// client issues a client certificate.
func (ca *testCA) client(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// otherCA writes a CA certificate the node's certificate does not chain to.
func otherCA(t *testing.T) string { return newCA(t, "not-the-rampart-ca").file }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

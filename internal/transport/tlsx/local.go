package tlsx

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File modes: only the owner may read keys or enter the directory.
const (
	dirMode  os.FileMode = 0o700
	keyMode  os.FileMode = 0o600
	certMode os.FileMode = 0o644
)

// Local describes the local CA and server certificate EnsureLocal keeps.
type Local struct {
	Dir        string
	CACertFile string // give this to clients so they trust the server
	CAKeyFile  string
	CertFile   string
	KeyFile    string
	// CAFingerprint is the SHA-256 of the CA certificate (see Fingerprint),
	// for the server to print so users can check what they trust.
	CAFingerprint string
	CANotAfter    time.Time
	CertNotAfter  time.Time
	// CACreated is true when this call made a new CA, which clients have
	// never seen; CertIssued when it wrote a new server certificate.
	CACreated  bool
	CertIssued bool
}

// EnsureLocal makes sure dir holds a local CA and a server certificate signed
// by it that covers localhost, 127.0.0.1, ::1 and every entry of hosts (IPs as
// IP SANs, names as DNS SANs) for at least another 30 days at now.
//
// The first call creates both. Later calls reuse the CA and its key, and
// reissue the server certificate only when it is missing, unreadable, about
// to expire, not signed by the CA, or missing a requested host. A CA within
// 30 days of expiry is replaced, which CACreated reports. An existing CA
// that cannot be read is an error, never overwritten: its key may be trusted
// elsewhere. Keys are written 0600, the directory is kept 0700.
func EnsureLocal(dir string, hosts []string, now time.Time) (Local, error) {
	want, err := normaliseHosts(hosts)
	if err != nil {
		return Local{}, err
	}
	if err := ensureDir(dir); err != nil {
		return Local{}, err
	}
	l := Local{
		Dir:        dir,
		CACertFile: filepath.Join(dir, "ca.crt"),
		CAKeyFile:  filepath.Join(dir, "ca.key"),
		CertFile:   filepath.Join(dir, "server.crt"),
		KeyFile:    filepath.Join(dir, "server.key"),
	}
	ca, err := l.ensureCA(now)
	if err != nil {
		return Local{}, err
	}
	l.CAFingerprint, l.CANotAfter = Fingerprint(ca.cert), ca.cert.NotAfter
	if err := l.ensureServerCert(ca, want, now); err != nil {
		return Local{}, err
	}
	return l, nil
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create tls directory: %w", err)
	}
	// MkdirAll leaves an existing directory as it was; keys need it private.
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("restrict tls directory: %w", err)
	}
	return nil
}

// ensureCA loads the CA, or creates it when neither of its files exists or
// it is about to expire.
func (l *Local) ensureCA(now time.Time) (authority, error) {
	certPEM, certErr := os.ReadFile(l.CACertFile)
	keyPEM, keyErr := os.ReadFile(l.CAKeyFile)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return l.createCA(now)
	case certErr != nil:
		return authority{}, fmt.Errorf("read local ca: %w", certErr)
	case keyErr != nil:
		return authority{}, fmt.Errorf("read local ca key: %w", keyErr)
	}
	ca, err := parseAuthority(certPEM, keyPEM)
	if err != nil {
		return authority{}, fmt.Errorf("local ca in %s is unusable, move it away to create a new one: %w", l.Dir, err)
	}
	if !now.Add(renewBefore).Before(ca.cert.NotAfter) {
		return l.createCA(now)
	}
	return ca, restrictKey(l.CAKeyFile)
}

func (l *Local) createCA(now time.Time) (authority, error) {
	ca, der, err := newCA(now)
	if err != nil {
		return authority{}, err
	}
	if err := writePair(l.CACertFile, l.CAKeyFile, der, ca.key); err != nil {
		return authority{}, err
	}
	l.CACreated = true
	return ca, nil
}

// ensureServerCert keeps the server certificate when it still fits and
// issues a new one otherwise. A new CA always gets a new certificate.
func (l *Local) ensureServerCert(ca authority, hosts []string, now time.Time) error {
	if !l.CACreated {
		if cert, err := loadLeaf(l.CertFile, l.KeyFile); err == nil && fits(cert, ca, hosts, now) {
			l.CertNotAfter = cert.NotAfter
			return restrictKey(l.KeyFile)
		}
	}
	key, der, err := ca.newServerCert(hosts, now)
	if err != nil {
		return err
	}
	if err := writePair(l.CertFile, l.KeyFile, der, key); err != nil {
		return err
	}
	l.CertIssued = true
	l.CertNotAfter = minTime(now.Add(serverLifetime), ca.cert.NotAfter)
	return nil
}

// fits reports whether cert can keep serving: signed by ca, valid now and
// for renewBefore more, and naming every host.
func fits(cert *x509.Certificate, ca authority, hosts []string, now time.Time) bool {
	if cert.CheckSignatureFrom(ca.cert) != nil {
		return false
	}
	if now.Before(cert.NotBefore) || !now.Add(renewBefore).Before(cert.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if !names(cert, h) {
			return false
		}
	}
	return true
}

func names(cert *x509.Certificate, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(cert.IPAddresses, ip.Equal)
	}
	return slices.Contains(cert.DNSNames, host)
}

// writePair writes the key before the certificate: a reader that sees the
// new certificate then also finds its key.
func writePair(certFile, keyFile string, der []byte, key crypto.Signer) error {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyFile, keyPEM, keyMode); err != nil {
		return err
	}
	return writeFileAtomic(certFile, encodeCert(der), certMode)
}

func loadLeaf(certFile, keyFile string) (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate: %w", err)
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

// parseAuthority reads a CA certificate and checks that key belongs to it.
func parseAuthority(certPEM, keyPEM []byte) (authority, error) {
	certBlock, _ := pem.Decode(certPEM)
	keyBlock, _ := pem.Decode(keyPEM)
	if certBlock == nil || keyBlock == nil {
		return authority{}, errors.New("no PEM data")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return authority{}, fmt.Errorf("parse ca certificate: %w", err)
	}
	if !cert.IsCA {
		return authority{}, errors.New("certificate is not a ca")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		return authority{}, fmt.Errorf("parse ca key: %w", err)
	}
	key, ok := parsed.(crypto.Signer)
	pub, okPub := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !okPub || !pub.Equal(key.Public()) {
		return authority{}, errors.New("ca key does not match its certificate")
	}
	return authority{cert: cert, key: key}, nil
}

// restrictKey takes away group and other access a key file may have been
// given by hand.
func restrictKey(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check key file: %w", err)
	}
	if st.Mode().Perm()&^keyMode == 0 {
		return nil
	}
	if err := os.Chmod(path, keyMode); err != nil {
		return fmt.Errorf("restrict key file: %w", err)
	}
	return nil
}

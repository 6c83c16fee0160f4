package tlsx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// cipherSuites are the TLS 1.2 suites offered: forward-secret ECDHE key
// exchange with an AEAD cipher only. TLS 1.3 suites are all AEAD and are not
// configurable.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// curves lists key exchanges in order of preference. The hybrid
// post-quantum X25519MLKEM768 comes first so recorded traffic stays safe
// from future quantum attacks; clients without it use X25519 or P-256.
var curves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}

// ServerConfig returns the tls.Config every Rampart listener uses: TLS 1.2
// or newer, ECDHE with AES-GCM or ChaCha20-Poly1305 on TLS 1.2, HTTP/2 and
// HTTP/1.1 offered through ALPN, and the certificate from r. With a non-nil
// clientCAs every client must present a certificate that chains to it.
func ServerConfig(r *Reloader, clientCAs *x509.CertPool) *tls.Config {
	cfg := &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     cipherSuites,
		CurvePreferences: curves,
		NextProtos:       []string{"h2", "http/1.1"},
		GetCertificate:   r.GetCertificate,
	}
	if clientCAs != nil {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = clientCAs
	}
	return cfg
}

// ClientConfig returns a client tls.Config that trusts only the CA
// certificates in caFile, such as Local.CACertFile. It is for tests and the
// command line talking to a server with a local CA.
func ClientConfig(caFile string) (*tls.Config, error) {
	pool, err := LoadCertPool(caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}

// LoadCertPool reads a PEM bundle of CA certificates, such as the file named
// by tls.client_ca_file, and fails when it holds none.
func LoadCertPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read ca bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("ca bundle %s: %w", file, errNoCertificates)
	}
	return pool, nil
}

var errNoCertificates = errors.New("no pem certificates found")

// PollInterval is the least time between two looks at the certificate files.
const PollInterval = time.Second

// Reloader serves a certificate pair from files and picks up new files
// without a restart. Plug GetCertificate into a tls.Config.
//
// Set OnError and Now before the first handshake; they must not change once
// the Reloader is in use.
type Reloader struct {
	// OnError, when set, receives reload failures. The Reloader keeps
	// serving the last good pair whatever the error.
	OnError func(error)
	// Now is the clock that spaces out file checks; nil means time.Now.
	Now func() time.Time

	certFile, keyFile string

	mu        sync.Mutex
	cert      *tls.Certificate
	stamps    [2]os.FileInfo // of certFile and keyFile when last looked at
	lastCheck time.Time
}

// NewReloader loads the pair in certFile and keyFile and fails if it is
// not a valid certificate and matching key.
func NewReloader(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	stamps, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate pair: %w", err)
	}
	r.cert, r.stamps = &cert, stamps
	return r, nil
}

// GetCertificate returns the current pair. At most once per PollInterval it
// first checks whether either file changed and, if so, loads them again.
// It never fails once the Reloader exists: a bad new pair is reported
// through OnError and the previous one is returned.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.lastCheck.IsZero() || now.Sub(r.lastCheck) >= PollInterval || now.Before(r.lastCheck) {
		r.lastCheck = now
		r.reloadIfChanged()
	}
	return r.cert, nil
}

// reloadIfChanged loads the files when their identity, size or modification
// time changed. A pair that fails to load is remembered as seen, so the
// error is reported once per change rather than once per interval.
func (r *Reloader) reloadIfChanged() {
	stamps, err := r.stat()
	if err != nil {
		r.report(err)
		return
	}
	if sameFile(stamps[0], r.stamps[0]) && sameFile(stamps[1], r.stamps[1]) {
		return
	}
	r.stamps = stamps
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.report(fmt.Errorf("reload certificate pair, keeping the previous one: %w", err))
		return
	}
	r.cert = &cert
}

func (r *Reloader) stat() ([2]os.FileInfo, error) {
	var out [2]os.FileInfo
	for i, path := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(path)
		if err != nil {
			return out, fmt.Errorf("check certificate files: %w", err)
		}
		out[i] = st
	}
	return out, nil
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (r *Reloader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reloader) report(err error) {
	if r.OnError != nil {
		r.OnError(err)
	}
}

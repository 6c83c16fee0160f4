package tlsx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

const day = 24 * time.Hour

func TestEnsureLocalCreatesCAAndServerCert(t *testing.T) {
	now := time.Now()
	l := newLocal(t, "rampart.example")
	if !l.CACreated || !l.CertIssued {
		t.Errorf("first call: CACreated=%v CertIssued=%v, want both", l.CACreated, l.CertIssued)
	}
	ca := loadAuthority(t, l).cert
	if ca.Subject.CommonName != "Rampart local CA" || !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("ca: cn=%q isCA=%v usage=%v", ca.Subject.CommonName, ca.IsCA, ca.KeyUsage)
	}
	wantNear(t, "ca expiry", ca.NotAfter, now.Add(caLifetime))
	if got := Fingerprint(ca); l.CAFingerprint != got {
		t.Errorf("fingerprint %s, want %s", l.CAFingerprint, got)
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(l.CAFingerprint) {
		t.Errorf("fingerprint %q not in AB:CD:... form", l.CAFingerprint)
	}
	leaf := leafOf(t, l.CertFile)
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || leaf.IsCA {
		t.Errorf("server cert: ext usage %v, isCA %v", leaf.ExtKeyUsage, leaf.IsCA)
	}
	wantNear(t, "server expiry", leaf.NotAfter, now.Add(serverLifetime))
	for _, c := range []*x509.Certificate{ca, leaf} {
		if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: key is not ECDSA P-256", c.Subject.CommonName)
		}
		if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 129 {
			t.Errorf("%s: serial %v is not a positive 128-bit number", c.Subject.CommonName, c.SerialNumber)
		}
	}
	if ca.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("ca and server certificate share a serial number")
	}
}

func TestEnsureLocalFileModes(t *testing.T) {
	l := newLocal(t)
	wantMode(t, l.Dir, 0o700)
	wantMode(t, l.CAKeyFile, 0o600)
	wantMode(t, l.KeyFile, 0o600)
	wantMode(t, l.CACertFile, 0o644)
	if err := os.Chmod(l.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(l.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureLocal(l.Dir, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	wantMode(t, l.KeyFile, 0o600)
	wantMode(t, l.Dir, 0o700)
	leftovers, _ := filepath.Glob(filepath.Join(l.Dir, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestEnsureLocalCertVerifiesForItsHosts(t *testing.T) {
	l := newLocal(t, "rampart.example", "10.9.8.7", "[fd00::7]")
	server := serverFor(t, l, nil)
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "rampart.example", "10.9.8.7", "fd00::7"} {
		if res := handshake(t, server, clientFor(t, l, name)); res.client != nil {
			t.Errorf("%s: handshake failed: %v", name, res.client)
		}
	}
	for _, name := range []string{"evil.example", "10.9.8.8", "example"} {
		res := handshake(t, server, clientFor(t, l, name))
		var hostErr x509.HostnameError
		if !errors.As(res.client, &hostErr) {
			t.Errorf("%s: want a hostname error, got %v", name, res.client)
		}
	}
}

func TestEnsureLocalReusesWhatFits(t *testing.T) {
	now := time.Now()
	first := newLocal(t, "a.example", "b.example")
	cert := readFile(t, first.CertFile)
	for _, hosts := range [][]string{{"a.example", "b.example"}, {"B.example"}, nil} {
		again, err := EnsureLocal(first.Dir, hosts, now.Add(300*day))
		if err != nil {
			t.Fatal(err)
		}
		if again.CACreated || again.CertIssued || again.CAFingerprint != first.CAFingerprint {
			t.Errorf("hosts %v: CACreated=%v CertIssued=%v fingerprint changed=%v",
				hosts, again.CACreated, again.CertIssued, again.CAFingerprint != first.CAFingerprint)
		}
	}
	if string(readFile(t, first.CertFile)) != string(cert) {
		t.Error("server certificate rewritten although it fit")
	}
}

func TestEnsureLocalReissuesForNewHost(t *testing.T) {
	first := newLocal(t, "a.example")
	again, err := EnsureLocal(first.Dir, []string{"a.example", "new.example", "192.0.2.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !again.CertIssued || again.CACreated || again.CAFingerprint != first.CAFingerprint {
		t.Fatalf("CertIssued=%v CACreated=%v, want a new cert from the same CA", again.CertIssued, again.CACreated)
	}
	res := handshake(t, serverFor(t, again, nil), clientFor(t, again, "new.example"))
	if res.client != nil {
		t.Errorf("new host: %v", res.client)
	}
	leaf := leafOf(t, again.CertFile)
	if leaf.VerifyHostname("192.0.2.1") != nil || leaf.VerifyHostname("a.example") != nil {
		t.Errorf("reissued cert lacks requested hosts: %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
}

func TestEnsureLocalRenewsNearExpiry(t *testing.T) {
	now := time.Now()
	first := newLocal(t)
	oldSerial := leafOf(t, first.CertFile).SerialNumber
	later := now.Add(serverLifetime - 29*day)
	again, err := EnsureLocal(first.Dir, nil, later)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CertIssued || again.CACreated {
		t.Fatalf("29 days before expiry: CertIssued=%v CACreated=%v", again.CertIssued, again.CACreated)
	}
	leaf := leafOf(t, first.CertFile)
	if leaf.SerialNumber.Cmp(oldSerial) == 0 {
		t.Error("serial number unchanged")
	}
	wantNear(t, "renewed expiry", leaf.NotAfter, later.Add(serverLifetime))
}

func TestEnsureLocalReplacesExpiringCA(t *testing.T) {
	first := newLocal(t)
	later := time.Now().Add(caLifetime - 10*day)
	again, err := EnsureLocal(first.Dir, nil, later)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CACreated || !again.CertIssued || again.CAFingerprint == first.CAFingerprint {
		t.Fatalf("CACreated=%v CertIssued=%v, want a new CA and certificate", again.CACreated, again.CertIssued)
	}
	leaf := leafOf(t, again.CertFile)
	if err := leaf.CheckSignatureFrom(loadAuthority(t, again).cert); err != nil {
		t.Errorf("server certificate not signed by the new CA: %v", err)
	}
}

func TestEnsureLocalReissuesBrokenServerCert(t *testing.T) {
	first := newLocal(t)
	if err := os.WriteFile(first.CertFile, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := EnsureLocal(first.Dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !again.CertIssued || again.CAFingerprint != first.CAFingerprint {
		t.Errorf("CertIssued=%v, want a new certificate from the same CA", again.CertIssued)
	}
}

func TestEnsureLocalNeverOverwritesAnUnreadableCA(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(l Local) error
	}{
		{"garbage certificate", func(l Local) error { return os.WriteFile(l.CACertFile, []byte("garbage"), 0o644) }},
		{"garbage key", func(l Local) error { return os.WriteFile(l.CAKeyFile, []byte("garbage"), 0o600) }},
		{"key missing", func(l Local) error { return os.Remove(l.CAKeyFile) }},
		{"certificate missing", func(l Local) error { return os.Remove(l.CACertFile) }},
		{"key of another CA", func(l Local) error {
			other := newLocal(t)
			return os.WriteFile(l.CAKeyFile, readFile(t, other.CAKeyFile), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLocal(t)
			if err := tt.spoil(l); err != nil {
				t.Fatal(err)
			}
			before := dirContents(t, l.Dir)
			if _, err := EnsureLocal(l.Dir, nil, time.Now()); err == nil {
				t.Fatal("EnsureLocal accepted a spoilt CA")
			}
			if after := dirContents(t, l.Dir); after != before {
				t.Error("EnsureLocal changed files next to a spoilt CA")
			}
		})
	}
}

func TestEnsureLocalRejectsBadHosts(t *testing.T) {
	for _, h := range []string{"bad host", "a.example:443", "-a.example", "a..example"} {
		if _, err := EnsureLocal(t.TempDir(), []string{h}, time.Now()); err == nil {
			t.Errorf("host %q accepted", h)
		}
	}
}

func wantNear(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -2*time.Minute || d > 2*time.Minute {
		t.Errorf("%s = %v, want about %v", what, got, want)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}

func dirContents(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for _, e := range entries {
		out += e.Name() + "=" + string(readFile(t, filepath.Join(dir, e.Name()))) + "\n"
	}
	return out
}

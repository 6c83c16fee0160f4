package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/transport/tlsx"
)

// TLSInfo tells the operator what the listeners present.
type TLSInfo struct {
	CAFile        string // the generated CA clients must trust, if any
	CAFingerprint string
}

// serverTLS builds the listeners' TLS: configured files when given, else a
// local CA under <data>/tls. nil means plaintext, which needs the explicit
// insecure switch and is warned about at every start.
func serverTLS(cfg config.Config, log *slog.Logger) (*tls.Config, TLSInfo, error) {
	if cfg.Listen.InsecureHTTP {
		log.Warn("TLS IS OFF: listeners speak plaintext HTTP because insecure_http is set; tokens and data cross the network unencrypted")
		return nil, TLSInfo{}, nil
	}
	certFile, keyFile := cfg.TLS.CertFile, cfg.TLS.KeyFile
	var info TLSInfo
	if certFile == "" {
		local, err := tlsx.EnsureLocal(filepath.Join(cfg.Data, "tls"), cfg.TLS.Hosts, time.Now())
		if err != nil {
			return nil, TLSInfo{}, fmt.Errorf("local certificates: %w", err)
		}
		certFile, keyFile = local.CertFile, local.KeyFile
		info = TLSInfo{CAFile: local.CACertFile, CAFingerprint: local.CAFingerprint}
		log.Info("using the local CA; clients must trust it", "ca", local.CACertFile, "sha256", local.CAFingerprint)
	}
	r, err := tlsx.NewReloader(certFile, keyFile)
	if err != nil {
		return nil, TLSInfo{}, err
	}
	r.OnError = func(err error) { log.Error("certificate reload failed; serving the previous one", "err", err) }
	var clientCAs *x509.CertPool
	if cfg.TLS.ClientCAFile != "" {
		if clientCAs, err = tlsx.LoadCertPool(cfg.TLS.ClientCAFile); err != nil {
			return nil, TLSInfo{}, err
		}
	}
	return tlsx.ServerConfig(r, clientCAs), info, nil
}

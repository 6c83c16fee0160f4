package app

import (
	"crypto/tls"
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

// listenerTLS is the TLS of each HTTP listener: one certificate, but each
// listener asks for client certificates from its own CA, if any.
type listenerTLS struct {
	public, admin *tls.Config
}

// serverTLS builds the listeners' TLS: configured files when given, else a
// local CA under <data>/tls. Nil configs mean plaintext, which needs the
// explicit insecure switch and is warned about at every start.
func serverTLS(cfg config.Config, log *slog.Logger) (listenerTLS, TLSInfo, error) {
	if cfg.Listen.InsecureHTTP {
		log.Warn("TLS IS OFF: listeners speak plaintext HTTP because insecure_http is set; tokens and data cross the network unencrypted")
		return listenerTLS{}, TLSInfo{}, nil
	}
	certFile, keyFile := cfg.TLS.CertFile, cfg.TLS.KeyFile
	var info TLSInfo
	if certFile == "" {
		local, err := tlsx.EnsureLocal(filepath.Join(cfg.Data, "tls"), cfg.TLS.Hosts, time.Now())
		if err != nil {
			return listenerTLS{}, TLSInfo{}, fmt.Errorf("local certificates: %w", err)
		}
		certFile, keyFile = local.CertFile, local.KeyFile
		info = TLSInfo{CAFile: local.CACertFile, CAFingerprint: local.CAFingerprint}
		log.Info("using the local CA; clients must trust it", "ca", local.CACertFile, "sha256", local.CAFingerprint)
	}
	r, err := tlsx.NewReloader(certFile, keyFile)
	if err != nil {
		return listenerTLS{}, TLSInfo{}, err
	}
	r.OnError = func(err error) { log.Error("certificate reload failed; serving the previous one", "err", err) }
	var out listenerTLS
	if out.public, err = withClientCA(r, cfg.TLS.ClientCAFile, "public", log); err != nil {
		return listenerTLS{}, TLSInfo{}, err
	}
	if out.admin, err = withClientCA(r, cfg.TLS.AdminClientCAFile, "admin", log); err != nil {
		return listenerTLS{}, TLSInfo{}, err
	}
	return out, info, nil
}

// withClientCA is a listener's own config: with caFile set, every client
// must present a certificate that chains to a CA in it.
func withClientCA(r *tlsx.Reloader, caFile, listener string, log *slog.Logger) (*tls.Config, error) {
	if caFile == "" {
		return tlsx.ServerConfig(r, nil), nil
	}
	pool, err := tlsx.LoadCertPool(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s listener client CA: %w", listener, err)
	}
	log.Info("client certificates required", "listener", listener, "ca", caFile)
	return tlsx.ServerConfig(r, pool), nil
}

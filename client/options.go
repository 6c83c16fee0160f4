package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Option configures Dial.
type Option func(*options)

type options struct {
	caFile     string
	roots      *x509.CertPool
	tls        *tls.Config
	httpClient *http.Client
	userAgent  string
	adminURL   string
	apiKey     string
	tokens     Tokens
	onTokens   func(Tokens)
	margin     time.Duration
}

// WithCAFile trusts the PEM CA certificates in file (such as the local CA a
// server generates in <data>/tls/ca.crt) instead of the system roots.
func WithCAFile(file string) Option { return func(o *options) { o.caFile = file } }

// WithRootCAs trusts pool instead of the system roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(o *options) { o.roots = pool } }

// WithTLSConfig is the base TLS configuration, for instance with a client
// certificate for listeners that require one. WithCAFile and WithRootCAs
// still set its RootCAs.
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithHTTPClient replaces the HTTP client built from the TLS options for
// https://, grpcs:// and grpc:// URLs; gRPC needs one that speaks HTTP/2.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithUserAgent sets the User-Agent header of every call.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithAdminURL names the admin listener (https://, grpcs:// or grpc://),
// which serves the user and role calls.
func WithAdminURL(url string) Option { return func(o *options) { o.adminURL = url } }

// WithAPIKey signs every call with an API key.
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithTokens starts from a session signed in earlier, such as one a command
// line tool saved.
func WithTokens(t Tokens) Option { return func(o *options) { o.tokens = t } }

// WithTokenCallback calls fn, one call at a time, whenever the tokens change:
// after sign-in, every refresh and logout. Use it to persist them.
func WithTokenCallback(fn func(Tokens)) Option { return func(o *options) { o.onTokens = fn } }

// WithRefreshMargin sets how long before expiry the access token is
// refreshed. The default is 30 seconds, or half the token's lifetime when
// that is shorter.
func WithRefreshMargin(d time.Duration) Option { return func(o *options) { o.margin = d } }

// tlsConfig is the TLS configuration every connection uses.
func (o *options) tlsConfig() (*tls.Config, error) {
	var cfg *tls.Config
	if o.tls != nil {
		cfg = o.tls.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if o.roots == nil && o.caFile == "" {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if o.roots != nil {
		pool = o.roots.Clone()
	}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, localError("ca file %s holds no pem certificate", o.caFile)
		}
	}
	cfg.RootCAs = pool
	return cfg, nil
}

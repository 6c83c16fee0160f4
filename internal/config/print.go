package config

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML renders c as a complete YAML document, every key included. Render
// c.Redacted() instead when the output is shown to anyone.
func (c Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// redacted replaces every secret Redacted removes.
const redacted = "REDACTED"

// Secret query parameters of a PostgreSQL connection URL.
var postgresSecretParams = []string{"password", "sslpassword"}

// dsnPassword finds password=... in a key/value connection string, quoted
// or not.
var dsnPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Redacted returns a copy of c that is safe to print or log: passwords in
// the PostgreSQL connection string and credentials in NATS URLs are
// replaced. A value it cannot parse is replaced whole.
func (c Config) Redacted() Config {
	c.TLS.Hosts = slices.Clone(c.TLS.Hosts)
	c.Database.Postgres.URL = redactPostgres(c.Database.Postgres.URL)
	c.NATS.URL = redactNATS(c.NATS.URL)
	return c
}

func redactPostgres(s string) string {
	if !strings.Contains(s, "://") {
		return dsnPassword.ReplaceAllString(s, "${1}"+redacted)
	}
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	q := u.Query()
	for _, p := range postgresSecretParams {
		if q.Has(p) {
			q.Set(p, redacted)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redactNATS hides the whole user part of each URL: NATS also accepts a bare
// token there, which is as secret as a password.
func redactNATS(s string) string {
	if s == "" {
		return ""
	}
	items := strings.Split(s, ",")
	for i, item := range items {
		u, err := url.Parse(strings.TrimSpace(item))
		if err != nil {
			items[i] = redacted
			continue
		}
		if u.User != nil {
			u.User = url.User(redacted)
		}
		items[i] = u.String()
	}
	return strings.Join(items, ",")
}

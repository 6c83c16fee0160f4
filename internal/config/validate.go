package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rule checks one key. check returns the problem, or "" when the value is
// fine. A rule may read other keys to check a relation between them.
type rule struct {
	key   string
	check func(c *Config) string
}

var (
	roleNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,62}$`)
	siteIDPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	schemaPattern   = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	hostnamePattern = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// Limits that are part of the contract, not of the configuration.
const (
	maxPageSizeCap   = 10000
	maxDocumentDepth = 256
	maxPasswordCap   = 1024
	minPasswordFloor = 8
	minArgon2Memory  = 8 * MiB
	maxArgon2Threads = 16
)

// rules are the checks beyond "every number is positive", which Validate
// applies to every numeric key first.
var rules = []rule{
	{"data", func(c *Config) string { return required(c.Data) }},
	{"site.id", func(c *Config) string { return matches(c.Site.ID, siteIDPattern) }},
	{"listen.public", func(c *Config) string { return hostPort(c.Listen.Public) }},
	{"listen.admin", checkAdminAddr},
	{"tls.cert_file", func(c *Config) string { return pairedFile(c.TLS.CertFile, c.TLS.KeyFile, "tls.key_file") }},
	{"tls.key_file", func(c *Config) string { return pairedFile(c.TLS.KeyFile, c.TLS.CertFile, "tls.cert_file") }},
	{"tls.hosts", checkHosts},
	{"tls.client_ca_file", func(c *Config) string { return optionalFile(c.TLS.ClientCAFile) }},
	{"tls.admin_client_ca_file", func(c *Config) string { return optionalFile(c.TLS.AdminClientCAFile) }},
	{"listen.tcp", checkTCPAddr},
	{"listen.unix", checkUnixPath},
	{"http.cors_origins", checkOrigins},
	{"limits.max_frame", func(c *Config) string { return atMost(c.Limits.MaxFrame, c.Limits.MaxBody, "limits.max_body") }},
	{"database.driver", func(c *Config) string { return oneOf(c.Database.Driver, DriverSQLite, DriverPostgres) }},
	{"database.postgres.url", checkPostgresURL},
	{"database.postgres.schema", checkSchema},
	{"nats.url", checkNATSURL},
	{"nats.embedded.listen", checkEmbeddedListen},
	{"limits.max_document", func(c *Config) string { return atMost(c.Limits.MaxDocument, c.Limits.MaxBody, "limits.max_body") }},
	{"limits.max_depth", func(c *Config) string { return between(c.Limits.MaxDepth, 1, maxDocumentDepth) }},
	{"limits.default_page_size", func(c *Config) string {
		return atMost(c.Limits.DefaultPageSize, c.Limits.MaxPageSize, "limits.max_page_size")
	}},
	{"limits.max_page_size", func(c *Config) string { return between(c.Limits.MaxPageSize, 1, maxPageSizeCap) }},
	{"limits.query.max_bytes", func(c *Config) string { return atMost(c.Limits.Query.MaxBytes, c.Limits.MaxBody, "limits.max_body") }},
	{"auth.issuer", checkIssuer},
	{"auth.audience", func(c *Config) string { return required(c.Auth.Audience) }},
	{"auth.access_token_ttl", func(c *Config) string {
		return between(c.Auth.AccessTokenTTL, Duration(time.Minute), Duration(24*time.Hour))
	}},
	{"auth.signing_key_rotation", func(c *Config) string {
		return atLeast(c.Auth.SigningKeyRotation, c.Auth.AccessTokenTTL, "auth.access_token_ttl")
	}},
	{"auth.password.min_length", func(c *Config) string { return between(c.Auth.Password.MinLength, minPasswordFloor, maxPasswordCap) }},
	{"auth.password.max_length", func(c *Config) string {
		if m := atLeast(c.Auth.Password.MaxLength, c.Auth.Password.MinLength, "auth.password.min_length"); m != "" {
			return m
		}
		return between(c.Auth.Password.MaxLength, minPasswordFloor, maxPasswordCap)
	}},
	{"auth.password.argon2_memory", checkArgon2Memory},
	{"auth.refresh.ttl", func(c *Config) string {
		return atLeast(c.Auth.Refresh.TTL, c.Auth.Refresh.IdleTTL, "auth.refresh.idle_ttl")
	}},
	{"auth.refresh.reuse_grace", func(c *Config) string {
		return between(c.Auth.Refresh.ReuseGrace, Duration(time.Second), Duration(time.Minute))
	}},
	{"auth.lockout.max_failures", func(c *Config) string { return between(c.Auth.Lockout.MaxFailures, 1, 1000) }},
	{"auth.rate_limit.burst", func(c *Config) string { return between(c.Auth.RateLimit.Burst, 1, 100000) }},
	{"auth.mfa.required_roles", checkRoleNames},
	{"auth.api_keys.max_ttl", func(c *Config) string {
		return atLeast(c.Auth.APIKeys.MaxTTL, c.Auth.APIKeys.DefaultTTL, "auth.api_keys.default_ttl")
	}},
	{"auth.password.argon2_threads", func(c *Config) string { return between(c.Auth.Password.Argon2Threads, 1, maxArgon2Threads) }},
	{"log.level", func(c *Config) string { return oneOf(c.Log.Level, "debug", "info", "warn", "error") }},
	{"log.format", func(c *Config) string { return oneOf(c.Log.Format, "text", "json") }},
}

// Validate checks c and reports every problem at once, joined with
// errors.Join, one per key, each as "key: problem", in declaration order.
// It returns nil when c is usable.
func (c Config) Validate() error {
	found := map[string]string{}
	for _, r := range append(positiveRules(&c), rules...) {
		if _, done := found[r.key]; done {
			continue // one problem per key: the first rule to fail wins
		}
		if msg := r.check(&c); msg != "" {
			found[r.key] = msg
		}
	}
	var problems []error
	for _, f := range fields(&c) {
		if msg, ok := found[f.key]; ok {
			problems = append(problems, fmt.Errorf("%s: %s", f.key, msg))
		}
	}
	return errors.Join(problems...)
}

// positiveRules requires every number, duration and size to be above zero:
// no limit or timeout in Rampart means "off".
func positiveRules(c *Config) []rule {
	var out []rule
	for _, f := range fields(c) {
		switch f.value.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v := f.value
			out = append(out, rule{f.key, func(*Config) string {
				if v.Int() <= 0 {
					return "must be positive"
				}
				return ""
			}})
		}
	}
	return out
}

func checkAdminAddr(c *Config) string {
	if m := hostPort(c.Listen.Admin); m != "" {
		return m
	}
	if sameListener(c.Listen.Public, c.Listen.Admin) {
		return "same address as listen.public"
	}
	return ""
}

func checkHosts(c *Config) string {
	for _, h := range c.TLS.Hosts {
		if net.ParseIP(h) == nil && !hostnamePattern.MatchString(strings.ToLower(h)) {
			return fmt.Sprintf("%q is neither an IP address nor a DNS name", h)
		}
	}
	return ""
}

func checkPostgresURL(c *Config) string {
	if c.Database.Driver == DriverPostgres && c.Database.Postgres.URL == "" {
		return "required when database.driver is postgres"
	}
	return ""
}

func checkSchema(c *Config) string {
	if c.Database.Postgres.Schema == "" {
		return ""
	}
	return matches(c.Database.Postgres.Schema, schemaPattern)
}

func checkNATSURL(c *Config) string {
	if c.NATS.URL == "" {
		return ""
	}
	for item := range strings.SplitSeq(c.NATS.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(item))
		if err != nil || u.Host == "" {
			return "want a comma-separated list of URLs such as nats://host:4222"
		}
		if m := oneOf(u.Scheme, "nats", "tls", "ws", "wss"); m != "" {
			return "scheme " + m
		}
	}
	return ""
}

func checkEmbeddedListen(c *Config) string {
	if c.NATS.Embedded.Listen == "" {
		return ""
	}
	if c.NATS.URL != "" {
		return "set while nats.url selects an external server"
	}
	return hostPort(c.NATS.Embedded.Listen)
}

func checkIssuer(c *Config) string {
	if c.Auth.Issuer == "" {
		return ""
	}
	u, err := url.Parse(c.Auth.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "want an absolute URL without query or fragment"
	}
	if u.Scheme == "https" || (u.Scheme == "http" && c.Listen.InsecureHTTP) {
		return ""
	}
	return "must use https (http only with listen.insecure_http)"
}

func checkArgon2Memory(c *Config) string {
	m := c.Auth.Password.Argon2Memory
	if m < minArgon2Memory {
		return "must be at least " + minArgon2Memory.String()
	}
	if m%KiB != 0 {
		return "must be a whole number of KiB"
	}
	return ""
}

func required(s string) string {
	if strings.TrimSpace(s) == "" {
		return "required"
	}
	return ""
}

func matches(s string, re *regexp.Regexp) string {
	if !re.MatchString(s) {
		return fmt.Sprintf("%q does not match %s", s, re)
	}
	return ""
}

func oneOf(s string, allowed ...string) string {
	for _, a := range allowed {
		if s == a {
			return ""
		}
	}
	return fmt.Sprintf("%q is not one of %s", s, strings.Join(allowed, ", "))
}

type ordered interface{ ~int | ~int64 }

func between[T ordered](v, lo, hi T) string {
	if v < lo || v > hi {
		return fmt.Sprintf("%v is not between %v and %v", v, lo, hi)
	}
	return ""
}

func atMost[T ordered](v, limit T, limitKey string) string {
	if v > limit {
		return fmt.Sprintf("%v exceeds %s (%v)", v, limitKey, limit)
	}
	return ""
}

func atLeast[T ordered](v, floor T, floorKey string) string {
	if v < floor {
		return fmt.Sprintf("%v is below %s (%v)", v, floorKey, floor)
	}
	return ""
}

// hostPort checks a listen address: host (possibly empty) and numeric port.
func hostPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not a host:port address", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return fmt.Sprintf("%q has no valid port number", addr)
	}
	return ""
}

// sameListener reports whether two listen addresses would collide: the same
// fixed port on the same host, or on any host when one binds every interface.
func sameListener(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	if wildcardHost(ha) || wildcardHost(hb) || ha == hb {
		return true
	}
	ia, ib := net.ParseIP(ha), net.ParseIP(hb)
	return ia != nil && ia.Equal(ib)
}

func wildcardHost(h string) bool {
	ip := net.ParseIP(h)
	return h == "" || (ip != nil && ip.IsUnspecified())
}

// pairedFile checks one of two files that must be set together.
func pairedFile(file, other, otherKey string) string {
	if file == "" {
		return ""
	}
	if other == "" {
		return "set without " + otherKey
	}
	return optionalFile(file)
}

func optionalFile(path string) string {
	if path == "" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	if !st.Mode().IsRegular() {
		return path + " is not a regular file"
	}
	return ""
}

func checkRoleNames(c *Config) string {
	for _, r := range c.Auth.MFA.RequiredRoles {
		if !roleNamePattern.MatchString(r) {
			return fmt.Sprintf("%q is not a role name", r)
		}
	}
	return ""
}

func checkTCPAddr(c *Config) string {
	if c.Listen.TCP == "" {
		return ""
	}
	if m := hostPort(c.Listen.TCP); m != "" {
		return m
	}
	if sameListener(c.Listen.TCP, c.Listen.Public) || sameListener(c.Listen.TCP, c.Listen.Admin) {
		return "same address as another listener"
	}
	if c.Listen.InsecureHTTP {
		return "the TCP transport always uses TLS; it cannot run with listen.insecure_http"
	}
	return ""
}

func checkUnixPath(c *Config) string {
	if c.Listen.Unix == "" {
		return ""
	}
	if !filepath.IsAbs(c.Listen.Unix) && !strings.HasPrefix(c.Listen.Unix, ".") {
		return "use an absolute path or one starting with ./"
	}
	if len(c.Listen.Unix) > 100 {
		return "socket paths are limited to about 100 bytes"
	}
	return ""
}

// checkOrigins wants exact origins: scheme, host and optional port, no path.
func checkOrigins(c *Config) string {
	for _, o := range c.HTTP.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || o == "*" {
			return fmt.Sprintf("%q is not an origin like https://app.example", o)
		}
	}
	return ""
}

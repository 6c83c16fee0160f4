package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestValidateRules(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // "" = valid; else "key: substring"
	}{
		{"empty data dir", func(c *Config) { c.Data = " " }, "data: required"},
		{"site id upper case", func(c *Config) { c.Site.ID = "Local" }, "site.id: \"Local\" does not match"},
		{"site id too long", func(c *Config) { c.Site.ID = strings.Repeat("a", 64) }, "site.id:"},
		{"site id with dash", func(c *Config) { c.Site.ID = "eu-west_1" }, ""},
		{"public not host:port", func(c *Config) { c.Listen.Public = "localhost" }, "listen.public: \"localhost\" is not a host:port"},
		{"public bad port", func(c *Config) { c.Listen.Public = "localhost:http" }, "listen.public: \"localhost:http\" has no valid port"},
		{"public port out of range", func(c *Config) { c.Listen.Public = ":70000" }, "listen.public:"},
		{"admin equals public", func(c *Config) { c.Listen.Admin = c.Listen.Public }, "listen.admin: same address as listen.public"},
		{"admin overlaps wildcard public", func(c *Config) { c.Listen.Public = ":8444" }, "listen.admin: same address"},
		{"admin same ip spelled differently", func(c *Config) {
			c.Listen.Public, c.Listen.Admin = "[::1]:9000", "[0:0::1]:9000"
		}, "listen.admin: same address"},
		{"both on random ports", func(c *Config) { c.Listen.Public, c.Listen.Admin = "127.0.0.1:0", "127.0.0.1:0" }, ""},
		{"cert without key", func(c *Config) { c.TLS.CertFile = existing }, "tls.cert_file: set without tls.key_file"},
		{"key without cert", func(c *Config) { c.TLS.KeyFile = existing }, "tls.key_file: set without tls.cert_file"},
		{"cert pair present", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = existing, existing }, ""},
		{"cert file missing", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "/nonexistent.crt", existing },
			"tls.cert_file: cannot read /nonexistent.crt"},
		{"client ca missing", func(c *Config) { c.TLS.ClientCAFile = "/nonexistent/ca.pem" }, "tls.client_ca_file: cannot read"},
		{"client ca is a directory", func(c *Config) { c.TLS.ClientCAFile = t.TempDir() }, "tls.client_ca_file:"},
		{"client ca present", func(c *Config) { c.TLS.ClientCAFile = existing }, ""},
		{"host with port", func(c *Config) { c.TLS.Hosts = []string{"ok.example", "a.example:443"} }, "tls.hosts: \"a.example:443\""},
		{"hosts fine", func(c *Config) { c.TLS.Hosts = []string{"*.rampart.example", "10.0.0.1", "fe80::1", "Host-1"} }, ""},
		{"unknown driver", func(c *Config) { c.Database.Driver = "mysql" }, "database.driver: \"mysql\" is not one of sqlite, postgres"},
		{"postgres without url", func(c *Config) { c.Database.Driver = DriverPostgres }, "database.postgres.url: required"},
		{"postgres with url", func(c *Config) {
			c.Database.Driver, c.Database.Postgres.URL = DriverPostgres, "postgres://db/rampart"
		}, ""},
		{"bad schema", func(c *Config) { c.Database.Postgres.Schema = "x; drop" }, "database.postgres.schema:"},
		{"zero read conns", func(c *Config) { c.Database.SQLite.ReadConns = 0 }, "database.sqlite.read_conns: must be positive"},
		{"negative busy timeout", func(c *Config) { c.Database.SQLite.BusyTimeout = -1 }, "database.sqlite.busy_timeout: must be positive"},
		{"zero idle timeout", func(c *Config) { c.HTTP.IdleTimeout = 0 }, "http.idle_timeout: must be positive"},
		{"nats bad scheme", func(c *Config) { c.NATS.URL = "http://bus:4222" }, "nats.url: scheme"},
		{"nats cluster", func(c *Config) { c.NATS.URL = "nats://a:4222, tls://b:4222" }, ""},
		{"embedded listen bad", func(c *Config) { c.NATS.Embedded.Listen = "4222" }, "nats.embedded.listen: \"4222\" is not a host:port"},
		{"embedded listen with external", func(c *Config) {
			c.NATS.URL, c.NATS.Embedded.Listen = "nats://bus:4222", "127.0.0.1:4222"
		}, "nats.embedded.listen: set while nats.url"},
		{"embedded listen fine", func(c *Config) { c.NATS.Embedded.Listen = "127.0.0.1:4222" }, ""},
		{"document larger than body", func(c *Config) { c.Limits.MaxDocument = 32 * MiB }, "limits.max_document: 32MiB exceeds limits.max_body (16MiB)"},
		{"depth zero", func(c *Config) { c.Limits.MaxDepth = 0 }, "limits.max_depth: must be positive"},
		{"depth too deep", func(c *Config) { c.Limits.MaxDepth = 257 }, "limits.max_depth: 257 is not between 1 and 256"},
		{"default page above max", func(c *Config) { c.Limits.DefaultPageSize = 2000 }, "limits.default_page_size: 2000 exceeds limits.max_page_size"},
		{"max page above cap", func(c *Config) { c.Limits.MaxPageSize = 10001 }, "limits.max_page_size: 10001 is not between 1 and 10000"},
		{"max page at cap", func(c *Config) { c.Limits.MaxPageSize = 10000 }, ""},
		{"query larger than body", func(c *Config) { c.Limits.Query.MaxBytes = 17 * MiB }, "limits.query.max_bytes:"},
		{"zero max in", func(c *Config) { c.Limits.Query.MaxIn = 0 }, "limits.query.max_in: must be positive"},
		{"issuer http", func(c *Config) { c.Auth.Issuer = "http://id.example" }, "auth.issuer: must use https"},
		{"issuer http when insecure", func(c *Config) { c.Auth.Issuer, c.Listen.InsecureHTTP = "http://id.example", true }, ""},
		{"issuer relative", func(c *Config) { c.Auth.Issuer = "/issuer" }, "auth.issuer: want an absolute URL"},
		{"issuer https", func(c *Config) { c.Auth.Issuer = "https://id.example/rampart" }, ""},
		{"no audience", func(c *Config) { c.Auth.Audience = "" }, "auth.audience: required"},
		{"ttl too short", func(c *Config) { c.Auth.AccessTokenTTL = Duration(30 * time.Second) }, "auth.access_token_ttl: 30s is not between 1m and 24h"},
		{"ttl too long", func(c *Config) {
			c.Auth.AccessTokenTTL, c.Auth.SigningKeyRotation = Duration(25*time.Hour), Duration(48*time.Hour)
		}, "auth.access_token_ttl: 25h is not between"},
		{"rotation shorter than ttl", func(c *Config) { c.Auth.SigningKeyRotation = Duration(time.Minute) }, "auth.signing_key_rotation: 1m is below auth.access_token_ttl"},
		{"short passwords", func(c *Config) { c.Auth.Password.MinLength = 6 }, "auth.password.min_length: 6 is not between 8 and 1024"},
		{"max below min", func(c *Config) { c.Auth.Password.MaxLength = 10 }, "auth.password.max_length: 10 is below auth.password.min_length"},
		{"max too long", func(c *Config) { c.Auth.Password.MaxLength = 4096 }, "auth.password.max_length: 4096 is not between"},
		{"argon2 time zero", func(c *Config) { c.Auth.Password.Argon2Time = 0 }, "auth.password.argon2_time: must be positive"},
		{"argon2 memory small", func(c *Config) { c.Auth.Password.Argon2Memory = 4 * MiB }, "auth.password.argon2_memory: must be at least 8MiB"},
		{"argon2 memory odd", func(c *Config) { c.Auth.Password.Argon2Memory = 8*MiB + 1 }, "auth.password.argon2_memory: must be a whole number of KiB"},
		{"argon2 threads", func(c *Config) { c.Auth.Password.Argon2Threads = 17 }, "auth.password.argon2_threads: 17 is not between 1 and 16"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level: \"verbose\" is not one of debug, info, warn, error"},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantErrContains(t, err, tt.want)
			if n := len(strings.Split(err.Error(), "\n")); n != 1 {
				t.Errorf("want exactly one problem, got %d:\n%v", n, err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Site.ID = "BAD"
	c.Listen.Admin = c.Listen.Public
	c.Database.Driver = DriverPostgres
	c.Limits.MaxDepth = 0
	c.Auth.AccessTokenTTL = Duration(time.Second)
	c.Log.Format = "xml"
	err := c.Validate()
	want := []string{
		"site.id: ", "listen.admin: ", "database.postgres.url: ",
		"limits.max_depth: ", "auth.access_token_ttl: ", "log.format: ",
	}
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q (declaration order)", i, line, want[i])
		}
	}
}

func TestRulesNameRealKeys(t *testing.T) {
	var c Config
	keys := map[string]bool{}
	for _, f := range fields(&c) {
		keys[f.key] = true
	}
	for _, r := range rules {
		if !keys[r.key] {
			t.Errorf("rule for %q, which is not a config key", r.key)
		}
	}
}

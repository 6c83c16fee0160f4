package config

import "time"

// Config is the whole server configuration. Its yaml tags are the file keys;
// environment variable names derive from them (see the package comment).
type Config struct {
	Data        string      `yaml:"data"`
	Site        Site        `yaml:"site"`
	Listen      Listen      `yaml:"listen"`
	TLS         TLS         `yaml:"tls"`
	Database    Database    `yaml:"database"`
	NATS        NATS        `yaml:"nats"`
	Limits      Limits      `yaml:"limits"`
	Auth        Auth        `yaml:"auth"`
	ACL         ACL         `yaml:"acl"`
	Collections Collections `yaml:"collections"`
	HTTP        HTTP        `yaml:"http"`
	Log         Log         `yaml:"log"`
}

// Site identifies this installation; its id becomes the change log's origin.
type Site struct {
	ID string `yaml:"id"`
}

// Listen holds the listener addresses.
type Listen struct {
	Public       string `yaml:"public"`
	Admin        string `yaml:"admin"`
	InsecureHTTP bool   `yaml:"insecure_http"`
	// TCP serves the envelope protocol over TLS on its own address; empty
	// means off.
	TCP string `yaml:"tcp"`
	// Unix serves the envelope protocol on a local socket at this path
	// (mode 0600); empty means off.
	Unix string `yaml:"unix"`
}

// TLS names certificate files. With neither file set the server generates a
// local CA and certificate under <data>/tls.
type TLS struct {
	CertFile     string   `yaml:"cert_file"`
	KeyFile      string   `yaml:"key_file"`
	Hosts        []string `yaml:"hosts"`
	ClientCAFile string   `yaml:"client_ca_file"`
	// AdminClientCAFile requires client certificates on the admin listener.
	AdminClientCAFile string `yaml:"admin_client_ca_file"`
}

// Database drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Database selects and tunes the storage engine.
type Database struct {
	Driver   string   `yaml:"driver"`
	SQLite   SQLite   `yaml:"sqlite"`
	Postgres Postgres `yaml:"postgres"`
}

// SQLite tunes the embedded engine.
type SQLite struct {
	ReadConns   int      `yaml:"read_conns"`
	BusyTimeout Duration `yaml:"busy_timeout"`
	MaxBatch    int      `yaml:"max_batch"`
}

// Postgres configures the scale-out engine. URL may hold a password: print
// the config only through Redacted.
type Postgres struct {
	URL      string `yaml:"url"`
	Schema   string `yaml:"schema"`
	MaxConns int    `yaml:"max_conns"`
	MaxBatch int    `yaml:"max_batch"`
}

// NATS selects the message bus: an external cluster when URL is set, the
// embedded server otherwise.
type NATS struct {
	URL      string       `yaml:"url"`
	Embedded EmbeddedNATS `yaml:"embedded"`
}

// EmbeddedNATS tunes the in-process server. An empty Listen means no TCP
// listener at all.
type EmbeddedNATS struct {
	Listen string `yaml:"listen"`
}

// Limits bound what a single request may cost.
type Limits struct {
	MaxBody ByteSize `yaml:"max_body"`
	// MaxFrame bounds one envelope on the socket transports.
	MaxFrame ByteSize `yaml:"max_frame"`
	// MaxInFlight bounds the requests one socket connection may have open.
	MaxInFlight     int         `yaml:"max_in_flight"`
	MaxDocument     ByteSize    `yaml:"max_document"`
	MaxDepth        int         `yaml:"max_depth"`
	DefaultPageSize int         `yaml:"default_page_size"`
	MaxPageSize     int         `yaml:"max_page_size"`
	Query           QueryLimits `yaml:"query"`
}

// QueryLimits bound the complexity of one query or aggregate pipeline.
type QueryLimits struct {
	MaxBytes  ByteSize `yaml:"max_bytes"`
	MaxDepth  int      `yaml:"max_depth"`
	MaxNodes  int      `yaml:"max_nodes"`
	MaxIn     int      `yaml:"max_in"`
	MaxRegex  int      `yaml:"max_regex"`
	MaxStages int      `yaml:"max_stages"`
}

// Auth configures token issuing and local sign-in.
type Auth struct {
	Issuer             string       `yaml:"issuer"`
	Audience           string       `yaml:"audience"`
	AccessTokenTTL     Duration     `yaml:"access_token_ttl"`
	SigningKeyRotation Duration     `yaml:"signing_key_rotation"`
	Refresh            Refresh      `yaml:"refresh"`
	Local              LocalAuth    `yaml:"local"`
	Password           Password     `yaml:"password"`
	Lockout            Lockout      `yaml:"lockout"`
	RateLimit          RateLimit    `yaml:"rate_limit"`
	MFA                MFA          `yaml:"mfa"`
	APIKeys            APIKeys      `yaml:"api_keys"`
	Registration       Registration `yaml:"registration"`
}

// Refresh sets the lifetimes of sessions and their refresh tokens.
type Refresh struct {
	TTL        Duration `yaml:"ttl"`         // absolute, from sign-in
	IdleTTL    Duration `yaml:"idle_ttl"`    // since the last refresh
	ReuseGrace Duration `yaml:"reuse_grace"` // a rotated token still works this long
}

// Lockout bounds password guessing per account.
type Lockout struct {
	MaxFailures int      `yaml:"max_failures"`
	Window      Duration `yaml:"window"`
	Duration    Duration `yaml:"duration"`
}

// RateLimit is a token bucket per client address on anonymous endpoints.
type RateLimit struct {
	PerMinute int `yaml:"per_minute"`
	Burst     int `yaml:"burst"`
}

// MFA configures second factors.
type MFA struct {
	// RequiredRoles lists roles whose members must use a second factor;
	// such a member without one may only enrol.
	RequiredRoles []string `yaml:"required_roles"`
	TokenTTL      Duration `yaml:"token_ttl"` // between the password and the code
}

// APIKeys bounds API key lifetimes.
type APIKeys struct {
	DefaultTTL    Duration `yaml:"default_ttl"`
	MaxTTL        Duration `yaml:"max_ttl"`
	RotationGrace Duration `yaml:"rotation_grace"`
}

// Registration switches self-registration on the public listener.
type Registration struct {
	Enabled bool `yaml:"enabled"`
}

// LocalAuth switches username/password sign-in.
type LocalAuth struct {
	Enabled bool `yaml:"enabled"`
}

// Password sets the password policy and the argon2id cost.
type Password struct {
	MinLength     int      `yaml:"min_length"`
	MaxLength     int      `yaml:"max_length"`
	Argon2Time    int      `yaml:"argon2_time"`
	Argon2Memory  ByteSize `yaml:"argon2_memory"`
	Argon2Threads int      `yaml:"argon2_threads"`
	MaxConcurrent int      `yaml:"max_concurrent"`
}

// ACL tunes access control.
type ACL struct {
	AdminsBypass bool `yaml:"admins_bypass"`
}

// Collections tunes collection handling.
type Collections struct {
	AutoCreate bool `yaml:"auto_create"`
}

// HTTP tunes the HTTP servers of both listeners.
type HTTP struct {
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	ReadTimeout       Duration `yaml:"read_timeout"`
	WriteTimeout      Duration `yaml:"write_timeout"`
	IdleTimeout       Duration `yaml:"idle_timeout"`
	MaxHeaderBytes    ByteSize `yaml:"max_header_bytes"`
	// MaxConcurrentStreams bounds HTTP/2 streams (gRPC calls) per connection.
	MaxConcurrentStreams int `yaml:"max_concurrent_streams"`
	// MaxConnsPerAddress bounds open connections from one client address,
	// on every listener.
	MaxConnsPerAddress int `yaml:"max_conns_per_address"`
	// CORSOrigins lists the browser origins allowed to call the public
	// listener; none by default.
	CORSOrigins []string `yaml:"cors_origins"`
}

// Log configures the server log.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default returns the configuration used for every key a file or the
// environment leaves unset. It is the only place defaults are written down;
// testdata/defaults.yaml and docs/configuration.md are checked against it.
func Default() Config {
	return Config{
		Data: "./rampart-data",
		Site: Site{ID: "local"},
		Listen: Listen{
			Public: "127.0.0.1:8443",
			Admin:  "127.0.0.1:8444",
		},
		// An empty, non-nil list so a decoded "hosts: []" equals the default.
		TLS: TLS{Hosts: []string{}},
		Database: Database{
			Driver:   DriverSQLite,
			SQLite:   SQLite{ReadConns: 4, BusyTimeout: Duration(5 * time.Second), MaxBatch: 256},
			Postgres: Postgres{MaxConns: 16, MaxBatch: 256},
		},
		Limits:      defaultLimits(),
		Auth:        defaultAuth(),
		ACL:         ACL{AdminsBypass: true},
		Collections: Collections{AutoCreate: true},
		HTTP: HTTP{
			ReadHeaderTimeout: Duration(10 * time.Second),
			ReadTimeout:       Duration(60 * time.Second),
			WriteTimeout:      Duration(60 * time.Second),
			IdleTimeout:       Duration(120 * time.Second),
			MaxHeaderBytes:    64 * KiB,

			MaxConcurrentStreams: 100,
			MaxConnsPerAddress:   256,
			CORSOrigins:          []string{},
		},
		Log: Log{Level: "info", Format: "text"},
	}
}

func defaultLimits() Limits {
	return Limits{
		MaxBody:         16 * MiB,
		MaxFrame:        16 * MiB,
		MaxInFlight:     128,
		MaxDocument:     4 * MiB,
		MaxDepth:        32,
		DefaultPageSize: 100,
		MaxPageSize:     1000,
		Query: QueryLimits{
			MaxBytes:  64 * KiB,
			MaxDepth:  8,
			MaxNodes:  256,
			MaxIn:     1000,
			MaxRegex:  256,
			MaxStages: 16,
		},
	}
}

func defaultAuth() Auth {
	return Auth{
		Audience:           "rampart",
		AccessTokenTTL:     Duration(10 * time.Minute),
		SigningKeyRotation: Duration(24 * time.Hour),
		Refresh: Refresh{
			TTL:        Duration(30 * 24 * time.Hour),
			IdleTTL:    Duration(7 * 24 * time.Hour),
			ReuseGrace: Duration(5 * time.Second),
		},
		Local:     LocalAuth{Enabled: true},
		Lockout:   Lockout{MaxFailures: 5, Window: Duration(15 * time.Minute), Duration: Duration(15 * time.Minute)},
		RateLimit: RateLimit{PerMinute: 300, Burst: 20},
		MFA:       MFA{RequiredRoles: []string{}, TokenTTL: Duration(5 * time.Minute)},
		APIKeys: APIKeys{
			DefaultTTL:    Duration(90 * 24 * time.Hour),
			MaxTTL:        Duration(365 * 24 * time.Hour),
			RotationGrace: Duration(24 * time.Hour),
		},
		Password: Password{
			MinLength:     12,
			MaxLength:     128,
			Argon2Time:    2,
			Argon2Memory:  19 * MiB,
			Argon2Threads: 1,
			MaxConcurrent: 4,
		},
	}
}

package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		want    func(c *Config)
		wantErr []string
	}{
		{name: "string", env: []string{"RAMPART_LISTEN_PUBLIC=0.0.0.0:443"},
			want: func(c *Config) { c.Listen.Public = "0.0.0.0:443" }},
		{name: "nested string", env: []string{"RAMPART_DATABASE_POSTGRES_URL=postgres://db/rampart"},
			want: func(c *Config) { c.Database.Postgres.URL = "postgres://db/rampart" }},
		{name: "bool", env: []string{"RAMPART_ACL_ADMINS_BYPASS=false"},
			want: func(c *Config) { c.ACL.AdminsBypass = false }},
		{name: "int", env: []string{"RAMPART_LIMITS_QUERY_MAX_IN= 50 "},
			want: func(c *Config) { c.Limits.Query.MaxIn = 50 }},
		{name: "duration", env: []string{"RAMPART_AUTH_ACCESS_TOKEN_TTL=15m"},
			want: func(c *Config) { c.Auth.AccessTokenTTL = Duration(15 * time.Minute) }},
		{name: "byte size", env: []string{"RAMPART_LIMITS_MAX_BODY=32MiB"},
			want: func(c *Config) { c.Limits.MaxBody = 32 * MiB }},
		{name: "list", env: []string{"RAMPART_TLS_HOSTS=rampart.example, 10.0.0.7,"},
			want: func(c *Config) { c.TLS.Hosts = []string{"rampart.example", "10.0.0.7"} }},
		{name: "empty list", env: []string{"RAMPART_TLS_HOSTS="}},
		{name: "last assignment wins", env: []string{"RAMPART_LOG_LEVEL=warn", "RAMPART_LOG_LEVEL=debug"},
			want: func(c *Config) { c.Log.Level = "debug" }},
		{name: "unrelated and allowlisted variables are ignored",
			env: []string{"HOME=/root", "RAMPART_CONFIG=/etc/rampart.yaml", "RAMPART_TEST_POSTGRES=postgres://x", "NOEQUALS"}},
		{name: "the client commands' defaults are not configuration",
			env: []string{"RAMPART_SERVER=https://rampart.example:8443", "RAMPART_ADMIN_SERVER=https://rampart.example:8444", "RAMPART_CA=ca.crt"}},
		{name: "bad bool", env: []string{"RAMPART_ACL_ADMINS_BYPASS=maybe"},
			wantErr: []string{"RAMPART_ACL_ADMINS_BYPASS (acl.admins_bypass): invalid boolean"}},
		{name: "bad int", env: []string{"RAMPART_LIMITS_MAX_DEPTH=3.5"},
			wantErr: []string{"RAMPART_LIMITS_MAX_DEPTH (limits.max_depth): invalid integer"}},
		{name: "int overflow", env: []string{"RAMPART_LIMITS_MAX_DEPTH=99999999999999999999"},
			wantErr: []string{"RAMPART_LIMITS_MAX_DEPTH"}},
		{name: "bad duration", env: []string{"RAMPART_HTTP_READ_TIMEOUT=60"},
			wantErr: []string{"RAMPART_HTTP_READ_TIMEOUT (http.read_timeout): invalid duration"}},
		{name: "bad byte size", env: []string{"RAMPART_LIMITS_MAX_BODY=16 megs"},
			wantErr: []string{"RAMPART_LIMITS_MAX_BODY (limits.max_body): invalid byte size"}},
		{name: "typo", env: []string{"RAMPART_LISTEN_PUBLC=:1"},
			wantErr: []string{"RAMPART_LISTEN_PUBLC: unknown configuration variable (did you mean RAMPART_LISTEN_PUBLIC?)"}},
		{name: "section name alone", env: []string{"RAMPART_LISTEN=x"},
			wantErr: []string{"RAMPART_LISTEN: unknown configuration variable"}},
		{name: "every problem at once",
			env:     []string{"RAMPART_LOG_LEVL=debug", "RAMPART_LIMITS_MAX_DEPTH=x", "RAMPART_HTTP_IDLE_TIMEOUT=y"},
			wantErr: []string{"RAMPART_LOG_LEVL", "RAMPART_LIMITS_MAX_DEPTH", "RAMPART_HTTP_IDLE_TIMEOUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load("", tt.env)
			if tt.wantErr != nil {
				wantErrContains(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			if tt.want != nil {
				tt.want(&want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestEnvOverridesFile(t *testing.T) {
	path := writeConfig(t, "listen:\n  public: 127.0.0.1:1\n  admin: 127.0.0.1:2\n")
	got, err := Load(path, []string{"RAMPART_LISTEN_PUBLIC=127.0.0.1:3"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Listen.Public != "127.0.0.1:3" || got.Listen.Admin != "127.0.0.1:2" {
		t.Errorf("listen = %+v, want public from env and admin from file", got.Listen)
	}
}

// TestEveryKeyHasAWorkingVariable sets each key's variable to the text of a
// changed value and checks the key, and only that key, took it.
func TestEveryKeyHasAWorkingVariable(t *testing.T) {
	var probe Config
	for _, f := range fields(&probe) {
		t.Run(f.env, func(t *testing.T) {
			want := Default()
			target := fieldByKey(&want, f.key)
			changeValue(target)
			got, err := Load("", []string{f.env + "=" + textOf(t, target)})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s did not set %s alone", f.env, f.key)
			}
		})
	}
}

func TestEnvNamesFollowTheRule(t *testing.T) {
	seen := map[string]string{}
	var c Config
	for _, f := range fields(&c) {
		want := "RAMPART_" + strings.ToUpper(strings.ReplaceAll(f.key, ".", "_"))
		if f.env != want {
			t.Errorf("%s: variable %s, want %s", f.key, f.env, want)
		}
		if other, dup := seen[f.env]; dup {
			t.Errorf("%s and %s share the variable %s", other, f.key, f.env)
		}
		seen[f.env] = f.key
	}
	if name, ok := EnvName("limits.query.max_in"); !ok || name != "RAMPART_LIMITS_QUERY_MAX_IN" {
		t.Errorf("EnvName(limits.query.max_in) = %q, %v", name, ok)
	}
	if _, ok := EnvName("limits.query"); ok {
		t.Error("EnvName accepted a section")
	}
}

func fieldByKey(c *Config, key string) reflect.Value {
	for _, f := range fields(c) {
		if f.key == key {
			return f.value
		}
	}
	panic("no key " + key)
}

// changeValue sets v to something other than its default.
func changeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int()*2 + 1024)
	case reflect.Slice:
		v.Set(reflect.ValueOf([]string{"a.example", "10.1.2.3"}))
	}
}

package config

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/defaults.yaml from Default()")

func TestLoadDecoding(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    func(c *Config) // edits Default() into the expected result
		wantErr []string        // substrings of the error; nil means success
	}{
		{name: "empty file keeps defaults", yaml: ""},
		{name: "comments only", yaml: "# nothing here\n"},
		{name: "explicit null", yaml: "~\n"},
		{
			name: "partial section keeps sibling defaults",
			yaml: "listen:\n  public: 0.0.0.0:9443\n",
			want: func(c *Config) { c.Listen.Public = "0.0.0.0:9443" },
		},
		{
			name: "every leaf kind",
			yaml: `
site: {id: edge-1}
listen: {insecure_http: true}
tls: {hosts: [rampart.example, 10.0.0.7]}
database: {sqlite: {busy_timeout: 2s, read_conns: 8}}
limits: {max_body: 512, max_document: 64KiB}
auth: {password: {argon2_memory: 1GiB}}
`,
			want: func(c *Config) {
				c.Site.ID = "edge-1"
				c.Listen.InsecureHTTP = true
				c.TLS.Hosts = []string{"rampart.example", "10.0.0.7"}
				c.Database.SQLite.BusyTimeout = Duration(2 * time.Second)
				c.Database.SQLite.ReadConns = 8
				c.Limits.MaxBody = 512
				c.Limits.MaxDocument = 64 * KiB
				c.Auth.Password.Argon2Memory = GiB
			},
		},
		{name: "unknown top-level key", yaml: "data: x\nlisen:\n  public: a:1\n",
			wantErr: []string{"rampart.yaml:2: lisen: unknown key", "did you mean listen?"}},
		{name: "unknown nested key", yaml: "listen:\n  pubic: a:1\n",
			wantErr: []string{":2: listen.pubic: unknown key (did you mean public?)"}},
		{name: "all unknown keys at once", yaml: "foo: 1\nlimits:\n  query:\n    max_inn: 3\n",
			wantErr: []string{":1: foo: unknown key", ":4: limits.query.max_inn: unknown key"}},
		{name: "wrong type", yaml: "limits:\n  max_depth: deep\n",
			wantErr: []string{":2: limits.max_depth: cannot unmarshal"}},
		{name: "wrong type in list", yaml: "tls:\n  hosts: {a: b}\n",
			wantErr: []string{"tls.hosts"}},
		{name: "bad duration", yaml: "auth:\n  access_token_ttl: 10\n",
			wantErr: []string{":2: auth.access_token_ttl: invalid duration"}},
		{name: "bad byte size", yaml: "limits: {max_body: lots}\n",
			wantErr: []string{":1: limits.max_body: invalid byte size"}},
		{name: "several bad values at once", yaml: "limits: {max_body: lots}\nhttp:\n  idle_timeout: soon\n",
			wantErr: []string{"limits.max_body: invalid byte size", ":3: http.idle_timeout: invalid duration"}},
		{name: "two keys on one line name their parent", yaml: "database: {sqlite: {read_conns: x, max_batch: y}}\n",
			wantErr: []string{":1: database.sqlite: cannot unmarshal"}},
		{name: "empty section", yaml: "listen:\n",
			wantErr: []string{":1: listen: empty section"}},
		{name: "scalar for a section", yaml: "listen: 127.0.0.1:1\n",
			wantErr: []string{"listen: want a mapping"}},
		{name: "repeated key", yaml: "data: a\nlimits:\n  max_depth: 1\n  max_depth: 2\n",
			wantErr: []string{":4: limits.max_depth: repeated key (first at line 3)"}},
		{name: "every kind of problem at once", yaml: "foo: 1\nsite:\n  id: a\n  id: b\nlimits:\n  max_depth: deep\n",
			wantErr: []string{":1: foo: unknown key\n", ":4: site.id: repeated key", ":6: limits.max_depth: cannot unmarshal"}},
		{name: "two documents", yaml: "data: a\n---\ndata: b\n", wantErr: []string{"exactly one YAML document"}},
		{name: "top level list", yaml: "- a\n", wantErr: []string{"top level must be a mapping"}},
		{name: "syntax error", yaml: "listen:\n  public: [\n", wantErr: []string{"rampart.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeConfig(t, tt.yaml), nil)
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

func TestLoadWithoutFile(t *testing.T) {
	got, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("Load(\"\") = %+v, want defaults", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("/nonexistent/rampart.yaml", nil)
	wantErrContains(t, err, "read config", "/nonexistent/rampart.yaml")
}

func TestLoadReportsFileAndEnvProblemsTogether(t *testing.T) {
	_, err := Load(writeConfig(t, "lisen: {}\n"), []string{"RAMPART_LOG_LEVL=debug"})
	wantErrContains(t, err, "lisen: unknown key", "RAMPART_LOG_LEVL: unknown configuration variable")
}

func TestDefaultsGolden(t *testing.T) {
	const golden = "testdata/defaults.yaml"
	rendered, err := Default().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, rendered, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(rendered) != string(want) {
		t.Errorf("Default() renders differently from %s (run go test -update):\n%s", golden, rendered)
	}
	loaded, err := Load(golden, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, Default()) {
		t.Errorf("Load(%s) = %+v, want Default()", golden, loaded)
	}
}

func TestYAMLRoundTripsAChangedConfig(t *testing.T) {
	c := Default()
	c.TLS.Hosts = []string{"a.example"}
	c.Limits.MaxBody = 1000
	c.Auth.AccessTokenTTL = Duration(90 * time.Minute)
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(writeConfig(t, string(out)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip changed the config:\n%s", out)
	}
	if !strings.Contains(string(out), "access_token_ttl: 1h30m") {
		t.Errorf("durations should render short:\n%s", out)
	}
}

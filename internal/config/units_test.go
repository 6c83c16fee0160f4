package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr bool
	}{
		{in: "512", want: 512},
		{in: "0", want: 0},
		{in: "512B", want: 512},
		{in: "64KiB", want: 64 * KiB},
		{in: "16MiB", want: 16 * MiB},
		{in: "16 MiB", want: 16 * MiB},
		{in: "16mib", want: 16 * MiB},
		{in: "1GiB", want: GiB},
		{in: "2TiB", want: 2 * TiB},
		{in: "10KB", want: 10_000},
		{in: "3MB", want: 3_000_000},
		{in: " 1GB ", want: 1_000_000_000},
		{in: "", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "1.5MiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "12XB", wantErr: true},
		{in: "9999999999TiB", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseByteSize(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := map[ByteSize]string{
		0: "0B", 512: "512B", 1000: "1000B", KiB: "1KiB", 1536: "1536B",
		19 * MiB: "19MiB", 1536 * KiB: "1536KiB", 4 * GiB: "4GiB", 3 * TiB: "3TiB",
	}
	for in, want := range tests {
		if got := in.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(in), got, want)
		}
		back, err := ParseByteSize(want)
		if err != nil || back != in {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", want, back, err, int64(in))
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0s", 5 * time.Second: "5s", 10 * time.Minute: "10m", 24 * time.Hour: "24h",
		90 * time.Minute: "1h30m", time.Hour + 5*time.Second: "1h0m5s", 1500 * time.Millisecond: "1.5s",
	}
	for in, want := range tests {
		if got := Duration(in).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", in, got, want)
		}
		var back Duration
		if err := back.UnmarshalText([]byte(want)); err != nil || back.Duration() != in {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", want, back, err, in)
		}
	}
}

func TestRedacted(t *testing.T) {
	tests := []struct {
		name, field, in, want string
	}{
		{"postgres url password", "pg", "postgres://app:s3cret@db:5432/rampart?sslmode=verify-full",
			"postgres://app:REDACTED@db:5432/rampart?sslmode=verify-full"},
		{"postgres url without password", "pg", "postgres://app@db/rampart", "postgres://app@db/rampart"},
		{"postgres url query password", "pg", "postgres://db/rampart?password=s3cret&user=app",
			"postgres://db/rampart?password=REDACTED&user=app"},
		{"postgres keyword form", "pg", "host=db user=app password=s3cret dbname=rampart",
			"host=db user=app password=REDACTED dbname=rampart"},
		{"postgres keyword quoted", "pg", "host=db password='s3 cret' sslpassword = k3y",
			"host=db password=REDACTED sslpassword = REDACTED"},
		{"postgres unparsable url", "pg", "postgres://app:s3cret@db:port/x", "REDACTED"},
		{"nats token", "nats", "nats://s3cret@bus:4222", "nats://REDACTED@bus:4222"},
		{"nats cluster with user", "nats", "nats://u:s3cret@a:4222,tls://b:4222", "nats://REDACTED@a:4222,tls://b:4222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			if tt.field == "pg" {
				c.Database.Postgres.URL = tt.in
			} else {
				c.NATS.URL = tt.in
			}
			r := c.Redacted()
			got := r.Database.Postgres.URL
			if tt.field != "pg" {
				got = r.NATS.URL
			}
			if got != tt.want {
				t.Errorf("redacted %q = %q, want %q", tt.in, got, tt.want)
			}
			out, err := r.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "s3cret") || strings.Contains(string(out), "k3y") {
				t.Errorf("secret left in rendered config:\n%s", out)
			}
		})
	}
}

func TestRedactedLeavesTheOriginalAlone(t *testing.T) {
	c := Default()
	c.Database.Postgres.URL = "postgres://app:s3cret@db/rampart"
	_ = c.Redacted()
	if c.Database.Postgres.URL != "postgres://app:s3cret@db/rampart" {
		t.Error("Redacted changed its receiver")
	}
}

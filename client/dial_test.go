package client

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDialRefusesBadURLs checks every malformed or unsupported URL is
// refused with a typed error before anything is dialled.
func TestDialRefusesBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"", ErrInvalidURL},
		{"127.0.0.1:8443", ErrInvalidURL},
		{"://x", ErrInvalidURL},
		{"https://", ErrInvalidURL},
		{"https://:8443", ErrInvalidURL},
		{"https://user:secret@127.0.0.1:8443", ErrInvalidURL},
		{"https://127.0.0.1:8443/?token=x", ErrInvalidURL},
		{"https://127.0.0.1:8443/#frag", ErrInvalidURL},
		{"https://127.0.0.1:port", ErrInvalidURL},
		{"https://127.0.0.1:8443/\x00", ErrInvalidURL},
		{"https://" + strings.Repeat("a", 3000), ErrInvalidURL},
		{"grpcs://127.0.0.1:8443/some/path", ErrInvalidURL},
		{"tcp+tls://127.0.0.1:9000/x", ErrInvalidURL},
		{"unix://", ErrInvalidURL},
		{"unix://host/sock", ErrInvalidURL},
		{"mailto:root@example.com", ErrInvalidURL},
		{"http://127.0.0.1:8443", ErrUnsupportedScheme},
		{"ftp://127.0.0.1", ErrUnsupportedScheme},
		{"ws://", ErrInvalidURL},
		{"javascript://alert(1)", ErrUnsupportedScheme},
	} {
		c, err := Dial(ctx, tc.url)
		if !errors.Is(err, tc.want) {
			t.Errorf("Dial(%q) = %v, want %v", tc.url, err, tc.want)
		}
		if c != nil {
			t.Errorf("Dial(%q) returned a client with its error", tc.url)
		}
	}
}

func TestDialRefusesBadAdminURLs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"nonsense", ErrInvalidURL},
		{"https://u:p@127.0.0.1:8444", ErrInvalidURL},
		{"wss://127.0.0.1:8444", ErrUnsupportedScheme},
		{"unix:///run/rampart.sock", ErrUnsupportedScheme},
	} {
		if _, err := Dial(ctx, "https://127.0.0.1:8443", WithAdminURL(tc.url)); !errors.Is(err, tc.want) {
			t.Errorf("admin %q: %v, want %v", tc.url, err, tc.want)
		}
	}
}

func TestDialRefusesBadCAFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := Dial(ctx, "https://127.0.0.1:8443", WithCAFile(dir+"/absent.crt")); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
	notPEM := writeFile(t, dir, "junk.crt", "this is not a certificate")
	if _, err := Dial(ctx, "https://127.0.0.1:8443", WithCAFile(notPEM)); !IsCode(err, InvalidArgument) {
		t.Fatalf("a CA file without certificates: %v", err)
	}
}

func TestAdminCallsNeedAdminURL(t *testing.T) {
	c, err := Dial(context.Background(), "https://127.0.0.1:8443")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateUser(context.Background(), NewUser{Username: "x"}); !errors.Is(err, ErrNoAdminURL) {
		t.Fatalf("CreateUser without an admin URL: %v", err)
	}
	n := 0
	for _, err := range c.ListRoles(context.Background()) {
		n++
		if !errors.Is(err, ErrNoAdminURL) {
			t.Fatalf("ListRoles without an admin URL: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("ListRoles yielded %d times, want the one error", n)
	}
}

package config

import (
	"slices"
	"testing"
)

func TestChanged(t *testing.T) {
	a, b := Default(), Default()
	if got := Changed(a, b); len(got) != 0 {
		t.Fatalf("defaults differ from themselves: %v", got)
	}
	b.Log.Level = "debug"
	b.Auth.MFA.RequiredRoles = []string{"admins"}
	b.Listen.Public = "127.0.0.1:9443"
	want := []string{"listen.public", "auth.mfa.required_roles", "log.level"}
	if got := Changed(a, b); !slices.Equal(got, want) {
		t.Fatalf("Changed = %v, want %v", got, want)
	}
}

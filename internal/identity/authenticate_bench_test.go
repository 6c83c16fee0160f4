package identity_test

import (
	"testing"

	"rampart.dev/rampart/internal/identity"
)

// BenchmarkAuthenticate measures a warm request's credential check: an
// access token (signature cache, session cache, directory) and an API key
// (key cache, directory), alone and from every core at once.
func BenchmarkAuthenticate(b *testing.B) {
	n := newKeyNode(b, identity.Options{})
	if _, err := n.CreateUser(ctx, identity.System, identity.NewUser{Username: "alice", Password: "alice-password-123"}); err != nil {
		b.Fatal(err)
	}
	res, err := n.Login(ctx, "alice", "alice-password-123", identity.Meta{})
	if err != nil || res.Tokens == nil {
		b.Fatalf("login: %v", err)
	}
	sess, err := n.Authenticate(ctx, res.Tokens.AccessToken)
	if err != nil {
		b.Fatal(err)
	}
	key, err := n.CreateAPIKey(ctx, sess, "", identity.APIKeyRequest{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for _, cred := range []struct{ name, value string }{{"token", res.Tokens.AccessToken}, {"apikey", key.Key}} {
		if _, err := n.Authenticate(ctx, cred.value); err != nil { // warm the caches
			b.Fatal(err)
		}
		b.Run(cred.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Authenticate(ctx, cred.value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(cred.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := n.Authenticate(ctx, cred.value); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

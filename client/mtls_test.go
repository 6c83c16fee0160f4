package client_test

import (
	"crypto/tls"
	"testing"

	"rampart.dev/rampart/client"
	"rampart.dev/rampart/internal/config"
)

// TestClientCertificate reaches an admin listener that requires client
// certificates with one given through WithTLSConfig, over both HTTP
// protocols, and is turned away without it.
func TestClientCertificate(t *testing.T) {
	clients := newCA(t, "admin-clients")
	h := startNode(t, func(c *config.Config) { c.TLS.AdminClientCAFile = clients.file })
	cert := clients.client(t, "operator")
	for _, scheme := range []string{"https", "grpcs"} {
		t.Run(scheme, func(t *testing.T) {
			ctx := ctxT(t)
			public, admin := scheme+"://"+hostOf(h.PublicURL), scheme+"://"+hostOf(h.AdminURL)
			with, err := client.Dial(ctx, public, client.WithCAFile(h.Node.Info.CAFile), client.WithAdminURL(admin),
				client.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
			if err != nil {
				t.Fatal(err)
			}
			defer with.Close()
			if err := with.LoginPassword(ctx, rootName, rootPass); err != nil {
				t.Fatal(err)
			}
			if _, err := with.FindUser(ctx, rootName); err != nil {
				t.Fatalf("admin call with a client certificate: %v", err)
			}

			without, err := client.Dial(ctx, public, client.WithCAFile(h.Node.Info.CAFile), client.WithAdminURL(admin),
				client.WithTokens(with.Tokens()))
			if err != nil {
				t.Fatal(err)
			}
			defer without.Close()
			if _, err := without.Me(ctx); err != nil {
				t.Fatalf("the public listener asks for no certificate: %v", err)
			}
			_, err = without.FindUser(ctx, rootName)
			wantCode(t, "admin call without a client certificate", err, client.Unavailable)
		})
	}
}

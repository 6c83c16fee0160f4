package client_test

import (
	"testing"

	"rampart.dev/rampart/client"
	"rampart.dev/rampart/internal/config"
)

// TestCleartextGRPC reaches a node run with insecure_http over grpc://,
// gRPC on HTTP/2 without TLS.
func TestCleartextGRPC(t *testing.T) {
	h := startNode(t, func(c *config.Config) { c.Listen.InsecureHTTP = true })
	n := &node{h: h, tr: transport{name: "grpc"},
		public: "grpc://" + hostOf(h.PublicURL), admin: "grpc://" + hostOf(h.AdminURL)}
	ctx := ctxT(t)
	c, err := client.Dial(ctx, n.public, client.WithAdminURL(n.admin))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.LoginPassword(ctx, rootName, rootPass); err != nil {
		t.Fatalf("login: %v", err)
	}
	d, err := c.Insert(ctx, "plain", map[string]any{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "plain", d.ID); err != nil || got.Version != 1 {
		t.Fatalf("Get: %+v %v", got, err)
	}
	w := c.Watch(ctx, "plain", client.Since(0))
	if ev := <-w.Events(); ev.ID != d.ID {
		t.Fatalf("watch: %+v %v", ev, w.Err())
	}
	w.Close()
	if _, err := c.CreateUser(ctx, client.NewUser{Username: "plainuser", Password: "plain has a long password"}); err != nil {
		t.Fatalf("admin over grpc://: %v", err)
	}

	// TLS clients do not fall back to cleartext.
	tls, err := client.Dial(ctx, "grpcs://"+hostOf(h.PublicURL))
	if err != nil {
		t.Fatal(err)
	}
	defer tls.Close()
	wantCode(t, "grpcs:// to a cleartext listener", tls.LoginPassword(ctx, rootName, rootPass), client.Unavailable)
}

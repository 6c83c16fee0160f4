package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
)

// startInProcess runs a node inside the bench, configured as `rampart serve`
// would be (defaults plus a data directory and loopback ports), and points o
// at it. With both ends in one process a CPU profile shows the server's
// share next to the client's; the figures are for profiling, not for the
// table of record.
func startInProcess(ctx context.Context, o *options) (func(), error) {
	cfg := config.Default()
	cfg.Data = o.inProcess
	cfg.Listen.Public, cfg.Listen.Admin = "127.0.0.1:0", "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	node, err := app.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	o.adminUser, o.adminPassword = "bench-admin-"+strings.ToLower(rand.Text()[:8]), rand.Text()
	id := node.Services().Identity
	u, err := id.CreateUser(ctx, identity.System, identity.NewUser{Username: o.adminUser, Password: o.adminPassword})
	if err == nil {
		err = id.AddToAdmins(ctx, u.ID)
	}
	if err == nil {
		err = node.Start(ctx)
	}
	if err != nil {
		node.Close()
		return nil, fmt.Errorf("in-process node: %w", err)
	}
	pub, adm := node.Addrs()
	o.server, o.admin, o.ca = "https://"+pub, "https://"+adm, node.Info.CAFile
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		node.Shutdown(sctx)
	}, nil
}

package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
)

func newServe() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: "Run the server. With no flags it keeps its data in ./rampart-data, serves the public API on\n" +
			"https://127.0.0.1:8443 and the admin API on https://127.0.0.1:8444, using an embedded\n" +
			"SQLite database, an embedded NATS server and a generated local CA.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cfg)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			node, err := app.Open(ctx, cfg, log)
			if err != nil {
				return err
			}
			if err := node.Start(ctx); err != nil {
				return err
			}
			if ok, err := node.Services().Identity.HasAdmin(ctx); err == nil && !ok {
				log.Warn(fmt.Sprintf("no admin exists yet; create one with: rampart admin create --data %s --username NAME --password-stdin", cfg.Data))
			}
			<-ctx.Done()
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			return node.Shutdown(sctx)
		},
	}
	f.register(cmd, true)
	return cmd
}

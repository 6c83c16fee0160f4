package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/config"
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
			log, level := newLogger(cfg)
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
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			r := reloader{f: &f, cmd: cmd, node: node, log: log, level: level, cur: cfg}
			for done := false; !done; {
				select {
				case <-hup:
					r.reload(ctx)
				case <-ctx.Done():
					done = true
				}
			}
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			return node.Shutdown(sctx)
		},
	}
	f.register(cmd, true)
	return cmd
}

// reloader applies a changed configuration on SIGHUP: what can change while
// running (the log level) at once, the rest is named as needing a restart.
// Every reload, good or refused, is audited.
type reloader struct {
	f     *serverFlags
	cmd   *cobra.Command
	node  *app.Node
	log   *slog.Logger
	level *slog.LevelVar
	cur   config.Config
}

// live are the keys a reload applies without a restart.
var live = map[string]bool{"log.level": true}

func (r *reloader) reload(ctx context.Context) {
	next, err := r.f.load(r.cmd)
	ev := audit.Event{Kind: audit.ConfigReload, Actor: "system"}
	if err != nil {
		r.log.Error("configuration reload refused; keeping the running one", "err", err)
		ev.Data = map[string]any{"ok": false}
	} else {
		var applied, restart []string
		for _, k := range config.Changed(r.cur, next) {
			if live[k] {
				applied = append(applied, k)
			} else {
				restart = append(restart, k)
			}
		}
		if slices.Contains(applied, "log.level") {
			r.level.Set(parseLevel(next.Log.Level))
			r.cur.Log.Level = next.Log.Level
		}
		r.log.Info("configuration reloaded", "applied", applied, "need_restart", restart)
		ev.Data = map[string]any{"ok": true, "applied": applied, "need_restart": restart}
	}
	if err := r.node.Audit(ctx, ev); err != nil {
		r.log.Error("audit of a configuration reload failed", "err", err)
	}
}

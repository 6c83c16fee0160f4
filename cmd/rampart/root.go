package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Rampart: identity, ACL-guarded documents and more, in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newAdmin(), newKeys(), newConfigCmd(), newAuditCmd(), newVersion())
	// Client commands, which talk to a running server.
	root.AddCommand(newLogin(), newLogout(), newDocCmd(), newUserCmd(), newRoleCmd(), newAPIKeyCmd())
	return root
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "rampart", versionString())
		},
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// serverFlags are the flags that override configuration keys.
type serverFlags struct {
	config, data, listen, adminListen string
	insecureHTTP                      bool
}

func (f *serverFlags) register(cmd *cobra.Command, listeners bool) {
	cmd.Flags().StringVar(&f.config, "config", "", "YAML configuration file (also RAMPART_CONFIG)")
	cmd.Flags().StringVar(&f.data, "data", "", "data directory (default ./rampart-data)")
	if listeners {
		cmd.Flags().StringVar(&f.listen, "listen", "", "public listener address (default 127.0.0.1:8443)")
		cmd.Flags().StringVar(&f.adminListen, "admin-listen", "", "admin listener address (default 127.0.0.1:8444)")
		cmd.Flags().BoolVar(&f.insecureHTTP, "insecure-http", false, "serve plaintext HTTP instead of TLS (never in production)")
	}
}

// load builds the configuration: defaults, then the file, then RAMPART_*
// variables, then flags; it refuses an invalid result with every problem.
func (f *serverFlags) load(cmd *cobra.Command) (config.Config, error) {
	path := f.config
	if path == "" {
		path = os.Getenv("RAMPART_CONFIG")
	}
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return config.Config{}, err
	}
	set := cmd.Flags().Changed
	if set("data") {
		cfg.Data = f.data
	}
	if set("listen") {
		cfg.Listen.Public = f.listen
	}
	if set("admin-listen") {
		cfg.Listen.Admin = f.adminListen
	}
	if set("insecure-http") {
		cfg.Listen.InsecureHTTP = f.insecureHTTP
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, fmt.Errorf("invalid configuration:\n%s", indent(err.Error()))
	}
	return cfg, nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// newLogger builds the process log; its level can change while running.
func newLogger(cfg config.Config) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	level.Set(parseLevel(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), level
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts)), level
}

func parseLevel(s string) slog.Level {
	var level slog.Level
	_ = level.UnmarshalText([]byte(s)) // validated with the configuration
	return level
}

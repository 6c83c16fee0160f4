package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
)

// newAdminRecover issues a break-glass token: whoever can reach the data
// directory or the database may sign in as a user once, even with password
// sign-in switched off.
func newAdminRecover() *cobra.Command {
	var f serverFlags
	var username string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Issue a one-time break-glass sign-in for a user",
		Long: "Prints a one-time recovery token for the user on standard output. Trade it for a session with\n" +
			"POST /api/v1/auth/recover {\"token\": \"...\"}; it works once, until it expires, even when\n" +
			"auth.local.enabled is false or the account is locked. Issuing and using it are audited.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			return withIdentity(cmd.Context(), cfg, func(id *identity.Service) error {
				tok, until, err := id.IssueRecovery(cmd.Context(), username, ttl)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "one-time recovery token for %q, valid until %s; use it with POST /api/v1/auth/recover\n",
					username, until.Format(time.RFC3339))
				fmt.Fprintln(cmd.OutOrStdout(), tok)
				return nil
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&username, "username", "", "the user to sign in as")
	cmd.Flags().DurationVar(&ttl, "ttl", identity.DefaultRecoveryTTL, "how long the token stays valid (1m to 1h)")
	cmd.MarkFlagRequired("username")
	return cmd
}

// newAdminUnlock clears a user's failed sign-ins and lock from the host.
func newAdminUnlock() *cobra.Command {
	var f serverFlags
	var username string
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Clear a user's failed sign-ins and lift its lock",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			return withIdentity(cmd.Context(), cfg, func(id *identity.Service) error {
				user, err := id.UserID(cmd.Context(), username)
				if err != nil {
					return err
				}
				if err := id.Unlock(cmd.Context(), identity.System, user); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "unlocked %q (id %s)\n", username, user)
				return nil
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&username, "username", "", "the user to unlock")
	cmd.MarkFlagRequired("username")
	return cmd
}

// withIdentity opens an existing database and hands fn the identity service.
func withIdentity(ctx context.Context, cfg config.Config, fn func(*identity.Service) error) error {
	return withServices(ctx, cfg, true, func(svc *app.Services) error { return fn(svc.Identity) })
}

// withServices opens the database directly, so host-side commands work
// while a server runs on the same data and before any admin exists. With
// existing set, a data directory without a database is refused instead of
// given a new, empty one.
func withServices(ctx context.Context, cfg config.Config, existing bool, fn func(*app.Services) error) error {
	if existing {
		if err := databaseExists(cfg); err != nil {
			return err
		}
	}
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := app.NewServices(ctx, cfg, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return fn(svc)
}

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
)

func newKeys() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage token signing keys (works on the database directly)"}
	var f serverFlags
	rotate := &cobra.Command{
		Use:   "rotate-signing",
		Short: "Make a new signing key now; tokens signed by the old one stay valid until they expire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			kid, err := rotateSigning(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new signing key %s; running servers adopt it within a minute\n", kid)
			return nil
		},
	}
	f.register(rotate, false)
	cmd.AddCommand(rotate)
	return cmd
}

func rotateSigning(ctx context.Context, cfg config.Config) (string, error) {
	var kid string
	err := withServices(ctx, cfg, true, func(svc *app.Services) error {
		if err := svc.Keys.Rotate(ctx); err != nil {
			return err
		}
		kid = svc.Keys.ActiveKeyID()
		return nil
	})
	return kid, err
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
)

func newAdmin() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Host-side administration (needs the data directory or database)"}
	cmd.AddCommand(newAdminCreate(), newAdminRecover(), newAdminUnlock())
	return cmd
}

func newAdminCreate() *cobra.Command {
	var f serverFlags
	var username string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a user and make it a member of admins",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !fromStdin {
				return errors.New("pass the password on standard input with --password-stdin, never as an argument")
			}
			pw, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			id, err := createAdmin(cmd.Context(), cfg, username, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created admin %q (id %s)\n", username, id)
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&username, "username", "", "the new admin's username")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	cmd.MarkFlagRequired("username")
	return cmd
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password on standard input")
	}
	return pw, nil
}

// createAdmin checks the password before anything is created, then makes
// the user and adds it to admins.
func createAdmin(ctx context.Context, cfg config.Config, username, pw string) (string, error) {
	if err := identity.CheckPassword(pw, username, cfg.Auth.Password.MinLength, cfg.Auth.Password.MaxLength); err != nil {
		return "", err
	}
	var id string
	err := withServices(ctx, cfg, false, func(svc *app.Services) error {
		u, err := svc.Identity.CreateUser(ctx, identity.System, identity.NewUser{Username: username, Password: pw})
		if err != nil {
			return err
		}
		id = u.ID
		return svc.Identity.AddToAdmins(ctx, u.ID)
	})
	return id, err
}

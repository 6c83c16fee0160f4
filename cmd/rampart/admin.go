package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// createAdmin works on the database directly, so it also works before the
// first admin exists and while a server is running on the same data.
func createAdmin(ctx context.Context, cfg config.Config, username, pw string) (string, error) {
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		return "", err
	}
	defer st.Close()
	svc, err := app.NewServices(ctx, cfg, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	u, err := svc.Identity.CreateUser(ctx, identity.System, identity.NewUser{Username: username, Password: pw})
	if err != nil {
		return "", err
	}
	return u.ID, svc.Identity.AddToAdmins(ctx, u.ID)
}

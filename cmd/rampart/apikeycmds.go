package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/client"
)

func newAPIKeyCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys: your own, or as an admin anyone's"}
	f.register(cmd)
	var owner string
	list := keyCmd(&f, "list", "Print API keys as JSON lines (never the keys themselves)", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) error {
			keys, err := c.ListAPIKeys(cmd.Context(), owner)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := printJSON(cmd.OutOrStdout(), keyJSON(k)); err != nil {
					return err
				}
			}
			return nil
		})
	list.Flags().StringVar(&owner, "owner", "", "whose keys (a user id; admins only)")
	cmd.AddCommand(newAPIKeyCreate(&f), list,
		keyCmd(&f, "rotate ID", "Issue a new key for ID and print it once; the old one works for the rotation grace", cobra.ExactArgs(1),
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				k, err := c.RotateAPIKey(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printKey(cmd, k)
			}),
		keyCmd(&f, "revoke ID", "End a key at once", cobra.ExactArgs(1),
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				if err := c.RevokeAPIKey(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "revoked", args[0])
				return nil
			}),
	)
	return cmd
}

// keyCmd is a command that needs a client of the public listener.
func keyCmd(f *clientFlags, use, short string, args cobra.PositionalArgs, run func(*cobra.Command, *client.Client, []string) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect(cmd, false)
			if err != nil {
				return err
			}
			defer c.Close()
			return run(cmd, c, args)
		},
	}
}

func newAPIKeyCreate(f *clientFlags) *cobra.Command {
	var k client.NewAPIKey
	var rights string
	cmd := keyCmd(f, "create", "Create an API key and print it once, alone on standard output", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) error {
			r, err := parseRights(rights)
			if err != nil {
				return err
			}
			k.Scope.Rights = r
			created, err := c.CreateAPIKey(cmd.Context(), k)
			if err != nil {
				return err
			}
			return printKey(cmd, created)
		})
	fl := cmd.Flags()
	fl.StringVar(&k.Name, "name", "", "a name to tell the key apart")
	fl.DurationVar(&k.ExpiresIn, "expires-in", 0, "lifetime, e.g. 720h (default: the server's)")
	fl.StringVar(&rights, "rights", "", "rights the key keeps: a list of create,read,update,delete,invoke,manage or a number (default: all of the owner's)")
	fl.StringSliceVar(&k.Scope.Collections, "collection", nil, "collections the key may touch (default: all)")
	fl.BoolVar(&k.Scope.Admin, "admin", false, "let the key reach the admin listener (an admin's key only)")
	fl.StringVar(&k.Owner, "owner", "", "make the key for this user id (admins only)")
	cmd.MarkFlagRequired("name")
	return cmd
}

// printKey prints the key alone on standard output, so it can be piped,
// and what describes it on standard error.
func printKey(cmd *cobra.Command, k client.CreatedAPIKey) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "API key %s, valid until %s; it is shown only now:\n", k.ID, k.ExpiresAt.UTC().Format(time.RFC3339))
	_, err := fmt.Fprintln(cmd.OutOrStdout(), k.Key)
	return err
}

var rightNames = map[string]client.Rights{
	"create": client.RightCreate, "read": client.RightRead, "update": client.RightUpdate,
	"delete": client.RightDelete, "invoke": client.RightInvoke, "manage": client.RightManage,
}

func parseRights(s string) (client.Rights, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		if n > 63 {
			return 0, fmt.Errorf("--rights %d: the rights mask is at most 63", n)
		}
		return client.Rights(n), nil
	}
	var r client.Rights
	for _, name := range strings.Split(s, ",") {
		bit, ok := rightNames[strings.TrimSpace(name)]
		if !ok {
			return 0, fmt.Errorf("--rights: unknown right %q (create, read, update, delete, invoke, manage)", name)
		}
		r |= bit
	}
	return r, nil
}

// keyJSON is an API key as printed by apikey list.
func keyJSON(k client.APIKey) map[string]any {
	m := map[string]any{
		"id": k.ID, "name": k.Name, "owner": k.Owner, "created_by": k.CreatedBy,
		"created": stamp(k.Created), "expires_at": stamp(k.ExpiresAt),
		"rights": k.Scope.Rights, "collections": k.Scope.Collections, "admin": k.Scope.Admin,
	}
	if !k.LastUsed.IsZero() {
		m["last_used"] = stamp(k.LastUsed)
	}
	if !k.RotatedUntil.IsZero() {
		m["rotated_until"] = stamp(k.RotatedUntil)
	}
	return m
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

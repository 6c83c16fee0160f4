package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"

	"github.com/spf13/cobra"

	"rampart.dev/rampart/client"
)

func newUserCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "user", Short: "Manage users on the admin listener (admins only; output: JSON lines)"}
	f.register(cmd)
	cmd.AddCommand(
		adminCmd(&f, "list", "Print every user", cobra.NoArgs, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			return printAll(cmd.OutOrStdout(), c.ListUsers(cmd.Context()))
		}),
		newUserCreate(&f),
		adminCmd(&f, "delete USER", "Delete a user (by id or username) and everything it owned", cobra.ExactArgs(1),
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				u, err := findUser(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				if err := c.DeleteUser(cmd.Context(), u.ID); err != nil {
					return err
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "deleted user", u.ID)
				return nil
			}),
		userState(&f, "disable", true),
		userState(&f, "enable", false),
	)
	return cmd
}

// adminCmd is a command that needs a client of the admin listener.
func adminCmd(f *clientFlags, use, short string, args cobra.PositionalArgs, run func(*cobra.Command, *client.Client, []string) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect(cmd, true)
			if err != nil {
				return err
			}
			defer c.Close()
			return run(cmd, c, args)
		},
	}
}

func userState(f *clientFlags, verb string, disabled bool) *cobra.Command {
	short := "Disable a user (by id or username): its sessions and keys stop working"
	if !disabled {
		short = "Enable a disabled user (by id or username)"
	}
	return adminCmd(f, verb+" USER", short, cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, args []string) error {
		u, err := findUser(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		d, err := c.SetUserDisabled(cmd.Context(), u.ID, disabled)
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), d)
	})
}

func newUserCreate(f *clientFlags) *cobra.Command {
	var u client.NewUser
	var pwStdin bool
	cmd := adminCmd(f, "create", "Create a user; the password comes from a prompt or --password-stdin", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) error {
			var err error
			switch tty, isTTY := terminal(cmd); {
			case pwStdin:
				u.Password, err = readLine(bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)), "password")
			case isTTY:
				u.Password, err = prompt(cmd, tty, "Password for "+u.Username+": ")
			default:
				err = errors.New("no terminal to ask for the password: pass it on standard input with --password-stdin")
			}
			if err != nil {
				return err
			}
			d, err := c.CreateUser(cmd.Context(), u)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), d)
		})
	cmd.Flags().StringVar(&u.Username, "username", "", "the new user's username")
	cmd.Flags().StringVar(&u.Name, "name", "", "display name")
	cmd.Flags().StringVar(&u.Email, "email", "", "email address")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	cmd.MarkFlagRequired("username")
	return cmd
}

// findUser takes a user id or a username.
func findUser(ctx context.Context, c *client.Client, ref string) (client.Document, error) {
	d, err := c.GetUser(ctx, ref)
	if client.IsCode(err, client.NotFound) {
		return c.FindUser(ctx, ref)
	}
	return d, err
}

func newRoleCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "role", Short: "Manage roles on the admin listener (admins only; output: JSON lines)"}
	f.register(cmd)
	var members []string
	create := adminCmd(&f, "create NAME", "Create a role", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, args []string) error {
		ids, err := principals(cmd.Context(), c, members)
		if err != nil {
			return err
		}
		d, err := c.CreateRole(cmd.Context(), args[0], ids...)
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), d)
	})
	create.Flags().StringSliceVar(&members, "member", nil, "a member (user id or username, or role id); repeat or separate with commas")
	cmd.AddCommand(
		adminCmd(&f, "list", "Print every role", cobra.NoArgs, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			return printAll(cmd.OutOrStdout(), c.ListRoles(cmd.Context()))
		}),
		create,
		adminCmd(&f, "delete ROLE", "Delete a role (by id or name)", cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, args []string) error {
			r, err := findRole(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteRole(cmd.Context(), r.ID); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "deleted role", r.ID)
			return nil
		}),
		newRoleMembers(&f),
	)
	return cmd
}

func newRoleMembers(f *clientFlags) *cobra.Command {
	var set, add, remove []string
	cmd := adminCmd(f, "members ROLE", "Print a role's members, one id per line, after changing them with --set, --add or --remove",
		cobra.ExactArgs(1), func(cmd *cobra.Command, c *client.Client, args []string) error {
			ctx := cmd.Context()
			r, err := findRole(ctx, c, args[0])
			if err != nil {
				return err
			}
			members, err := c.RoleMembers(ctx, r.ID)
			if err != nil {
				return err
			}
			changed := cmd.Flags().Changed
			if changed("set") || changed("add") || changed("remove") {
				if members, err = newMembers(ctx, c, members, set, add, remove, changed("set")); err != nil {
					return err
				}
				if _, err := c.SetRoleMembers(ctx, r.ID, members); err != nil {
					return err
				}
			}
			for _, m := range members {
				fmt.Fprintln(cmd.OutOrStdout(), m)
			}
			return nil
		})
	cmd.Flags().StringSliceVar(&set, "set", nil, "replace the members (an empty value empties the role)")
	cmd.Flags().StringSliceVar(&add, "add", nil, "add members")
	cmd.Flags().StringSliceVar(&remove, "remove", nil, "remove members")
	return cmd
}

// newMembers applies --set, then --add and --remove, to the current list.
func newMembers(ctx context.Context, c *client.Client, cur, set, add, remove []string, replace bool) ([]string, error) {
	out := cur
	if replace {
		ids, err := principals(ctx, c, set)
		if err != nil {
			return nil, err
		}
		out = ids
	}
	more, err := principals(ctx, c, add)
	if err != nil {
		return nil, err
	}
	for _, id := range more {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	less, err := principals(ctx, c, remove)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(out), func(id string) bool { return slices.Contains(less, id) }), nil
}

// principals resolves members: role ids and user ids stay, usernames
// become user ids.
func principals(ctx context.Context, c *client.Client, refs []string) ([]string, error) {
	var ids []string
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		if _, err := c.GetRole(ctx, ref); err == nil {
			ids = append(ids, ref)
			continue
		} else if !client.IsCode(err, client.NotFound) {
			return nil, err
		}
		u, err := findUser(ctx, c, ref)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", ref, err)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// findRole takes a role id or name.
func findRole(ctx context.Context, c *client.Client, ref string) (client.Document, error) {
	d, err := c.GetRole(ctx, ref)
	if !client.IsCode(err, client.NotFound) {
		return d, err
	}
	for d, err := range c.ListRoles(ctx) {
		if err != nil {
			return client.Document{}, err
		}
		var r struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(d.Raw, &r) == nil && r.Name == ref {
			return d, nil
		}
	}
	return client.Document{}, fmt.Errorf("role %q: %w", ref, err)
}

// printAll prints documents as JSON lines until the first error.
func printAll(w io.Writer, docs iter.Seq2[client.Document, error]) error {
	for d, err := range docs {
		if err != nil {
			return err
		}
		if err := printJSON(w, d); err != nil {
			return err
		}
	}
	return nil
}

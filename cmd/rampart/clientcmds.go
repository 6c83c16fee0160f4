package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"rampart.dev/rampart/client"
)

// clientFlags are the flags of every command that talks to a server.
type clientFlags struct {
	server, adminServer, ca string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", os.Getenv(envServer), "server URL: https://, grpcs://, wss://, tcp+tls:// or unix:// (default: $"+envServer+", else the one signed in to)")
	pf.StringVar(&f.adminServer, "admin-server", os.Getenv(envAdminServer), "admin listener URL, for the user and role commands (default: $"+envAdminServer+", else the one given to login)")
	pf.StringVar(&f.ca, "ca", os.Getenv(envCA), "PEM file of the CA to trust instead of the system roots (default: $"+envCA+", else the one given to login)")
}

// The client commands' environment defaults; config.Load leaves these
// names alone, so exporting them never breaks rampart serve.
const (
	envServer      = "RAMPART_SERVER"
	envAdminServer = "RAMPART_ADMIN_SERVER"
	envCA          = "RAMPART_CA"
)

// connect dials the server of the saved session with its credential; the
// client saves refreshed tokens back to the session file.
func (f *clientFlags) connect(cmd *cobra.Command, needAdmin bool) (*client.Client, error) {
	s, err := loadSession()
	if err != nil {
		return nil, err
	}
	if f.server != "" && f.server != s.Server {
		return nil, fmt.Errorf("signed in to %s, not %s: run rampart login --server %s", s.Server, f.server, f.server)
	}
	admin := orElse(f.adminServer, s.AdminServer)
	if needAdmin && admin == "" {
		return nil, errors.New("this command needs the admin listener: pass --admin-server URL, or give it to rampart login")
	}
	opts := clientOptions(orElse(f.ca, s.CA), admin)
	if s.APIKey != "" {
		opts = append(opts, client.WithAPIKey(s.APIKey))
	} else {
		opts = append(opts, client.WithTokens(s.Tokens), client.WithTokenCallback(func(t client.Tokens) {
			s.Tokens = t
			if err := s.save(); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "rampart: warning: the refreshed session was not saved:", err)
			}
		}))
	}
	return client.Dial(cmd.Context(), s.Server, opts...)
}

func clientOptions(ca, admin string) []client.Option {
	opts := []client.Option{client.WithUserAgent("rampart-cli/" + versionString())}
	if ca != "" {
		opts = append(opts, client.WithCAFile(ca))
	}
	if admin != "" {
		opts = append(opts, client.WithAdminURL(admin))
	}
	return opts
}

// orElse returns a unless it is empty, else b.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func newLogin() *cobra.Command {
	var f clientFlags
	var username string
	var pwStdin, keyStdin bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to a server and keep the session for the other client commands",
		Long: "Sign in with a username and password (prompted without echo on a terminal, or one line\n" +
			"on standard input with --password-stdin, followed by a second-factor code when the account\n" +
			"has one), or with an API key on standard input. The session is kept in the user's config\n" +
			"directory (rampart/session.json, readable only by its owner).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pwStdin && keyStdin {
				return errors.New("give --password-stdin or --api-key-stdin, not both")
			}
			return login(cmd, &f, username, pwStdin, keyStdin)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&username, "username", "", "username (prompted for on a terminal when missing)")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password (and then a second-factor code) from standard input")
	cmd.Flags().BoolVar(&keyStdin, "api-key-stdin", false, "sign in with an API key read from standard input")
	return cmd
}

func login(cmd *cobra.Command, f *clientFlags, username string, pwStdin, keyStdin bool) error {
	s := &savedSession{Server: f.server, AdminServer: f.adminServer, CA: f.ca}
	if s.Server == "" {
		old, err := loadSession()
		if err != nil {
			return errors.New("--server is required")
		}
		s.Server, s.AdminServer, s.CA = old.Server, orElse(s.AdminServer, old.AdminServer), orElse(s.CA, old.CA)
	}
	if s.CA != "" {
		abs, err := filepath.Abs(s.CA)
		if err != nil {
			return err
		}
		s.CA = abs
	}
	opts := clientOptions(s.CA, s.AdminServer)
	c, err := client.Dial(cmd.Context(), s.Server, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	in := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 64<<10))
	if keyStdin {
		key, err := readLine(in, "API key")
		if err != nil {
			return err
		}
		c.UseAPIKey(key)
		s.APIKey = key
	} else if err := passwordLogin(cmd, c, in, username, pwStdin); err != nil {
		return err
	}
	me, err := c.Me(cmd.Context())
	if err != nil {
		return err
	}
	s.Tokens = c.Tokens()
	if err := s.save(); err != nil {
		return err
	}
	var u struct {
		Username string `json:"username"`
	}
	me.User.Decode(&u)
	fmt.Fprintf(cmd.OutOrStdout(), "signed in to %s as %s\n", s.Server, u.Username)
	return nil
}

func passwordLogin(cmd *cobra.Command, c *client.Client, in *bufio.Reader, username string, pwStdin bool) error {
	tty, isTTY := terminal(cmd)
	var err error
	if username == "" {
		if !isTTY {
			return errors.New("--username is required without a terminal")
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Username: ")
		if username, err = readLine(in, "username"); err != nil {
			return err
		}
	}
	var pw string
	switch {
	case pwStdin:
		pw, err = readLine(in, "password")
	case isTTY:
		pw, err = prompt(cmd, tty, "Password: ")
	default:
		err = errors.New("no terminal to ask for the password: pass it on standard input with --password-stdin")
	}
	if err != nil {
		return err
	}
	err = c.LoginPassword(cmd.Context(), username, pw)
	if !errors.Is(err, client.ErrMFARequired) {
		return err
	}
	var code string
	switch {
	case pwStdin:
		code, err = readLine(in, "second-factor code (the line after the password)")
	case isTTY:
		code, err = prompt(cmd, tty, "Code from the authenticator app (or a recovery code): ")
	}
	if err != nil {
		return err
	}
	return c.CompleteMFA(cmd.Context(), code)
}

// terminal returns standard input when it is a terminal.
func terminal(cmd *cobra.Command) (*os.File, bool) {
	f, ok := cmd.InOrStdin().(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// prompt reads a secret from the terminal without echoing it.
func prompt(cmd *cobra.Command, tty *os.File, label string) (string, error) {
	fmt.Fprint(cmd.ErrOrStderr(), label)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	if len(b) == 0 {
		return "", errors.New("nothing entered")
	}
	return string(b), nil
}

// readLine reads one non-empty line.
func readLine(r *bufio.Reader, what string) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no %s on standard input", what)
	}
	return line, nil
}

func newLogout() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and forget it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSession()
			if errors.Is(err, errNoSession) {
				fmt.Fprintln(cmd.OutOrStdout(), "not signed in")
				return nil
			}
			if err != nil {
				return err
			}
			var ended error
			if s.APIKey == "" {
				c, err := f.connect(cmd, false)
				if err != nil {
					return err
				}
				ended = c.Logout(cmd.Context())
				c.Close()
			}
			if err := removeSession(); err != nil {
				return err
			}
			switch {
			case ended != nil:
				return fmt.Errorf("forgot the session, but the server did not end it: %w", ended)
			case s.APIKey != "":
				fmt.Fprintln(cmd.OutOrStdout(), "forgot the API key; it works until it is revoked or expires")
			default:
				fmt.Fprintln(cmd.OutOrStdout(), "signed out of", s.Server)
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err = w.Write(b.Bytes())
	return err
}

// jsonFlag checks a flag holds JSON before it goes to the server.
func jsonFlag(name, value string) (any, error) {
	if value == "" {
		return nil, nil
	}
	if !json.Valid([]byte(value)) {
		return nil, fmt.Errorf("--%s is not valid JSON", name)
	}
	return value, nil
}

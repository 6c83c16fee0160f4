package client

import (
	"context"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
)

// LoginPassword signs in with a username and password. When the account has
// a second factor it returns ErrMFARequired; finish with CompleteMFA.
func (c *Client) LoginPassword(ctx context.Context, username, password string) error {
	res, err := c.authc.Login(ctx, connect.NewRequest(&rampartv1.LoginRequest{Username: username, Password: password}))
	if err != nil {
		return convert(err)
	}
	if res.Msg.GetMfaRequired() {
		c.auth.mu.Lock()
		c.auth.mfaToken = res.Msg.GetMfaToken()
		c.auth.mu.Unlock()
		return ErrMFARequired
	}
	if res.Msg.GetTokens() == nil {
		return &Error{Code: Internal, Message: "sign-in answered without tokens"}
	}
	c.auth.set(tokensOf(res.Msg.GetTokens()))
	return nil
}

// CompleteMFA finishes a sign-in that returned ErrMFARequired with a TOTP or
// recovery code.
func (c *Client) CompleteMFA(ctx context.Context, code string) error {
	c.auth.mu.Lock()
	mfa := c.auth.mfaToken
	c.auth.mu.Unlock()
	if mfa == "" {
		return ErrNoMFAPending
	}
	res, err := c.authc.CompleteMFA(ctx, connect.NewRequest(&rampartv1.CompleteMFARequest{MfaToken: mfa, Code: code}))
	if err != nil {
		return convert(err)
	}
	c.auth.set(tokensOf(res.Msg))
	return nil
}

// Recover signs in with a one-time break-glass token from
// `rampart admin recover`.
func (c *Client) Recover(ctx context.Context, token string) error {
	res, err := c.authc.Recover(ctx, connect.NewRequest(&rampartv1.RecoverRequest{Token: token}))
	if err != nil {
		return convert(err)
	}
	c.auth.set(tokensOf(res.Msg))
	return nil
}

// UseTokens signs every later call with a session's tokens, such as ones
// saved from Tokens. A zero Expiry is read from the access token.
func (c *Client) UseTokens(t Tokens) { c.auth.set(t) }

// UseAPIKey signs every later call with an API key.
func (c *Client) UseAPIKey(key string) { c.auth.useAPIKey(key) }

// Tokens returns the current session tokens (zero with an API key or when
// signed out).
func (c *Client) Tokens() Tokens { return c.auth.tokens() }

// Refresh renews the access token now, rotating the refresh token. Calls
// refresh on their own shortly before expiry; this is for callers that want
// to be sure a session is still alive.
func (c *Client) Refresh(ctx context.Context) error {
	c.auth.mu.Lock()
	if c.auth.tok.RefreshToken == "" {
		c.auth.mu.Unlock()
		return ErrNotSignedIn
	}
	f := c.auth.startLocked(ctx)
	c.auth.mu.Unlock()
	_, err := f.wait(ctx)
	return err
}

func (c *Client) refresh(ctx context.Context, rt string) (Tokens, error) {
	res, err := c.authc.Refresh(ctx, connect.NewRequest(&rampartv1.RefreshRequest{RefreshToken: rt}))
	if err != nil {
		return Tokens{}, convert(err)
	}
	return tokensOf(res.Msg), nil
}

func tokensOf(t *rampartv1.Tokens) Tokens {
	out := Tokens{AccessToken: t.GetAccessToken(), RefreshToken: t.GetRefreshToken()}
	if t.GetExpiresIn() > 0 {
		out.Expiry = time.Now().Add(time.Duration(t.GetExpiresIn()) * time.Second)
	}
	return out
}

// Logout ends the session on the server and forgets its tokens, which are
// forgotten even when the server cannot be reached.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.authc.Logout(ctx, connect.NewRequest(&rampartv1.Empty{}))
	c.auth.set(Tokens{})
	return convert(err)
}

// Me is the caller's user document and the ids of its roles.
type Me struct {
	User  Document
	Roles []string
}

// Me returns who the client is signed in as.
func (c *Client) Me(ctx context.Context) (Me, error) {
	res, err := c.authc.Me(ctx, connect.NewRequest(&rampartv1.Empty{}))
	if err != nil {
		return Me{}, convert(err)
	}
	doc, err := parseDocument(res.Msg.GetUser())
	return Me{User: doc, Roles: res.Msg.GetRoles()}, err
}

// Session is one of the caller's sign-in sessions.
type Session struct {
	ID        string
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
	Addr      string
	UserAgent string
	Methods   []string // how it signed in: pwd, otp, recovery, breakglass
	Current   bool     // the session this client uses
}

// Sessions lists the caller's live sessions.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	res, err := c.authc.ListSessions(ctx, connect.NewRequest(&rampartv1.Empty{}))
	if err != nil {
		return nil, convert(err)
	}
	out := make([]Session, 0, len(res.Msg.GetSessions()))
	for _, s := range res.Msg.GetSessions() {
		out = append(out, Session{
			ID: s.GetId(), Created: unix(s.GetCreatedUnix()), LastSeen: unix(s.GetLastSeenUnix()),
			Expires: unix(s.GetExpiresUnix()), Addr: s.GetAddr(), UserAgent: s.GetUserAgent(),
			Methods: s.GetMethods(), Current: s.GetCurrent(),
		})
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions.
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	_, err := c.authc.RevokeSession(ctx, connect.NewRequest(&rampartv1.RevokeSessionRequest{Id: id}))
	return convert(err)
}

// ChangePassword sets a new password; the caller's other sessions end.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	_, err := c.authc.ChangePassword(ctx, connect.NewRequest(&rampartv1.ChangePasswordRequest{Current: current, New: next}))
	return convert(err)
}

// TOTPEnrolment is a new authenticator seed, pending until confirmed.
type TOTPEnrolment struct {
	Secret string
	URI    string // otpauth://
	QRPNG  []byte
}

// EnrolTOTP starts adding an authenticator app as second factor.
func (c *Client) EnrolTOTP(ctx context.Context) (TOTPEnrolment, error) {
	res, err := c.authc.EnrolTOTP(ctx, connect.NewRequest(&rampartv1.Empty{}))
	if err != nil {
		return TOTPEnrolment{}, convert(err)
	}
	return TOTPEnrolment{Secret: res.Msg.GetSecret(), URI: res.Msg.GetOtpauthUri(), QRPNG: res.Msg.GetQrPng()}, nil
}

// ConfirmTOTP confirms an enrolment with a code from the app and returns
// the recovery codes, shown this once.
func (c *Client) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	res, err := c.authc.ConfirmTOTP(ctx, connect.NewRequest(&rampartv1.CodeRequest{Code: code}))
	if err != nil {
		return nil, convert(err)
	}
	return res.Msg.GetRecoveryCodes(), nil
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

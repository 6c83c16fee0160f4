package client

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// Client calls one Rampart server. It is safe for concurrent use.
type Client struct {
	auth   *session
	dialer *dialer
	public *endpoint
	admin  *endpoint // nil without WithAdminURL

	authc  rampartv1connect.AuthServiceClient
	docs   rampartv1connect.DocumentServiceClient
	keys   rampartv1connect.APIKeyServiceClient
	adminc rampartv1connect.AdminServiceClient
}

// Dial prepares a client for the server at url; see the package comment for
// the schemes. HTTP based transports connect on the first call; the envelope
// transports connect here. Close releases the connections.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	tc, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if o.adminURL != "" {
		// Refuse a bad admin URL before connecting anywhere.
		if _, err := parseURL(o.adminURL); err != nil {
			return nil, err
		}
	}
	c := &Client{
		auth:   &session{margin: o.margin, onChange: o.onTokens},
		dialer: &dialer{o: o, tls: tc},
	}
	c.auth.refresh = c.refresh
	if c.public, err = c.dialer.endpoint(ctx, url, false); err != nil {
		return nil, err
	}
	if o.adminURL != "" {
		if c.admin, err = c.dialer.endpoint(ctx, o.adminURL, true); err != nil {
			c.Close()
			return nil, err
		}
	}
	switch {
	case o.apiKey != "":
		c.auth.apiKey = o.apiKey
	case o.tokens.AccessToken != "":
		c.auth.setLocked(o.tokens)
	}
	in := connect.WithInterceptors(&interceptor{s: c.auth, userAgent: o.userAgent})
	popts := append([]connect.ClientOption{in}, c.public.opts...)
	c.authc = rampartv1connect.NewAuthServiceClient(c.public.hc, c.public.base, popts...)
	c.docs = rampartv1connect.NewDocumentServiceClient(c.public.hc, c.public.base, popts...)
	c.keys = rampartv1connect.NewAPIKeyServiceClient(c.public.hc, c.public.base, popts...)
	if c.admin != nil {
		aopts := append([]connect.ClientOption{in}, c.admin.opts...)
		c.adminc = rampartv1connect.NewAdminServiceClient(c.admin.hc, c.admin.base, aopts...)
	}
	return c, nil
}

// Close releases the client's connections. A watch still open ends.
func (c *Client) Close() error {
	var errList []error
	for _, e := range []*endpoint{c.public, c.admin} {
		if e != nil && e.close != nil {
			errList = append(errList, e.close())
		}
	}
	errList = append(errList, c.dialer.close())
	return errors.Join(errList...)
}

// adminClient returns the admin service, or ErrNoAdminURL.
func (c *Client) adminClient() (rampartv1connect.AdminServiceClient, error) {
	if c.adminc == nil {
		return nil, ErrNoAdminURL
	}
	return c.adminc, nil
}

// anonymous procedures carry no credential.
var anonymous = map[string]bool{
	rampartv1connect.AuthServiceLoginProcedure:       true,
	rampartv1connect.AuthServiceCompleteMFAProcedure: true,
	rampartv1connect.AuthServiceRefreshProcedure:     true,
	rampartv1connect.AuthServiceRecoverProcedure:     true,
	rampartv1connect.AuthServiceRegisterProcedure:    true,
}

// interceptor adds the credential and user agent to every call, and retries
// a unary call once with a refreshed token when the server refused the one
// it carried (its clock may run ahead of ours).
type interceptor struct {
	s         *session
	userAgent string
}

var _ connect.Interceptor = (*interceptor)(nil)

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		i.header(req.Header())
		if anonymous[req.Spec().Procedure] {
			return next(ctx, req)
		}
		tok, err := i.s.credential(ctx)
		if err != nil {
			return nil, err
		}
		setBearer(req.Header(), tok)
		res, err := next(ctx, req)
		if tok == "" || connect.CodeOf(err) != connect.CodeUnauthenticated {
			return res, err
		}
		fresh, ok := i.s.renew(ctx, tok)
		if !ok || fresh == tok {
			return res, err
		}
		setBearer(req.Header(), fresh)
		return next(ctx, req)
	}
}

// WrapStreamingClient sets the user agent; stream calls set their own
// credential, since it must be known before the stream opens.
func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		i.header(conn.RequestHeader())
		return conn
	}
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func (i *interceptor) header(h http.Header) {
	if i.userAgent != "" {
		h.Set("User-Agent", i.userAgent)
	}
}

func setBearer(h http.Header, tok string) {
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
}

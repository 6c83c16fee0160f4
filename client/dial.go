package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"rampart.dev/rampart/internal/transport/grpcbridge"
)

// maxURL bounds a server URL before it is parsed.
const maxURL = 2048

// endpoint is one server address with the HTTP client and protocol that
// reach it.
type endpoint struct {
	hc    connect.HTTPClient
	base  string
	opts  []connect.ClientOption
	close func() error
}

// parseURL checks a server URL: a known scheme, a host (a path for unix://),
// and nothing that would be silently dropped, such as credentials or a query.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > maxURL {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrInvalidURL, maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	switch {
	case u.Scheme == "":
		return nil, fmt.Errorf("%w: %q has no scheme (https://, grpcs://, grpc://, wss://, ws://, tcp+tls://, unix://)", ErrInvalidURL, raw)
	case u.User != nil:
		return nil, fmt.Errorf("%w: credentials do not belong in the url", ErrInvalidURL)
	case u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("%w: no query or fragment allowed", ErrInvalidURL)
	}
	switch u.Scheme {
	case "https", "wss", "ws", "grpc", "grpcs", "tcp+tls":
		if u.Hostname() == "" {
			return nil, fmt.Errorf("%w: %s:// needs a host", ErrInvalidURL, u.Scheme)
		}
		if (u.Scheme == "grpc" || u.Scheme == "grpcs" || u.Scheme == "tcp+tls") && u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("%w: %s:// takes no path", ErrInvalidURL, u.Scheme)
		}
	case "unix":
		if u.Host != "" || u.Path == "" {
			return nil, fmt.Errorf("%w: write a socket as unix:///path/to/socket", ErrInvalidURL)
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedScheme, u.Scheme)
	}
	return u, nil
}

// dialer builds endpoints that share HTTP transports and gRPC connections.
type dialer struct {
	o            *options
	tls          *tls.Config
	tlsClient    *http.Client
	grpcTLS      *grpcbridge.Client
	grpcInsecure *grpcbridge.Client
}

func (d *dialer) endpoint(ctx context.Context, raw string, admin bool) (*endpoint, error) {
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	host := u.Host
	switch u.Scheme {
	case "https":
		return &endpoint{hc: d.httpsClient(), base: "https://" + host + strings.TrimRight(u.EscapedPath(), "/")}, nil
	case "grpcs":
		return &endpoint{hc: d.grpcClient(true), base: "https://" + host, opts: []connect.ClientOption{connect.WithGRPC()}}, nil
	case "grpc":
		return &endpoint{hc: d.grpcClient(false), base: "http://" + host, opts: []connect.ClientOption{connect.WithGRPC()}}, nil
	}
	if admin {
		return nil, fmt.Errorf("%w: the admin listener speaks https://, grpcs:// or grpc://, not %s://", ErrUnsupportedScheme, u.Scheme)
	}
	conn, closeConn, err := dialEnvelope(ctx, raw, d.tls)
	if err != nil {
		return nil, err
	}
	return &endpoint{hc: conn, base: "http://envelope", close: closeConn}, nil
}

// httpsClient speaks HTTP/2 (and HTTP/1.1 for the Connect protocol when a
// proxy offers nothing else) over TLS.
func (d *dialer) httpsClient() *http.Client {
	if d.o.httpClient != nil {
		return d.o.httpClient
	}
	if d.tlsClient == nil {
		tr := baseTransport()
		tr.TLSClientConfig = d.tls
		tr.ForceAttemptHTTP2 = true
		d.tlsClient = &http.Client{Transport: tr}
	}
	return d.tlsClient
}

// grpcClient carries gRPC calls over grpc-go's transport, as gRPC
// libraries' calls travel (the server answers those on its own HTTP/2
// path), with TLS or as cleartext HTTP/2, and the server's fixed
// flow-control windows. A client given WithHTTPClient uses that instead.
func (d *dialer) grpcClient(secure bool) connect.HTTPClient {
	if d.o.httpClient != nil {
		return d.o.httpClient
	}
	c := &d.grpcInsecure
	creds := insecure.NewCredentials()
	if secure {
		c, creds = &d.grpcTLS, credentials.NewTLS(d.tls)
	}
	if *c == nil {
		var opts []grpc.DialOption
		if d.o.userAgent != "" {
			opts = append(opts, grpc.WithUserAgent(d.o.userAgent))
		}
		*c = grpcbridge.NewClient(creds, opts...)
	}
	return *c
}

// baseTransport has timeouts for connecting but none for answers, which
// would cut watch streams.
func baseTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// close closes the gRPC connections and the idle HTTP ones.
func (d *dialer) close() error {
	if d.tlsClient != nil {
		d.tlsClient.CloseIdleConnections()
	}
	var errList []error
	for _, c := range []*grpcbridge.Client{d.grpcTLS, d.grpcInsecure} {
		if c != nil {
			errList = append(errList, c.Close())
		}
	}
	return errors.Join(errList...)
}

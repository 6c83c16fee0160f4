package client

import (
	"context"
	"crypto/tls"
	"fmt"

	"connectrpc.com/connect"
)

// dialEnvelope connects to a wss://, tcp+tls:// or unix:// URL.
func dialEnvelope(ctx context.Context, raw string, tc *tls.Config) (connect.HTTPClient, func() error, error) {
	return nil, nil, fmt.Errorf("%w: the envelope transports are not built in yet", ErrUnsupportedScheme)
}

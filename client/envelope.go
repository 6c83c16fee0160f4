package client

import (
	"context"
	"crypto/tls"

	"connectrpc.com/connect"

	"rampart.dev/rampart/internal/transport/envelope"
)

// dialEnvelope connects to a wss://, ws://, tcp+tls:// or unix:// URL. A
// failure to connect is unavailable, with the cause kept for errors.As.
func dialEnvelope(ctx context.Context, raw string, tc *tls.Config) (connect.HTTPClient, func() error, error) {
	conn, err := envelope.Dial(ctx, raw, tc)
	if err != nil {
		return nil, nil, &Error{Code: Unavailable, Message: err.Error(), cause: err}
	}
	return conn, conn.Close, nil
}

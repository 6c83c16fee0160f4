package client

import (
	"context"
	"crypto/tls"
	"net/http"
	"sync"

	"rampart.dev/rampart/internal/transport/envelope"
)

// dialEnvelope connects to a wss://, ws://, tcp+tls:// or unix:// URL. A
// failure to connect is unavailable, with the cause kept for errors.As.
func dialEnvelope(ctx context.Context, raw string, tc *tls.Config) (*redialer, func() error, error) {
	r := &redialer{url: raw, tls: tc}
	if _, err := r.get(ctx); err != nil {
		return nil, nil, err
	}
	return r, r.close, nil
}

// redialer holds one envelope connection and replaces it once it has
// broken, as when the server restarts: the call that meets a dead
// connection dials a new one. Calls in flight when it breaks fail with
// unavailable and are not repeated, since the server may have run them.
type redialer struct {
	url string
	tls *tls.Config

	mu     sync.Mutex
	conn   *envelope.Conn
	closed bool
}

func (r *redialer) get(ctx context.Context) (*envelope.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return nil, &Error{Code: Unavailable, Message: "client closed"}
	case r.conn != nil && r.conn.Alive():
		return r.conn, nil
	}
	conn, err := envelope.Dial(ctx, r.url, r.tls)
	if err != nil {
		return nil, &Error{Code: Unavailable, Message: err.Error(), cause: err}
	}
	if r.conn != nil {
		r.conn.Close()
	}
	r.conn = conn
	return conn, nil
}

// Do implements connect.HTTPClient.
func (r *redialer) Do(req *http.Request) (*http.Response, error) {
	conn, err := r.get(req.Context())
	if err != nil {
		return nil, err
	}
	return conn.Do(req)
}

func (r *redialer) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.conn == nil {
		return nil
	}
	return r.conn.Close()
}

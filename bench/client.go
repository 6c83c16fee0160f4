package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// endpoint is one server under test.
type endpoint struct {
	public, admin string // base URLs of the two listeners
	tls           *tls.Config
	// rt, when set, replaces the network: the Go benchmarks use it to run
	// the scenarios against the handlers in memory.
	rt http.RoundTripper
}

func newEndpoint(public, admin, caFile string) (*endpoint, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
	}
	return &endpoint{public: public, admin: admin, tls: tc}, nil
}

// conn returns an HTTP client that keeps exactly one HTTP/1.1 keep-alive
// connection, as one real client application would. HTTP/2 is off so that
// 64 clients mean 64 TCP+TLS connections, not streams on a shared one.
func (e *endpoint) conn() *http.Client {
	if e.rt != nil {
		return &http.Client{Transport: e.rt}
	}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     e.tls.Clone(),
			TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
			IdleConnTimeout:     5 * time.Minute,
		},
	}
}

// apiError is an answer other than the expected status.
type apiError struct {
	method, url string
	status      int
	body        []byte
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.300s", e.method, e.url, e.status, e.body)
}

// call sends one request and returns the body when the status is want.
// in may be nil, raw JSON bytes, or a value to encode.
func call(ctx context.Context, hc *http.Client, token, method, url string, in any, want int) ([]byte, error) {
	var rd io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header["Content-Type"] = jsonType
	}
	if token != "" {
		req.Header["Authorization"] = []string{"Bearer " + token}
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, &apiError{method, url, res.StatusCode, body}
	}
	return body, nil
}

var jsonType = []string{"application/json"}

// callJSON is call plus decoding the answer into out.
func callJSON(ctx context.Context, hc *http.Client, token, method, url string, in any, want int, out any) error {
	body, err := call(ctx, hc, token, method, url, in, want)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode %.200s: %w", method, url, body, err)
	}
	return nil
}

// login signs in on the public listener and returns the access token.
func (e *endpoint) login(ctx context.Context, hc *http.Client, username, password string) (string, error) {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err := callJSON(ctx, hc, "", "POST", e.public+"/api/v1/auth/login",
		map[string]string{"username": username, "password": password}, http.StatusOK, &tok)
	if err != nil {
		return "", fmt.Errorf("login %s: %w", username, err)
	}
	return tok.AccessToken, nil
}

// withID is the part of any created object the bench needs.
type withID struct {
	ID string `json:"_id"`
}

func (e *endpoint) createUser(ctx context.Context, hc *http.Client, admin, username, password string) (string, error) {
	var u withID
	err := callJSON(ctx, hc, admin, "POST", e.admin+"/api/v1/users",
		map[string]string{"username": username, "password": password}, http.StatusCreated, &u)
	return u.ID, err
}

func (e *endpoint) createRole(ctx context.Context, hc *http.Client, admin, name string, members []string) (string, error) {
	var r withID
	err := callJSON(ctx, hc, admin, "POST", e.admin+"/api/v1/roles",
		map[string]any{"name": name, "members": members}, http.StatusCreated, &r)
	return r.ID, err
}

func (e *endpoint) createIndex(ctx context.Context, hc *http.Client, admin, coll, name string, fields ...string) error {
	return callJSON(ctx, hc, admin, "POST", e.admin+"/api/v1/collections/"+coll+"/indexes",
		map[string]any{"name": name, "fields": fields}, http.StatusCreated, nil)
}

// insertMany stores docs in one atomic request and returns their ids.
func (e *endpoint) insertMany(ctx context.Context, hc *http.Client, token, coll string, docs []map[string]any) ([]string, error) {
	var out []withID
	if err := callJSON(ctx, hc, token, "POST", e.docsURL(coll), docs, http.StatusCreated, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, d := range out {
		ids[i] = d.ID
	}
	return ids, nil
}

func (e *endpoint) docsURL(coll string) string {
	return e.public + "/api/v1/collections/" + coll + "/documents"
}

package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Client calls the REST API as one signed-in user (or nobody).
type Client struct {
	h     *Harness
	Token string
	User  string // the user id, when signed in
}

// Anonymous is a client without credentials.
func (h *Harness) Anonymous() *Client { return &Client{h: h} }

// Login signs in and returns a client carrying the access token.
func (h *Harness) Login(username, password string) *Client {
	h.T.Helper()
	c := h.Anonymous()
	res := c.Do("POST", h.PublicURL+"/api/v1/auth/login", map[string]string{"username": username, "password": password}, nil)
	if res.Status != http.StatusOK {
		h.T.Fatalf("login %s: %d %s", username, res.Status, res.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.JSON(&tok)
	c.Token = tok.AccessToken
	me := c.Do("GET", h.PublicURL+"/api/v1/me", nil, nil)
	var m struct {
		User struct {
			ID string `json:"_id"`
		} `json:"user"`
	}
	me.JSON(&m)
	c.User = m.User.ID
	return c
}

// Response is a decoded HTTP answer.
type Response struct {
	h      *Harness
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request; body may be nil, []byte, string or a value to encode.
func (c *Client) Do(method, url string, body any, header map[string]string) Response {
	c.h.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.h.T.Fatalf("encode request: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.h.T.Fatalf("build request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.h.http.Do(req)
	if err != nil {
		c.h.T.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{h: c.h, Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Public calls a path on the public listener.
func (c *Client) Public(method, path string, body any) Response {
	c.h.T.Helper()
	return c.Do(method, c.h.PublicURL+path, body, nil)
}

// Admin calls a path on the admin listener.
func (c *Client) Admin(method, path string, body any) Response {
	c.h.T.Helper()
	return c.Do(method, c.h.AdminURL+path, body, nil)
}

// JSON decodes the body into v.
func (r Response) JSON(v any) {
	r.h.T.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.h.T.Fatalf("decode response %s: %v", r.Body, err)
	}
}

// Code is the error code of an error response, or "".
func (r Response) Code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

package envelope

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// PriorityHeader gives a call made through a generated client its
// envelope priority.
const PriorityHeader = "Rampart-Priority"

var errBodyClosed = errors.New("envelope: response body closed")

// Do carries one Connect-protocol request (proto codec) over the
// connection, as connect.HTTPClient: a unary call answers once its reply
// is in, a server stream at once with a body that yields its messages.
func (c *Conn) Do(req *http.Request) (*http.Response, error) {
	env, stream, err := c.envelopeOf(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	cl, err := c.start(ctx, env)
	if err != nil {
		return nil, err
	}
	if stream {
		body := &streamBody{c: c, call: cl, ctx: ctx}
		return response(req, http.StatusOK, "application/connect+proto", body, -1), nil
	}
	reply, err := cl.next(ctx)
	if err != nil {
		c.abandon(cl)
		return nil, err
	}
	if reply.Error != nil {
		code := connectCode(reply.Error.Code)
		b, _ := json.Marshal(toWireError(reply.Error))
		status, ok := connectStatus[code]
		if !ok {
			status = http.StatusInternalServerError
		}
		return response(req, status, "application/json", io.NopCloser(bytes.NewReader(b)), int64(len(b))), nil
	}
	return response(req, http.StatusOK, "application/proto", io.NopCloser(bytes.NewReader(reply.Payload)), int64(len(reply.Payload))), nil
}

// envelopeOf translates a Connect request into its envelope, and reports
// whether it opens a server stream.
func (c *Conn) envelopeOf(req *http.Request) (*rampartv1.Envelope, bool, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if req.Method != http.MethodPost {
		return nil, false, fmt.Errorf("envelope: %s requests are not supported", req.Method)
	}
	env := &rampartv1.Envelope{Method: req.URL.Path}
	if auth := req.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, false, errors.New("envelope: only bearer credentials can be carried")
		}
		env.Token = token
	}
	if p := req.Header.Get(PriorityHeader); p != "" {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, false, fmt.Errorf("envelope: bad %s header: %w", PriorityHeader, err)
		}
		env.Priority = int32(n)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, int64(c.max)+1))
		if err != nil {
			return nil, false, err
		}
		body = b
	}
	if len(body) > c.max {
		return nil, false, toConnectError(newError(errs.TooLarge, "request exceeds the frame limit"))
	}
	switch ct := req.Header.Get("Content-Type"); ct {
	case "application/proto":
		env.Payload = body
		return env, false, nil
	case "application/connect+proto":
		msg, err := unenvelope(body)
		env.Payload = msg
		return env, true, err
	default:
		return nil, false, fmt.Errorf("envelope: content type %q is not supported; use the proto codec", ct)
	}
}

// unenvelope takes the one message of a server-stream request body.
func unenvelope(b []byte) ([]byte, error) {
	if len(b) < 5 {
		return nil, errors.New("envelope: stream request has no message")
	}
	n := binary.BigEndian.Uint32(b[1:5])
	if b[0] != 0 || uint64(n) != uint64(len(b)-5) {
		return nil, errors.New("envelope: stream request must be one uncompressed message")
	}
	return b[5:], nil
}

func response(req *http.Request, status int, contentType string, body io.ReadCloser, length int64) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {contentType}},
		Body:          body,
		ContentLength: length,
		Request:       req,
	}
}

// streamBody yields a stream's replies as Connect enveloped messages,
// ending with the end-of-stream message. Closing it early, or the
// request's context ending, cancels the stream on the server.
type streamBody struct {
	c      *Conn
	call   *call
	ctx    context.Context
	buf    []byte
	ended  bool
	closed atomic.Bool
}

var _ io.ReadCloser = (*streamBody)(nil)

func (b *streamBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.closed.Load() {
			return 0, errBodyClosed
		}
		if b.ended {
			return 0, io.EOF
		}
		env, err := b.call.next(b.ctx)
		if err != nil {
			b.c.abandon(b.call)
			return 0, err
		}
		if b.closed.Load() {
			return 0, errBodyClosed
		}
		b.buf = appendMessages(b.buf[:0], env)
		b.ended = env.End
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *streamBody) Close() error {
	if !b.closed.Swap(true) {
		b.c.abandon(b.call)
	}
	return nil
}

// appendMessages appends env as Connect enveloped messages: its payload,
// and the end-of-stream message when it is the last.
func appendMessages(dst []byte, env *rampartv1.Envelope) []byte {
	if len(env.Payload) > 0 || !env.End {
		dst = appendEnveloped(dst, 0, env.Payload)
	}
	if env.End {
		var end endStream
		if env.Error != nil {
			end.Error = toWireError(env.Error)
		}
		b, _ := json.Marshal(end)
		dst = appendEnveloped(dst, flagEndStream, b)
	}
	return dst
}

func appendEnveloped(dst []byte, flags byte, msg []byte) []byte {
	dst = append(dst, flags, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(msg)))
	return append(dst, msg...)
}

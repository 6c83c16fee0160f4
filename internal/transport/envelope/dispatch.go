package envelope

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/errs"
)

// replyOverhead is room left in a frame for the envelope around a payload:
// the id is at most maxIDLen bytes and the rest is small.
const replyOverhead = 1024

// Connect's enveloped-message flags.
const (
	flagCompressed = 0x01
	flagEndStream  = 0x02
)

var errReplyDone = errors.New("envelope: reply already ended")

// dispatch runs r through the Connect handler and forwards its answer.
func (c *conn) dispatch(r *request) {
	rw := &replyWriter{c: c, r: r, header: make(http.Header), limit: max(c.s.opt.MaxFrame-replyOverhead, 0)}
	if r.ctx.Err() == nil {
		c.serveHTTP(rw, c.httpRequest(r))
	}
	rw.finish()
}

// serveHTTP calls the handler, containing a panic to the one request as
// net/http does.
func (c *conn) serveHTTP(rw *replyWriter, req *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			rw.panicID = errs.NewID()
			c.s.opt.Log.Error("envelope: handler panicked", "id", rw.panicID, "method", req.URL.Path, "panic", p)
		}
	}()
	c.s.h.ServeHTTP(rw, req)
}

// httpRequest is r as an in-memory Connect request: unary calls with a bare
// body, server streams with one enveloped message.
func (c *conn) httpRequest(r *request) *http.Request {
	env := r.f.env
	body := env.Payload
	codec := "proto"
	if r.f.text {
		codec = "json"
		if len(body) == 0 {
			body = []byte("{}")
		}
	}
	h := make(http.Header)
	if r.kind == serverStream {
		h.Set("Content-Type", "application/connect+"+codec)
		body = appendEnveloped(make([]byte, 0, 5+len(body)), 0, body)
	} else {
		h.Set("Content-Type", "application/"+codec)
		h.Set("Connect-Protocol-Version", "1")
	}
	if r.token != "" {
		h.Set("Authorization", "Bearer "+r.token)
	}
	if c.peer.userAgent != "" {
		h.Set("User-Agent", c.peer.userAgent)
	}
	host := c.peer.host
	if host == "" {
		host = "envelope"
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return (&http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: env.Method},
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Host:          host,
		RemoteAddr:    c.peer.remote,
		RequestURI:    env.Method,
		TLS:           c.peer.tls,
	}).WithContext(r.ctx)
}

// replyWriter receives the handler's Connect answer. A unary answer is
// collected and sent when the handler returns; a stream is cut into its
// enveloped messages as they are written, each forwarded at once, so a
// slow peer blocks the handler rather than growing a buffer.
type replyWriter struct {
	c       *conn
	r       *request
	header  http.Header
	status  int
	limit   int
	buf     bytes.Buffer // unary body, or the stream's unparsed bytes
	tooBig  bool
	broken  bool // the stream held something it must not
	ended   bool // the end reply went out
	panicID string
}

var (
	_ http.ResponseWriter = (*replyWriter)(nil)
	_ http.Flusher        = (*replyWriter)(nil)
)

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *replyWriter) Flush() {}

// streaming reports whether the answer is a stream of messages rather than
// a unary body or an error before the stream began.
func (w *replyWriter) streaming() bool {
	return w.r.kind == serverStream && (w.status == http.StatusOK || w.status == 0)
}

func (w *replyWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.ended || w.tooBig || w.broken {
		return 0, errReplyDone
	}
	if w.cancelled() {
		return 0, context.Canceled // finish answers canceled
	}
	if !w.streaming() {
		if w.buf.Len()+len(p) > w.limit {
			w.tooBig = true
			return 0, errs.E(errs.TooLarge, "reply exceeds the frame limit")
		}
		w.buf.Write(p)
		return len(p), nil
	}
	w.buf.Write(p)
	if err := w.forward(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// forward sends every complete enveloped message in the buffer.
func (w *replyWriter) forward() error {
	for w.buf.Len() >= 5 && !w.ended {
		head := w.buf.Bytes()[:5]
		n := binary.BigEndian.Uint32(head[1:])
		if uint64(n) > uint64(w.limit) {
			w.tooBig = true
			return errs.E(errs.TooLarge, "reply exceeds the frame limit")
		}
		if w.buf.Len() < 5+int(n) {
			return nil
		}
		flags := head[0]
		w.buf.Next(5)
		msg := bytes.Clone(w.buf.Next(int(n)))
		if err := w.message(flags, msg); err != nil {
			return err
		}
	}
	return nil
}

func (w *replyWriter) message(flags byte, msg []byte) error {
	env := &rampartv1.Envelope{Id: w.r.id()}
	switch {
	case flags&flagEndStream != 0:
		var end endStream
		if err := json.Unmarshal(msg, &end); err != nil {
			w.broken = true
			return err
		}
		if end.Error != nil {
			env.Error = fromWireError(end.Error)
		}
		env.End = true
		w.ended = true
	case flags&flagCompressed != 0:
		w.broken = true // nothing asked for compression
		return errReplyDone
	default:
		env.Payload = msg
	}
	if !w.c.send(frame{env: env, text: w.r.f.text}) {
		return errConnClosed
	}
	return nil
}

func (w *replyWriter) cancelled() bool {
	return errors.Is(context.Cause(w.r.ctx), errCancelRequested)
}

// finish sends the end reply, unless the stream already did.
func (w *replyWriter) finish() {
	if w.ended {
		return
	}
	env := &rampartv1.Envelope{Id: w.r.id(), End: true}
	switch {
	case w.cancelled():
		env.Error = newError(CodeCanceled, "request cancelled")
	case w.r.ctx.Err() != nil && w.status == 0:
		env.Error = newError(errs.Unavailable, "connection closing")
	case w.panicID != "":
		env.Error = &rampartv1.Error{Code: string(errs.Internal), Message: "internal error", Id: w.panicID}
	case w.tooBig:
		env.Error = newError(errs.TooLarge, "reply exceeds the frame limit")
	case w.broken:
		env.Error = newError(errs.Internal, "malformed reply stream")
	case w.streaming():
		env.Error = newError(errs.Internal, "reply stream ended early")
	case w.status == http.StatusOK || w.status == 0:
		env.Payload = w.buf.Bytes()
	default:
		env.Error = parseErrorBody(w.status, w.buf.Bytes())
	}
	w.ended = true
	w.c.send(frame{env: env, text: w.r.f.text})
}

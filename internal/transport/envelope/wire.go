package envelope

import (
	"bufio"
	"context"
	"io"
	"net"
	"time"

	"github.com/coder/websocket"

	"rampart.dev/rampart/internal/errs"
)

// wire moves frames over one connection. read is called from one goroutine
// and write/flush from one other; close and closeNow may come from anywhere.
type wire interface {
	// read returns the next frame, io.EOF when the peer closed cleanly, or an
	// *errs.Error for a frame that breaks the rules (its text tells the form
	// an answer should take).
	read(ctx context.Context) (frame, error)
	write(ctx context.Context, f frame) error
	flush() error
	// close ends the connection after what was written, saying why when
	// the transport can; closeNow ends it at once.
	close(code errs.Code, reason string)
	closeNow()
}

var (
	_ wire = (*streamWire)(nil)
	_ wire = (*wsWire)(nil)
)

// streamWire is a byte stream (TCP, TLS, unix) of length-prefixed frames.
type streamWire struct {
	nc           net.Conn
	br           *bufio.Reader
	bw           *bufio.Writer
	max          int
	writeTimeout time.Duration
	buf          []byte
}

func newStreamWire(nc net.Conn, max int, writeTimeout time.Duration) *streamWire {
	return &streamWire{
		nc: nc, max: max, writeTimeout: writeTimeout,
		br: bufio.NewReaderSize(nc, 32<<10),
		bw: bufio.NewWriterSize(nc, 32<<10),
	}
}

func (w *streamWire) read(context.Context) (frame, error) {
	b, err := readFrame(w.br, w.max)
	if err != nil {
		return frame{}, err
	}
	env, err := decodeBinary(b)
	return frame{env: env}, err
}

func (w *streamWire) write(_ context.Context, f frame) error {
	buf, err := appendFrame(w.buf[:0], f.env)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "reply could not be encoded")
	}
	if len(buf)-4 > w.max {
		return errs.E(errs.TooLarge, "reply exceeds the frame limit")
	}
	w.buf = buf[:0]
	if cap(w.buf) > eagerAlloc {
		w.buf = nil // do not keep one huge reply's buffer for the connection's life
	}
	w.deadline()
	_, err = w.bw.Write(buf)
	return err
}

func (w *streamWire) flush() error {
	w.deadline()
	return w.bw.Flush()
}

func (w *streamWire) deadline() {
	if w.writeTimeout > 0 {
		_ = w.nc.SetWriteDeadline(time.Now().Add(w.writeTimeout))
	}
}

func (w *streamWire) close(errs.Code, string) { _ = w.nc.Close() }
func (w *streamWire) closeNow()               { _ = w.nc.Close() }

// wsWire is a WebSocket: one envelope per message.
type wsWire struct {
	c            *websocket.Conn
	max          int
	writeTimeout time.Duration
}

func newWSWire(c *websocket.Conn, max int, writeTimeout time.Duration) *wsWire {
	// The limit is enforced in read, so that an oversized message can be
	// answered with an envelope before the close.
	c.SetReadLimit(-1)
	return &wsWire{c: c, max: max, writeTimeout: writeTimeout}
}

func (w *wsWire) read(ctx context.Context) (frame, error) {
	typ, r, err := w.c.Reader(ctx)
	if err != nil {
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure || websocket.CloseStatus(err) == websocket.StatusGoingAway {
			return frame{}, io.EOF
		}
		return frame{}, err
	}
	f := frame{text: typ == websocket.MessageText}
	b, err := io.ReadAll(io.LimitReader(r, int64(w.max)+1))
	if err != nil {
		return f, err
	}
	if len(b) > w.max {
		return f, errs.E(errs.TooLarge, "message exceeds the limit of %d bytes", w.max)
	}
	if f.text {
		f.env, err = decodeText(b)
	} else {
		f.env, err = decodeBinary(b)
	}
	return f, err
}

func (w *wsWire) write(ctx context.Context, f frame) error {
	b, err := encodeFrame(f)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "reply could not be encoded")
	}
	if len(b) > w.max {
		return errs.E(errs.TooLarge, "reply exceeds the frame limit")
	}
	typ := websocket.MessageBinary
	if f.text {
		typ = websocket.MessageText
	}
	if w.writeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.writeTimeout)
		defer cancel()
	}
	return w.c.Write(ctx, typ, b)
}

func (w *wsWire) flush() error { return nil }

func (w *wsWire) close(code errs.Code, reason string) {
	if err := w.c.Close(closeStatus(code), reason); err != nil {
		_ = w.c.CloseNow()
	}
}

func (w *wsWire) closeNow() { _ = w.c.CloseNow() }

// closeStatus is the WebSocket close code for why the server closes.
func closeStatus(code errs.Code) websocket.StatusCode {
	switch code {
	case "":
		return websocket.StatusNormalClosure
	case errs.InvalidArgument:
		return websocket.StatusInvalidFramePayloadData
	case errs.TooLarge:
		return websocket.StatusMessageTooBig
	case errs.Unavailable:
		return websocket.StatusGoingAway
	case errs.ResourceExhausted, errs.Unauthenticated, errs.PermissionDenied:
		return websocket.StatusPolicyViolation
	default:
		return websocket.StatusInternalError
	}
}

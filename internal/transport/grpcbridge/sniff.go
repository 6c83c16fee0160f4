package grpcbridge

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"mime"
	"net"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// MaxSniff bounds what Sniff reads and holds of a connection before it
// knows which server gets it: a first request larger than this goes to the
// HTTP/2 server of net/http, which serves gRPC too.
const MaxSniff = 64 << 10

// HTTP/2 framing (RFC 9113 section 4.1 and 6).
const (
	h2FrameHeader  = 9
	h2Headers      = 0x1
	h2Priority     = 0x2
	h2Settings     = 0x4
	h2Ping         = 0x6
	h2WindowUpdate = 0x8
	h2Continuation = 0x9

	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4
	h2FlagPadded     = 0x8
	h2FlagPriority   = 0x20

	// h2MaxFrame is the frame size a client may use before it has the
	// server's settings, which is all Sniff waits for.
	h2MaxFrame = 16384
)

// firstSettings is the SETTINGS frame Sniff sends, since gRPC clients send
// no request before the server's arrive. It keeps every default but one:
// SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218) may not change after a
// server's first SETTINGS, and net/http's server sends it as 1 (grpc-go's
// sends nothing of it, and ignores priorities too).
var firstSettings = []byte{0, 0, 6, h2Settings, 0, 0, 0, 0, 0, 0, 0x9, 0, 0, 0, 1}

// Sniff reads c, a TLS connection that chose HTTP/2, up to the end of its
// first request's headers and reports whether that request is a gRPC call
// from a gRPC library (see isGRPC). It first sends the
// server's SETTINGS frame, which gRPC clients wait for. The returned
// connection replays what was read; when it is not gRPC, it also hides the
// client's acknowledgement of that SETTINGS frame from the HTTP/2 server
// that gets it, whose own SETTINGS are the only ones it knows of.
//
// Input Sniff cannot place (no preface, an unexpected frame, more than
// MaxSniff bytes) is not gRPC: net/http's server answers it as it would.
// The read deadline is now+timeout until Sniff returns; an error means the
// client sent nothing useful in time, and c should be closed.
func Sniff(c net.Conn, timeout time.Duration) (net.Conn, bool, error) {
	if timeout > 0 {
		dl := time.Now().Add(timeout)
		_ = c.SetReadDeadline(dl)
		_ = c.SetWriteDeadline(dl)
		defer func() {
			_ = c.SetReadDeadline(time.Time{})
			_ = c.SetWriteDeadline(time.Time{})
		}()
	}
	if _, err := c.Write(firstSettings); err != nil {
		return nil, false, err
	}
	var seen bytes.Buffer
	grpcCall, err := firstIsGRPC(io.TeeReader(io.LimitReader(c, MaxSniff), &seen))
	if err != nil && seen.Len() < MaxSniff {
		return nil, false, err
	}
	var src io.Reader = io.MultiReader(bytes.NewReader(seen.Bytes()), c)
	if !grpcCall {
		src = &ackFilter{src: src, left: len(http2.ClientPreface)}
	}
	return &replayConn{Conn: c, src: src}, grpcCall, nil
}

// errNotH2 ends sniffing early at input that settles the answer: no.
var errNotH2 = errors.New("not a gRPC start")

// firstIsGRPC reads the preface and frames up to the first request's
// complete header block.
func firstIsGRPC(r io.Reader) (bool, error) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(r, preface); err != nil {
		return false, err
	}
	if string(preface) != http2.ClientPreface {
		return false, nil
	}
	var block []byte
	var stream uint32
	for {
		typ, flags, id, payload, err := readFrame(r)
		if errors.Is(err, errNotH2) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case block == nil && typ == h2Headers && id != 0:
			frag, ok := headerFragment(flags, payload)
			if !ok {
				return false, nil
			}
			block, stream = frag, id
		case block != nil && typ == h2Continuation && id == stream:
			block = append(block, payload...)
		case block == nil && (typ == h2Settings || typ == h2WindowUpdate || typ == h2Ping || typ == h2Priority):
			continue
		default:
			return false, nil
		}
		if flags&h2FlagEndHeaders != 0 {
			return isGRPC(block), nil
		}
	}
}

// readFrame reads one frame no larger than a client may send before it
// knows the server's settings.
func readFrame(r io.Reader) (typ, flags byte, stream uint32, payload []byte, err error) {
	var h [h2FrameHeader]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	if n > h2MaxFrame {
		err = errNotH2
		return
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	return h[3], h[4], binary.BigEndian.Uint32(h[5:]) & 0x7fffffff, payload, nil
}

// headerFragment strips a HEADERS frame's padding and priority fields.
func headerFragment(flags byte, p []byte) ([]byte, bool) {
	pad := 0
	if flags&h2FlagPadded != 0 {
		if len(p) < 1 {
			return nil, false
		}
		pad, p = int(p[0]), p[1:]
	}
	if flags&h2FlagPriority != 0 {
		if len(p) < 5 {
			return nil, false
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, false
	}
	return bytes.Clone(p[:len(p)-pad]), true
}

// isGRPC decodes a header block, as its first in the connection, and
// reports whether it is a gRPC call from a gRPC library. Those (grpc-go,
// grpc-java, the C core and its wrappers, grpc-dotnet, grpc-js) name
// themselves "grpc-..." in the user agent and carry nothing but gRPC on a
// connection. Clients built on a general HTTP client, such as connect-go
// or a browser, may send REST or Connect calls on the same connection
// later, which only net/http's server can answer.
func isGRPC(block []byte) bool {
	var ct, ua string
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		switch f.Name {
		case "content-type":
			ct = f.Value
		case "user-agent":
			ua = f.Value
		}
	})
	d.SetMaxStringLength(MaxSniff)
	if _, err := d.Write(block); err != nil || d.Close() != nil {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/grpc" && !strings.HasPrefix(mt, "application/grpc+") {
		return false
	}
	for _, tok := range strings.Fields(ua) {
		// connect-go's gRPC client names itself grpc-go-connect.
		if strings.HasPrefix(tok, "grpc-") && !strings.HasPrefix(tok, "grpc-go-connect/") {
			return true
		}
	}
	return false
}

// replayConn reads what Sniff read before the rest of the connection.
type replayConn struct {
	net.Conn
	src io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.src.Read(p) }

// ConnectionState lets the HTTP/2 servers see the TLS state through the
// wrapper, as they would on the *tls.Conn.
func (c *replayConn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.Conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// ackFilter passes an HTTP/2 client's bytes through, frame by frame, minus
// the first SETTINGS acknowledgement; after that it only copies.
type ackFilter struct {
	src     io.Reader
	left    int    // bytes of the preface or current frame still to pass
	out     []byte // a frame header to pass on
	dropped bool
}

func (f *ackFilter) Read(p []byte) (int, error) {
	for {
		switch {
		case len(f.out) > 0:
			n := copy(p, f.out)
			f.out = f.out[n:]
			return n, nil
		case f.left > 0:
			n, err := f.src.Read(p[:min(len(p), f.left)])
			f.left -= n
			return n, err
		case f.dropped:
			return f.src.Read(p)
		}
		var h [h2FrameHeader]byte
		if _, err := io.ReadFull(f.src, h[:]); err != nil {
			return 0, err
		}
		n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		if h[3] == h2Settings && h[4]&h2FlagAck != 0 && n == 0 {
			f.dropped = true
			continue
		}
		f.out, f.left = h[:], n
	}
}

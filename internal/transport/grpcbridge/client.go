package grpcbridge

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Client carries the gRPC requests of Connect's generated clients (built
// with connect.WithGRPC) over a grpc-go connection, so code written against
// those clients runs on grpc-go's transport and reaches the server as any
// gRPC library's calls do. Messages pass through as Connect encoded them,
// protobuf or JSON.
type Client struct {
	creds credentials.TransportCredentials
	opts  []grpc.DialOption
	mu    sync.Mutex
	conns map[string]*clientConn
}

// clientConn is one host's connection and its last handshake failure.
type clientConn struct {
	*grpc.ClientConn
	creds *recordingCreds
}

// NewClient returns a connect.HTTPClient that opens one grpc-go connection
// per host the requests name, secured by creds, with opts. Its windows are
// fixed at WindowSize, as the server's are: with grpc-go's default dynamic
// windows it would ping after every read to estimate the bandwidth-delay
// product, a write and a read more on each side for every small call.
func NewClient(creds credentials.TransportCredentials, opts ...grpc.DialOption) *Client {
	opts = append(FixedWindows(), opts...)
	return &Client{creds: creds, opts: opts, conns: map[string]*clientConn{}}
}

func (c *Client) conn(host string) (*clientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc, ok := c.conns[host]; ok {
		return cc, nil
	}
	rc := &recordingCreds{TransportCredentials: c.creds.Clone()}
	g, err := grpc.NewClient(host, append(c.opts, grpc.WithTransportCredentials(rc))...)
	if err != nil {
		return nil, err
	}
	cc := &clientConn{ClientConn: g, creds: rc}
	c.conns[host] = cc
	return cc, nil
}

// recordingCreds keeps the last TLS handshake failure, which grpc-go
// reports only as the text of an unavailable status: Do returns it as an
// error, so callers can still tell an untrusted certificate (an
// x509.UnknownAuthorityError) from other failures, as over net/http.
type recordingCreds struct {
	credentials.TransportCredentials
	last atomic.Pointer[error]
}

func (r *recordingCreds) ClientHandshake(ctx context.Context, authority string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := r.TransportCredentials.ClientHandshake(ctx, authority, c)
	if err != nil {
		r.last.Store(&err)
	} else {
		r.last.Store(nil)
	}
	return conn, info, err
}

func (r *recordingCreds) Clone() credentials.TransportCredentials {
	return &recordingCreds{TransportCredentials: r.TransportCredentials.Clone()}
}

// handshakeErr is the handshake failure behind err, if there was one.
func (r *recordingCreds) handshakeErr(err error) error {
	if status.Code(err) != codes.Unavailable {
		return nil
	}
	if last := r.last.Load(); last != nil {
		return fmt.Errorf("grpc bridge client: TLS handshake: %w", *last)
	}
	return nil
}

// Close closes every connection the client opened.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errList []error
	for host, cc := range c.conns {
		errList = append(errList, cc.Close())
		delete(c.conns, host)
	}
	return errors.Join(errList...)
}

// Do runs req, a gRPC request, as one grpc-go stream. A call that fails
// before its reply still gets a response: its status is in the trailers,
// where Connect looks for it.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	ct := req.Header.Get("Content-Type")
	codec, ok := grpcCodec(ct)
	if !ok {
		req.Body.Close()
		return nil, fmt.Errorf("grpc bridge client: content type %q is not gRPC", ct)
	}
	cc, err := c.conn(req.URL.Host)
	if err != nil {
		req.Body.Close()
		return nil, err
	}
	// grpc-go sets what toMetadata leaves out; the deadline travels in ctx.
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(req.Context(), toMetadata(req.Header, nil)))
	resp := &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/2.0", ProtoMajor: 2,
		Header:  http.Header{"Content-Type": {"application/grpc+" + string(codec)}},
		Trailer: http.Header{},
		Request: req,
	}
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	cs, err := cc.NewStream(ctx, desc, req.URL.Path, grpc.ForceCodecV2(codec))
	if err != nil {
		cancel()
		req.Body.Close()
		if herr := cc.creds.handshakeErr(err); herr != nil {
			return nil, herr
		}
		setStatus(resp.Trailer, err, nil)
		resp.Body = http.NoBody
		return resp, nil
	}
	go sendAll(req.Body, cs, cancel)
	if hdr, err := cs.Header(); err == nil {
		toHeader(resp.Header, hdr)
	}
	resp.Body = &frameReader{
		recv: cs.RecvMsg,
		end: func(err error) error {
			// The call's status goes in the trailers, read after the body.
			if err == io.EOF {
				err = nil
			}
			setStatus(resp.Trailer, err, cs.Trailer())
			return io.EOF
		},
		close: cancel,
	}
	return resp, nil
}

// sendAll sends each gRPC frame of body as a message, then half-closes.
func sendAll(body io.ReadCloser, cs grpc.ClientStream, cancel context.CancelFunc) {
	defer body.Close()
	var head [frameHeader]byte
	for {
		if _, err := io.ReadFull(body, head[:]); err != nil {
			if err == io.EOF {
				_ = cs.CloseSend()
			} else {
				cancel()
			}
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(head[1:]))
		if _, err := io.ReadFull(body, msg); err != nil || head[0] != 0 {
			cancel() // a cut or compressed frame: nothing was asked to compress
			return
		}
		if err := cs.SendMsg(&msg); err != nil {
			return // the status comes with the reply
		}
	}
}

// setStatus writes err's gRPC status and the trailer metadata as the
// trailers a gRPC server sends.
func setStatus(tr http.Header, err error, md metadata.MD) {
	toHeader(tr, md)
	st := status.Convert(err)
	tr.Set("Grpc-Status", strconv.Itoa(int(st.Code())))
	if st.Code() == codes.OK {
		return
	}
	tr.Set("Grpc-Message", percentEncode(st.Message()))
	if len(st.Proto().GetDetails()) > 0 {
		if raw, err := proto.Marshal(st.Proto()); err == nil {
			tr.Set("Grpc-Status-Details-Bin", base64.RawStdEncoding.EncodeToString(raw))
		}
	}
}

// percentEncode escapes a grpc-message as the gRPC spec asks: every byte
// outside printable ASCII, and the percent sign.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

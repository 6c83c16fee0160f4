package grpcbridge

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// frame is msg as one gRPC frame.
func frame(msg []byte) []byte {
	b := make([]byte, frameHeader, frameHeader+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// testHandler answers like a gRPC handler on net/http, and counts the
// calls that came through the bridge.
func testHandler(bridged *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(*replyWriter); ok {
			bridged.Add(1)
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/grpc")
		trailer := func(code, msg string) {
			w.Header().Set(http.TrailerPrefix+"Grpc-Status", code)
			w.Header().Set(http.TrailerPrefix+"Grpc-Message", msg)
		}
		switch r.URL.Path {
		case "/t.S/Echo":
			w.Header().Set("X-Echo", r.Header.Get("X-In"))
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Frame-Options", "DENY") // browsers only: left out
			w.Header().Set("Vary", "Origin")          // likewise
			w.Write(body)
			w.Header().Set(http.TrailerPrefix+"X-After", "done")
			trailer("0", "")
		case "/t.S/Stream":
			for i := range 3 {
				w.Write(frame([]byte{byte(i)})[:3]) // a frame in two writes
				w.Write(frame([]byte{byte(i)})[3:])
				w.(http.Flusher).Flush()
			}
			trailer("0", "")
		case "/t.S/Fail":
			trailer("5", "gone%20away")
		case "/t.S/Deadline":
			if _, ok := r.Context().Deadline(); !ok {
				trailer("3", "no deadline")
				return
			}
			w.Write(frame(nil))
			trailer("0", "")
		case "/t.S/Big":
			w.Write(frame(bytes.Repeat([]byte("a"), 64<<10)))
			trailer("0", "")
		case "/t.S/Cut":
			w.Write(frame([]byte("abc"))[:4])
		case "/t.S/Panic":
			panic("boom")
		default:
			w.Header().Del("Content-Type")
			http.NotFound(w, r)
		}
	})
}

// startShared serves testHandler, and unary's procedures directly when
// it is not nil.
func startShared(t testing.TB, unary func(string) Unary) (*httptest.Server, *atomic.Int32, *tls.Config) {
	bridged := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(testHandler(bridged))
	srv.EnableHTTP2 = true
	opt := Options{MaxRecvMsg: 1 << 20, MaxStreams: 100, MaxHeaderBytes: 64 << 10, IdleTimeout: time.Minute, CompressMin: 8 << 10, Unary: unary}
	if _, err := Share(srv.Config, opt); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, bridged, &tls.Config{RootCAs: pool, ServerName: "example.com"}
}

// dialShared is a stock grpc-go connection to srv, closed when the test ends.
func dialShared(tb testing.TB, srv *httptest.Server, tc *tls.Config) *grpc.ClientConn {
	cc, err := grpc.NewClient(srv.Listener.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// invoke calls method with in as the request message, sent in codec,
// and returns the reply message without its frame header.
func invoke(ctx context.Context, cc *grpc.ClientConn, method, codec string, in []byte, opts ...grpc.CallOption) ([]byte, error) {
	var out []byte
	err := cc.Invoke(ctx, method, &in, &out, append(opts, grpc.ForceCodecV2(frameCodec(codec)))...)
	if len(out) >= frameHeader {
		out = out[frameHeader:]
	}
	return out, err
}

func TestBridge(t *testing.T) {
	srv, bridged, tc := startShared(t, nil)
	cc := dialShared(t, srv, tc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw := grpc.ForceCodecV2(frameCodec("proto"))
	call := func(ctx context.Context, method string, in []byte, opts ...grpc.CallOption) ([]byte, error) {
		return invoke(ctx, cc, method, "proto", in, opts...)
	}

	var header, trailer metadata.MD
	out, err := call(metadata.AppendToOutgoingContext(ctx, "x-in", "hello"), "/t.S/Echo", []byte("ping"), grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil || string(out) != "ping" {
		t.Fatalf("echo: %q %v", out, err)
	}
	if header.Get("x-echo")[0] != "hello" || trailer.Get("x-after")[0] != "done" {
		t.Errorf("metadata: header %v trailer %v", header, trailer)
	}
	if len(header.Get("cache-control")) != 1 || len(header.Get("x-frame-options")) != 0 || len(header.Get("vary")) != 0 {
		t.Errorf("reply header %v: want cache-control kept and the browser-only headers left out", header)
	}
	if _, err := call(ctx, "/t.S/Fail", nil); status.Code(err) != codes.NotFound || status.Convert(err).Message() != "gone away" {
		t.Errorf("fail: %v", err)
	}
	if _, err := call(ctx, "/t.S/Deadline", nil); err != nil {
		t.Errorf("the handler did not see the call's deadline: %v", err)
	}
	if out, err := call(ctx, "/t.S/Big", nil); err != nil || len(out) != 64<<10 {
		t.Errorf("big reply: %d bytes, %v", len(out), err)
	}
	for method, want := range map[string]codes.Code{
		"/t.S/Panic":   codes.Internal,
		"/t.S/Cut":     codes.Internal,
		"/t.S/Missing": codes.Unimplemented, // a plain 404
	} {
		if _, err := call(ctx, method, nil); status.Code(err) != want {
			t.Errorf("%s: %v, want %v", method, err, want)
		}
	}

	st, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/t.S/Stream", raw)
	if err == nil {
		err = st.SendMsg(&[]byte{})
	}
	if err == nil {
		err = st.CloseSend()
	}
	for i := range 3 {
		var m []byte
		if err == nil {
			err = st.RecvMsg(&m)
		}
		if err != nil || !bytes.Equal(m, frame([]byte{byte(i)})) {
			t.Fatalf("stream message %d: %x %v", i, m, err)
		}
	}
	if err := st.RecvMsg(new([]byte)); err != io.EOF {
		t.Fatalf("stream end: %v", err)
	}
	if n := bridged.Load(); n != 8 {
		t.Errorf("%d calls came through the bridge, want 8", n)
	}
}

// TestShareServesTheRest: HTTP/1.1, HTTP/2 requests that are not gRPC and
// gRPC from a general HTTP client go to net/http, on connections the
// bridge never sees, however they mix.
func TestShareServesTheRest(t *testing.T) {
	srv, bridged, tc := startShared(t, nil)
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: tc.Clone(), ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		hc := &http.Client{Transport: tr}
		for _, ua := range []string{"grpc-go-connect/1.21.1", "curl/8"} {
			req, _ := http.NewRequest("POST", srv.URL+"/t.S/Echo", bytes.NewReader(frame([]byte("x"))))
			req.Header.Set("Content-Type", "application/grpc")
			req.Header.Set("User-Agent", ua)
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !bytes.Equal(body, frame([]byte("x"))) || (h2 && res.Trailer.Get("Grpc-Status") != "0") {
				t.Fatalf("HTTP/2 %v, %s: body %x trailer %v", h2, ua, body, res.Trailer)
			}
			res, err = hc.Get(srv.URL + "/plain")
			if err != nil || res.StatusCode != http.StatusNotFound {
				t.Fatalf("plain request after gRPC: %v %v", res, err)
			}
			res.Body.Close()
		}
		tr.CloseIdleConnections()
	}
	if n := bridged.Load(); n != 0 {
		t.Fatalf("%d calls went through the bridge", n)
	}
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatal("test server is not TLS")
	}
}

// BenchmarkUnary is a unary call through the bridge from grpc-go over TLS
// on loopback, callers sharing one connection; client and server costs
// both count, allocations included.
func BenchmarkUnary(b *testing.B) {
	srv, _, tc := startShared(b, nil)
	cc := dialShared(b, srv, tc)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer bench", "x-in", "hello")
	raw := grpc.ForceCodecV2(frameCodec("proto"))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := bytes.Repeat([]byte("m"), 64)
		for pb.Next() {
			var out []byte
			if err := cc.Invoke(ctx, "/t.S/Echo", &in, &out, raw); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

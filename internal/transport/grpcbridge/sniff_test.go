package grpcbridge

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// stream builds a client's bytes: the preface, then frames.
type stream struct {
	buf bytes.Buffer
	fr  *http2.Framer
}

func newStream(preface bool) *stream {
	s := &stream{}
	if preface {
		s.buf.WriteString(http2.ClientPreface)
	}
	s.fr = http2.NewFramer(&s.buf, nil)
	return s
}

func block(fields ...string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return b.Bytes()
}

var (
	grpcGo  = block(":method", "POST", ":path", "/a.B/C", "content-type", "application/grpc", "user-agent", "grpc-go/1.85.0")
	grpcApp = block(":method", "POST", ":path", "/a.B/C", "content-type", "application/grpc+proto", "user-agent", "my-app/2 grpc-java-netty/1.70.0")
)

func TestSniff(t *testing.T) {
	rows := []struct {
		name  string
		build func(s *stream)
		grpc  bool
	}{
		{"grpc-go", func(s *stream) {
			s.fr.WriteSettings()
			s.fr.WriteWindowUpdate(0, 1<<20)
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
		}, true},
		{"gRPC library behind an application's user agent", func(s *stream) {
			s.fr.WriteSettings()
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcApp, EndHeaders: true})
		}, true},
		{"padded, with priority, after a ping and the settings ack", func(s *stream) {
			s.fr.WriteSettings()
			s.fr.WritePing(false, [8]byte{1})
			s.fr.WriteSettingsAck()
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: grpcGo, EndHeaders: true,
				PadLength: 7, Priority: http2.PriorityParam{StreamDep: 1, Weight: 9}})
		}, true},
		{"header block in continuations", func(s *stream) {
			s.fr.WriteSettings()
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo[:3]})
			s.fr.WriteContinuation(1, false, grpcGo[3:10])
			s.fr.WriteContinuation(1, true, grpcGo[10:])
		}, true},
		{"connect-go's gRPC client", func(s *stream) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: block(
				"content-type", "application/grpc", "user-agent", "grpc-go-connect/1.21.1 (go1.26.0)")})
		}, false},
		{"gRPC-Web from a gRPC user agent", func(s *stream) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: block(
				"content-type", "application/grpc-web+proto", "user-agent", "grpc-web-javascript/0.1")})
		}, false},
		{"gRPC content type, no user agent", func(s *stream) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: block(
				"content-type", "application/grpc")})
		}, false},
		{"a browser's GET", func(s *stream) {
			s.fr.WriteSettings()
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true, BlockFragment: block(
				":method", "GET", ":path", "/", "user-agent", "Mozilla/5.0")})
		}, false},
		{"data before any headers", func(s *stream) {
			s.fr.WriteData(1, false, []byte("x"))
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
		}, false},
		{"continuation of another stream", func(s *stream) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo[:3]})
			s.fr.WriteContinuation(3, true, grpcGo[3:])
		}, false},
		{"headers on stream 0", func(s *stream) {
			s.fr.WriteRawFrame(http2.FrameHeaders, h2FlagEndHeaders, 0, grpcGo)
		}, false},
		{"padding longer than the frame", func(s *stream) {
			s.fr.WriteRawFrame(http2.FrameHeaders, h2FlagPadded|h2FlagEndHeaders, 1, []byte{200, 1, 2})
		}, false},
		{"garbage header block", func(s *stream) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndHeaders: true})
		}, false},
		{"frame over the size a client may send yet", func(s *stream) {
			s.buf.Write([]byte{0x10, 0, 0, h2Settings, 0, 0, 0, 0, 0})
			s.buf.Write(make([]byte, 1<<12))
		}, false},
		{"more than MaxSniff of pings", func(s *stream) {
			for s.buf.Len() <= MaxSniff {
				s.fr.WritePing(false, [8]byte{})
			}
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
		}, false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			s := newStream(true)
			r.build(s)
			in := bytes.Clone(s.buf.Bytes())
			got, replay := sniffBytes(t, in)
			if got != r.grpc {
				t.Fatalf("gRPC %v, want %v", got, r.grpc)
			}
			// Nothing is lost: the server that gets the connection reads
			// every byte the client sent.
			if !bytes.Equal(replay, in) {
				t.Fatalf("replayed %d bytes, want the %d sent", len(replay), len(in))
			}
		})
	}
}

func TestSniffNotHTTP2(t *testing.T) {
	in := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + strings.Repeat("x", 100))
	got, replay := sniffBytes(t, in)
	if got || !bytes.Equal(replay, in) {
		t.Fatalf("gRPC %v, replay %q", got, replay)
	}
}

// sniffBytes runs Sniff on a connection whose client sends in and closes,
// and returns its verdict and everything the returned connection reads.
func sniffBytes(t *testing.T, in []byte) (bool, []byte) {
	t.Helper()
	srv, cli := net.Pipe()
	defer srv.Close()
	go func() {
		defer cli.Close()
		settings := make([]byte, len(firstSettings))
		if _, err := io.ReadFull(cli, settings); err != nil || !bytes.Equal(settings, firstSettings) {
			t.Errorf("server's first frame %x (%v), want %x", settings, err, firstSettings)
			return
		}
		cli.Write(in)
	}()
	c, grpcCall, err := Sniff(srv, 5*time.Second)
	if err != nil {
		t.Fatalf("sniff: %v", err)
	}
	replay, err := io.ReadAll(c)
	if err != nil && err != io.ErrClosedPipe {
		t.Fatalf("replay: %v", err)
	}
	return grpcCall, replay
}

func TestSniffGivesUp(t *testing.T) {
	for name, in := range map[string][]byte{
		"preface cut short": []byte(http2.ClientPreface[:10]),
		"frame cut short":   append([]byte(http2.ClientPreface), 0, 0, 20, h2Headers, h2FlagEndHeaders, 0, 0, 0, 1, 1, 2),
		"silent":            nil,
	} {
		t.Run(name, func(t *testing.T) {
			srv, cli := net.Pipe()
			defer srv.Close()
			go func() {
				io.ReadFull(cli, make([]byte, len(firstSettings)))
				cli.Write(in)
				// Stall, as a slow client would, until the deadline.
			}()
			start := time.Now()
			if _, _, err := Sniff(srv, 200*time.Millisecond); err == nil {
				t.Fatal("sniff of a stalled client succeeded")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("sniff gave up after %v", d)
			}
			cli.Close()
		})
	}
}

// TestAckFilter: the server that did not send Sniff's SETTINGS never sees
// its acknowledgement; every other frame, later acks included, passes
// intact however the reads are cut.
func TestAckFilter(t *testing.T) {
	s := newStream(true)
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	s.fr.WriteSettingsAck()
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
	s.fr.WriteSettingsAck()
	s.fr.WriteData(1, true, []byte("payload"))
	in := s.buf.Bytes()

	want := newStream(true)
	want.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	want.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
	want.fr.WriteSettingsAck()
	want.fr.WriteData(1, true, []byte("payload"))

	for name, src := range map[string]io.Reader{
		"whole":         bytes.NewReader(in),
		"byte by byte":  iotest.OneByteReader(bytes.NewReader(in)),
		"half of reads": iotest.HalfReader(bytes.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := io.ReadAll(iotest.OneByteReader(&ackFilter{src: src, left: len(http2.ClientPreface)}))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.buf.Bytes()) {
				t.Fatalf("filtered %x\nwant     %x", got, want.buf.Bytes())
			}
		})
	}
}

// FuzzSniff: any first bytes get a verdict, never a panic, and the header
// decoder holds no more than MaxSniff.
func FuzzSniff(f *testing.F) {
	s := newStream(true)
	s.fr.WriteSettings()
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: grpcGo, EndHeaders: true})
	f.Add(s.buf.Bytes())
	f.Add([]byte(http2.ClientPreface))
	f.Add(append([]byte(http2.ClientPreface), 0, 0, 3, h2Headers, h2FlagPadded|h2FlagPriority, 0, 0, 0, 1, 9, 9, 9))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = firstIsGRPC(io.LimitReader(bytes.NewReader(in), MaxSniff))
	})
}

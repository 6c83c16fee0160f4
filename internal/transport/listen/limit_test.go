package listen

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn is a connection from a chosen address that records reads.
type fakeConn struct {
	net.Conn
	remote net.Addr
	reads  atomic.Int32
	closed atomic.Int32
}

func (c *fakeConn) RemoteAddr() net.Addr       { return c.remote }
func (c *fakeConn) Read(p []byte) (int, error) { c.reads.Add(1); return 0, io.EOF }
func (c *fakeConn) Close() error               { c.closed.Add(1); return nil }

// fakeListener hands out queued connections, then reports itself closed.
type fakeListener struct {
	net.Listener
	queue chan *fakeConn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.queue:
		return c, nil
	default:
		return nil, net.ErrClosed
	}
}

func tcp(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// dial queues connections from addrs and accepts until the queue is empty.
func dial(t *testing.T, l *Limited, fl *fakeListener, addrs ...net.Addr) (accepted []net.Conn, sent []*fakeConn) {
	t.Helper()
	for _, a := range addrs {
		c := &fakeConn{remote: a}
		sent = append(sent, c)
		fl.queue <- c
	}
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return accepted, sent
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted = append(accepted, c)
	}
}

func newFake(max int) (*Limited, *fakeListener) {
	fl := &fakeListener{queue: make(chan *fakeConn, 64)}
	return PerAddress(fl, max), fl
}

func TestPerAddressCaps(t *testing.T) {
	l, fl := newFake(2)
	a, b := tcp("192.0.2.1:1000"), tcp("192.0.2.2:1000")
	accepted, sent := dial(t, l, fl, a, a, a, b, a)
	if len(accepted) != 3 {
		t.Fatalf("accepted %d connections, want 3 (two from a, one from b)", len(accepted))
	}
	if l.Refused() != 2 || l.Open(a) != 2 || l.Open(b) != 1 {
		t.Fatalf("refused %d, open a=%d b=%d; want 2, 2, 1", l.Refused(), l.Open(a), l.Open(b))
	}
	for _, i := range []int{2, 4} {
		if sent[i].closed.Load() != 1 || sent[i].reads.Load() != 0 {
			t.Errorf("refused connection %d: closed %d times, read %d times; want closed once, never read",
				i, sent[i].closed.Load(), sent[i].reads.Load())
		}
	}
	// Closing twice gives the slot back once; then a's next one fits.
	accepted[0].Close()
	accepted[0].Close()
	if l.Open(a) != 1 {
		t.Fatalf("open from a after a double close = %d, want 1", l.Open(a))
	}
	if more, _ := dial(t, l, fl, a, a); len(more) != 1 {
		t.Fatalf("after one close a got %d more connections, want 1", len(more))
	}
}

// TestPerAddressForgets holds the map to the addresses that hold a
// connection, so a stream of one-off clients cannot grow it.
func TestPerAddressForgets(t *testing.T) {
	l, fl := newFake(1)
	for i := range 1000 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
		conns, _ := dial(t, l, fl, net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 1)))
		if len(conns) != 1 {
			t.Fatalf("client %d not accepted", i)
		}
		conns[0].Close()
	}
	if n := l.Addresses(); n != 0 {
		t.Fatalf("%d addresses remembered after every connection closed", n)
	}
}

func TestPerAddressGroupsIPv6By64(t *testing.T) {
	l, fl := newFake(1)
	accepted, _ := dial(t, l, fl,
		tcp("[2001:db8:1:2::1]:1"), tcp("[2001:db8:1:2:ffff::9]:1"), // one /64
		tcp("[2001:db8:1:3::1]:1"),  // the next /64
		tcp("[::ffff:192.0.2.7]:1"), // IPv4-mapped counts as IPv4
		tcp("192.0.2.7:2"),
	)
	if len(accepted) != 3 || l.Refused() != 2 {
		t.Fatalf("accepted %d, refused %d; want 3 and 2", len(accepted), l.Refused())
	}
}

func TestPerAddressLeavesNonIPAlone(t *testing.T) {
	l, fl := newFake(1)
	unix := &net.UnixAddr{Name: "", Net: "unix"}
	if accepted, _ := dial(t, l, fl, unix, unix, unix); len(accepted) != 3 {
		t.Fatalf("accepted %d unix connections, want all 3", len(accepted))
	}
}

func TestPerAddressZeroMeansNoCap(t *testing.T) {
	l, fl := newFake(0)
	a := tcp("192.0.2.1:1")
	if accepted, _ := dial(t, l, fl, a, a, a); len(accepted) != 3 {
		t.Fatalf("with no cap accepted %d, want 3", len(accepted))
	}
}

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{tcp("192.0.2.1:80"), "192.0.2.1/32"},
		{tcp("[2001:db8::1]:80"), "2001:db8::/64"},
		{tcp("[::ffff:10.0.0.1]:80"), "10.0.0.1/32"},
		{&net.UDPAddr{IP: net.ParseIP("2001:db8:0:0:1::1"), Zone: "eth0"}, "2001:db8::/64"},
		{&net.UnixAddr{Name: "/run/x.sock", Net: "unix"}, ""},
	} {
		k, ok := Key(tc.addr)
		got := ""
		if ok {
			got = k.String()
		}
		if got != tc.want {
			t.Errorf("Key(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestRefusedOverTCP checks a real refused client sees a clean close and
// the server never waits on it.
func TestRefusedOverTCP(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := PerAddress(raw, 1)
	defer l.Close()
	held := make(chan net.Conn, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	first, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	srv := <-held
	defer srv.Close()
	second, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := second.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("second connection: read %d bytes, err %v; want a clean close (EOF)", n, err)
	}
	if got := l.Refused(); got != 1 {
		t.Fatalf("refused %d, want 1", got)
	}
	// The conn wrapper still half-closes and exposes the TCP connection.
	if _, ok := srv.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn); !ok {
		t.Fatal("NetConn is not the accepted TCP connection")
	}
	if err := srv.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	first.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := first.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after CloseWrite the client reads %v, want EOF", err)
	}
}

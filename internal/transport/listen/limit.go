package listen

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Limited is a listener that lets each client address hold at most a fixed
// number of open connections. A connection over the cap is closed as soon
// as it is accepted, before anything is read from it, and Accept goes on to
// the next one.
type Limited struct {
	net.Listener
	max     int
	refused atomic.Uint64

	mu   sync.Mutex
	open map[netip.Prefix]int // entries go when their count reaches zero
}

var _ net.Listener = (*Limited)(nil)

// PerAddress wraps ln so each client address holds at most max connections
// at once; max <= 0 means no cap. Addresses are grouped as Key does.
// Connections whose peer is not an IP address (a unix socket) are not
// counted: they are local and guarded by the socket's file mode.
func PerAddress(ln net.Listener, max int) *Limited {
	return &Limited{Listener: ln, max: max, open: map[netip.Prefix]int{}}
}

// Key is the group a peer address counts against: the IPv4 address, or the
// /64 of an IPv6 one, since a single host commonly holds a whole /64.
// ok is false for an address that is not an IP address.
func Key(addr net.Addr) (key netip.Prefix, ok bool) {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, ok = netip.AddrFromSlice(a.IP)
	case *net.UDPAddr:
		ip, ok = netip.AddrFromSlice(a.IP)
	default:
		if addr == nil {
			return netip.Prefix{}, false
		}
		ap, err := netip.ParseAddrPort(addr.String())
		ip, ok = ap.Addr(), err == nil
	}
	if !ok {
		return netip.Prefix{}, false
	}
	return Group(ip), true
}

// Group is the group one client IP address counts as, for connection caps
// and rate limits alike: the IPv4 address, or the /64 of an IPv6 one.
func Group(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked()
	}
	return netip.PrefixFrom(ip, 32)
}

// Accept returns the next connection whose address is under the cap.
func (l *Limited) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.max <= 0 {
			return c, nil
		}
		key, ok := Key(c.RemoteAddr())
		if !ok {
			return c, nil
		}
		if l.take(key) {
			return &conn{Conn: c, release: func() { l.give(key) }}, nil
		}
		l.refused.Add(1)
		c.Close()
	}
}

func (l *Limited) take(key netip.Prefix) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.max {
		return false
	}
	l.open[key]++
	return true
}

func (l *Limited) give(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.open[key] - 1; n > 0 {
		l.open[key] = n
	} else {
		delete(l.open, key)
	}
}

// Addresses is how many client addresses hold a connection now.
func (l *Limited) Addresses() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.open)
}

// Open is how many connections the address group of addr holds now.
func (l *Limited) Open(addr net.Addr) int {
	key, ok := Key(addr)
	if !ok {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[key]
}

// Refused is how many connections were closed for being over the cap.
func (l *Limited) Refused() uint64 { return l.refused.Load() }

// conn gives its address's slot back exactly once, on the first Close.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

var _ net.Conn = (*conn)(nil)

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes when the connection can, so net/http can let a
// final error response drain before it closes.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// NetConn is the accepted connection, for callers that need its own
// methods (keep-alive settings, file descriptor).
func (c *conn) NetConn() net.Conn { return c.Conn }

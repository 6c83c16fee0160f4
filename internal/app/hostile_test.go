package app_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// Hostile clients against a real node: each must be cut off by a limit
// while a well-behaved client is still served.

// cleanClose reports whether err is how a server hanging up looks to a
// reader: end of stream or a reset, not a local timeout.
func cleanClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

func healthy(t *testing.T, h *apptest.Harness) {
	t.Helper()
	if res := h.Anonymous().Public("GET", "/healthz", nil); res.Status != http.StatusOK {
		t.Fatalf("a normal client got %d", res.Status)
	}
}

// TestSlowloris: a client that trickles its request header is cut off
// once read_header_timeout passes, while others are served meanwhile.
func TestSlowloris(t *testing.T) {
	const headerTimeout = time.Second
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		c.HTTP.ReadHeaderTimeout = config.Duration(headerTimeout)
	}})
	pub, _ := h.Node.Addrs()
	conn, err := tls.Dial("tcp", pub, h.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		closed <- err
	}()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: rampart\r\n")
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case err := <-closed:
			elapsed := time.Since(start)
			t.Logf("slowloris client cut off after %v (read_header_timeout %v), having sent %d header lines; read: %v",
				elapsed.Round(time.Millisecond), headerTimeout, i, err)
			if !cleanClose(err) {
				t.Fatalf("want a clean close, got %v", err)
			}
			if elapsed < headerTimeout {
				t.Fatalf("cut off after %v, before read_header_timeout", elapsed)
			}
			return
		case <-tick.C:
			if _, err := io.WriteString(conn, "X-Slow: 1\r\n"); err != nil {
				continue // the server hung up; the reader reports it
			}
			if i == 3 {
				healthy(t, h)
			}
		case <-giveUp:
			t.Fatal("the server never cut the slow client off")
		}
	}
}

// TestHalfOpenHandshakes: clients that open TCP and never finish the TLS
// handshake are dropped after the handshake timeout (the smallest of the
// HTTP timeouts), and do not block others.
func TestHalfOpenHandshakes(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		c.HTTP.ReadHeaderTimeout = config.Duration(time.Second)
	}})
	pub, _ := h.Node.Addrs()
	partial := [][]byte{
		nil,                // nothing at all
		{0x16, 0x03, 0x01}, // half a record header
		{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc}, // a ClientHello cut short
	}
	var wg sync.WaitGroup
	errc := make(chan error, 30)
	for i := range 30 {
		c, err := net.Dial("tcp", pub)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(partial[i%len(partial)])
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		wg.Go(func() {
			_, err := io.Copy(io.Discard, c)
			if err == nil {
				err = io.EOF // Copy reports a clean end as nil
			}
			errc <- err
		})
	}
	healthy(t, h)
	wg.Wait()
	close(errc)
	for err := range errc {
		if !cleanClose(err) {
			t.Fatalf("a half-open handshake ended with %v, want the server to hang up", err)
		}
	}
}

// TestOversizedHeader: a request header over http.max_header_bytes gets 431.
func TestOversizedHeader(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	pub, _ := h.Node.Addrs()
	conn, err := tls.Dial("tcp", pub, h.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		big := strings.Repeat("a", int(h.Cfg.HTTP.MaxHeaderBytes)+64<<10)
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: rampart\r\nX-Big: "+big+"\r\n\r\n")
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", res.StatusCode)
	}
	healthy(t, h)
}

// memInUse is what the process holds for the Go heap and goroutine stacks.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// TestIdleConnectionFlood: 10,000 idle connections from one address. The
// node keeps http.max_conns_per_address of them and closes the rest at
// once; memory stays bounded; a client from another address is served
// throughout, and one from the flooding address once the flood ends.
func TestIdleConnectionFlood(t *testing.T) {
	const flood = 10000
	h := apptest.Start(t, apptest.Options{Config: func(c *config.Config) {
		// Long enough that the held connections stay for the whole test.
		c.HTTP.ReadHeaderTimeout = config.Duration(2 * time.Minute)
	}})
	limit := h.Cfg.HTTP.MaxConnsPerAddress
	pub, _ := h.Node.Addrs()
	// Warm the node up from an address of its own, leaving 127.0.0.1 free.
	if err := getFrom(h, "127.0.0.3"); err != nil {
		t.Fatal(err)
	}
	heap0, stack0 := memInUse()
	start := time.Now()

	conns := dialMany(t, pub, flood)
	held := classify(t, conns, flood-limit)
	if len(held) != limit {
		t.Fatalf("%d connections held, want the limit %d", len(held), limit)
	}
	heap1, stack1 := memInUse()
	growth := int64(heap1+stack1) - int64(heap0+stack0)
	t.Logf("%d idle connections from one address: %d held, %d closed at accept, in %v; heap %+.1f MiB, stacks %+.1f MiB (client and server sides together)",
		flood, len(held), flood-len(held), time.Since(start).Round(time.Millisecond),
		float64(int64(heap1)-int64(heap0))/(1<<20), float64(int64(stack1)-int64(stack0))/(1<<20))
	if growth > 64<<20 {
		t.Fatalf("memory grew by %.1f MiB with the flood held", float64(growth)/(1<<20))
	}

	// Another address is served; the flooding one is not, until it lets go.
	if err := getFrom(h, "127.0.0.2"); err != nil {
		t.Fatalf("client from 127.0.0.2 during the flood: %v", err)
	}
	if err := getFrom(h, "127.0.0.1"); err == nil {
		t.Fatal("a further client from the flooding address was served over the limit")
	}
	for _, c := range held {
		c.Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for err := getFrom(h, "127.0.0.1"); err != nil; err = getFrom(h, "127.0.0.1") {
		if time.Now().After(deadline) {
			t.Fatalf("the flooding address is still refused after its connections closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dialMany opens n TCP connections to addr from 127.0.0.1.
func dialMany(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					errc <- err
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	close(errc)
	if err := <-errc; err != nil {
		t.Fatalf("dial: %v", err)
	}
	return conns
}

// classify waits until want of conns have been closed by the server, closes
// those on our side too, and returns the others.
func classify(t *testing.T, conns []net.Conn, want int) []net.Conn {
	t.Helper()
	pending, refused := conns, 0
	deadline := time.Now().Add(60 * time.Second)
	one := make([]byte, 1)
	for refused < want && time.Now().Before(deadline) {
		var still []net.Conn
		for _, c := range pending {
			c.SetReadDeadline(time.Now().Add(time.Millisecond))
			_, err := c.Read(one)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				still = append(still, c)
				continue
			}
			if !cleanClose(err) {
				t.Fatalf("a refused connection ended with %v, want a clean close", err)
			}
			refused++
			c.Close()
		}
		pending = still
	}
	if refused != want {
		t.Fatalf("%d connections closed by the server, want %d", refused, want)
	}
	return pending
}

// getFrom asks for /healthz over a new connection from the local address ip.
func getFrom(h *apptest.Harness, ip string) error {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{TLSClientConfig: h.TLSConfig(), DialContext: d.DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.PublicURL+"/healthz", nil)
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return errors.New(res.Status)
	}
	return nil
}

package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options configure Open.
type Options struct {
	// URL of an external NATS cluster; empty starts the embedded server.
	URL string
	// Listen exposes the embedded server on host:port; empty keeps it
	// in-process only.
	Listen string
	// StoreDir holds the embedded server's JetStream data.
	StoreDir string
	// Prefix scopes subjects, so several deployments can share a cluster.
	Prefix string
	Name   string // connection name, for the NATS monitoring pages
}

// Bus is a connection to the bus, and the embedded server if it runs one.
type Bus struct {
	nc     *nats.Conn
	srv    *server.Server
	prefix string
}

// Open starts the embedded server or connects to the external cluster.
func Open(o Options) (*Bus, error) {
	if o.Prefix == "" {
		o.Prefix = "rampart"
	}
	b := &Bus{prefix: o.Prefix}
	opts := []nats.Option{nats.Name(o.Name), nats.NoEcho(), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if o.URL != "" {
		nc, err := nats.Connect(o.URL, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to nats %s: %w", o.URL, err)
		}
		b.nc = nc
		return b, nil
	}
	srv, err := embedded(o)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect("", append(opts, nats.InProcessServer(srv))...)
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	b.nc, b.srv = nc, srv
	return b, nil
}

func embedded(o Options) (*server.Server, error) {
	so := &server.Options{
		ServerName: o.Name, JetStream: true, StoreDir: o.StoreDir,
		NoSigs: true, NoLog: true, DontListen: o.Listen == "",
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded nats listen address: %w", err)
		}
		so.Host = host
		if so.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("embedded nats port: %w", err)
		}
		if so.Port == 0 {
			so.Port = server.RANDOM_PORT // nats reads 0 as its default, 4222
		}
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("start embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats did not become ready")
	}
	return srv, nil
}

func (b *Bus) subject(s string) string { return b.prefix + "." + s }

// Committed tells the other nodes that this one committed a write.
func (b *Bus) Committed() {
	// Losing a notice only delays other nodes until their next poll.
	_ = b.nc.Publish(b.subject("commit"), nil)
}

// OnCommit calls fn whenever another node commits.
func (b *Bus) OnCommit(fn func()) error {
	_, err := b.nc.Subscribe(b.subject("commit"), func(*nats.Msg) { fn() })
	return err
}

// Publish sends data to every other node listening on subject.
func (b *Bus) Publish(subject string, data []byte) {
	// A lost message only delays the others until their caches expire.
	_ = b.nc.Publish(b.subject(subject), data)
}

// Subscribe calls fn with what other nodes publish on subject.
func (b *Bus) Subscribe(subject string, fn func(data []byte)) error {
	_, err := b.nc.Subscribe(b.subject(subject), func(m *nats.Msg) { fn(m.Data) })
	return err
}

// Conn is the underlying connection, for services that use NATS directly.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// ClientURL is where other processes reach the embedded server, or "".
func (b *Bus) ClientURL() string {
	if b.srv == nil || b.srv.Addr() == nil {
		return ""
	}
	return b.srv.ClientURL()
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() error {
	err := b.nc.Drain()
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
	return err
}

package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/transport/envelope"
)

// TestACLMatrixRPC runs the matrix over each RPC protocol with the same
// expectations as REST: engine/protocol/bypass/user/doc/verb.
func TestACLMatrixRPC(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			for _, p := range apptest.RPCProtocols {
				t.Run(p.Name, func(t *testing.T) {
					t.Parallel()
					for _, bypass := range bypassModes(testing.Short()) {
						t.Run(bypassName(bypass), func(t *testing.T) {
							t.Parallel()
							Run(t, startRPC(t, engine, bypass, func(h *apptest.Harness, _ *testing.T) (connect.HTTPClient, string, string, []connect.ClientOption) {
								client := &http.Client{Transport: &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: true}}
								t.Cleanup(client.CloseIdleConnections)
								return p.Client(h, client), h.PublicURL, h.AdminURL, p.Opts
							}))
						})
					}
				})
			}
		})
	}
}

// bypassModes are the admins' bypass settings a transport runs the matrix
// with: both normally; with -short only off, the one with more refusals.
func bypassModes(short bool) []bool {
	if short {
		return []bool{false}
	}
	return []bool{true, false}
}

func bypassName(bypass bool) string {
	if bypass {
		return "bypass-on"
	}
	return "bypass-off"
}

// dialer gives the HTTP client the generated clients run over, the base URLs
// of the public and admin services, and the protocol options.
type dialer func(h *apptest.Harness, t *testing.T) (hc connect.HTTPClient, public, admin string, opts []connect.ClientOption)

// startRPC starts a node, makes the principals and seeds the matrix over
// the protobuf services.
func startRPC(t *testing.T, engine apptest.Engine, bypass bool, dial dialer, configure ...func(*config.Config)) *Env {
	return startEnv(t, engine, bypass, func(h *apptest.Harness) func(token string) caller {
		hc, public, admin, opts := dial(h, t)
		docs := rampartv1connect.NewDocumentServiceClient(hc, public, opts...)
		adm := rampartv1connect.NewAdminServiceClient(hc, admin, opts...)
		return func(token string) caller { return &RPC{Docs: docs, Admin: adm, Token: token} }
	}, configure...)
}

// TestACLMatrixSockets runs the matrix over the envelope transports with the
// same expectations as REST: engine/transport/bypass/user/doc/verb. Every
// caller shares one connection, each message carrying its own token, so the
// rows also prove that a per-message token speaks for its caller only.
func TestACLMatrixSockets(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			for _, tr := range []string{"ws", "tcp", "unix"} {
				t.Run(tr, func(t *testing.T) {
					t.Parallel()
					for _, bypass := range bypassModes(testing.Short()) {
						t.Run(bypassName(bypass), func(t *testing.T) {
							t.Parallel()
							sock := socketPath(t)
							Run(t, startRPC(t, engine, bypass, func(h *apptest.Harness, t *testing.T) (connect.HTTPClient, string, string, []connect.ClientOption) {
								u := map[string]string{
									"ws":   "wss://" + strings.TrimPrefix(h.PublicURL, "https://"),
									"tcp":  "tcp+tls://" + h.Node.TCPAddr().String(),
									"unix": "unix://" + sock,
								}[tr]
								c, err := envelope.Dial(context.Background(), u, h.TLSConfig())
								if err != nil {
									t.Fatalf("dial %s: %v", u, err)
								}
								t.Cleanup(func() { c.Close() })
								// Admin calls are not served on the sockets: the
								// admin listener is where they belong.
								admin := &http.Client{Transport: &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: true}}
								t.Cleanup(admin.CloseIdleConnections)
								return muxClient{sockets: c, admin: admin}, "http://envelope", h.AdminURL, nil
							}, func(c *config.Config) {
								c.Listen.TCP, c.Listen.Unix = "127.0.0.1:0", sock
							}))
						})
					}
				})
			}
		})
	}
}

// muxClient sends the public services over an envelope connection and the
// admin service to the admin listener.
type muxClient struct {
	sockets connect.HTTPClient
	admin   *http.Client
}

func (m muxClient) Do(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "envelope" {
		return m.sockets.Do(r)
	}
	return m.admin.Do(r)
}

// socketPath is a unix socket path short enough for the kernel's limit,
// which t.TempDir's nested names can pass.
func socketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "r.sock")
}

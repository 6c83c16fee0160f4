package e2e

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"

	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// rpcProtocols are the protocols one Connect handler serves, by the client
// options that select them.
var rpcProtocols = []struct {
	name string
	opts []connect.ClientOption
}{
	{"grpc", []connect.ClientOption{connect.WithGRPC()}},
	{"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}},
	{"connect", nil},
}

// TestACLMatrixRPC runs the matrix over each RPC protocol with the same
// expectations as REST: engine/protocol/bypass/user/doc/verb.
func TestACLMatrixRPC(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			for _, p := range rpcProtocols {
				t.Run(p.name, func(t *testing.T) {
					t.Parallel()
					for _, bypass := range bypassModes(testing.Short()) {
						t.Run(bypassName(bypass), func(t *testing.T) {
							t.Parallel()
							Run(t, startRPC(t, engine, bypass, func(h *apptest.Harness, _ *testing.T) (connect.HTTPClient, string, string, []connect.ClientOption) {
								client := &http.Client{Transport: &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: true}}
								t.Cleanup(client.CloseIdleConnections)
								return client, h.PublicURL, h.AdminURL, p.opts
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
	h := apptest.Start(t, apptest.Options{Engine: engine, Config: func(c *config.Config) {
		c.ACL.AdminsBypass = bypass
		for _, f := range configure {
			f(c)
		}
	}})
	ids := principals(h)
	hc, public, admin, opts := dial(h, t)
	docs := rampartv1connect.NewDocumentServiceClient(hc, public, opts...)
	adm := rampartv1connect.NewAdminServiceClient(hc, admin, opts...)
	env := &Env{Bypass: bypass, Callers: map[string]Caller{}, IDs: ids, Inspect: StoreInspector{h.Node.Store()}}
	for _, u := range AllUsers() {
		r := &RPC{Docs: docs, Admin: adm, Token: h.Login(u, password).Token}
		env.Callers[u] = r
		if u == Root {
			env.Admin = r
		}
	}
	if err := env.Seed(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return env
}

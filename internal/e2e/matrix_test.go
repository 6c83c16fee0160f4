package e2e

import (
	"net/http"
	"testing"

	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
)

// TestACLMatrix runs every row on every engine with the admins' bypass on
// and off, over REST: engine/bypass/user/doc/verb.
func TestACLMatrix(t *testing.T) {
	t.Parallel()
	for _, engine := range apptest.Engines {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			for _, bypass := range []bool{true, false} {
				t.Run(bypassName(bypass), func(t *testing.T) {
					t.Parallel()
					Run(t, startREST(t, engine, bypass))
				})
			}
		})
	}
}

// password is every matrix user's password.
const password = "matrix-password-1"

// startREST starts a node, makes the principals and seeds the matrix
// through REST.
func startREST(t *testing.T, engine apptest.Engine, bypass bool) *Env {
	return startEnv(t, engine, bypass, func(h *apptest.Harness) func(token string) caller {
		// One transport for every caller: HTTP/2 multiplexes them over one
		// connection, so hundreds of parallel rows cost one handshake.
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: true}}
		t.Cleanup(client.CloseIdleConnections)
		return func(token string) caller {
			return &REST{PublicURL: h.PublicURL, AdminURL: h.AdminURL, Token: token, Client: client}
		}
	})
}

// caller is what a transport gives each principal: a Caller that can also
// call the admin surface.
type caller interface {
	Caller
	Admin
}

// startEnv starts a node, makes the principals, signs each in, gives it a
// caller of the transport open builds, and seeds the matrix through them.
func startEnv(t *testing.T, engine apptest.Engine, bypass bool, open func(*apptest.Harness) func(token string) caller, configure ...func(*config.Config)) *Env {
	h := apptest.Start(t, apptest.Options{Engine: engine, Config: func(c *config.Config) {
		c.ACL.AdminsBypass = bypass
		for _, f := range configure {
			f(c)
		}
	}})
	ids := principals(h)
	as := open(h)
	env := &Env{Bypass: bypass, Callers: map[string]Caller{}, IDs: ids, Inspect: StoreInspector{h.Node.Store()}}
	for _, u := range AllUsers() {
		c := as(h.Login(u, password).Token)
		env.Callers[u] = c
		if u == Root {
			env.Admin = c
		}
	}
	if err := env.Seed(); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return env
}

// principals makes the matrix's users and roles and returns every
// principal's id by name, the built-in roles included.
func principals(h *apptest.Harness) map[string]string {
	ids := map[string]string{Users: Users, Admins: Admins}
	for _, u := range AllUsers() {
		ids[u] = h.CreateUser(u, password, u == Root)
	}
	for _, r := range Roles {
		members := make([]string, len(r.Members))
		for i, m := range r.Members {
			members[i] = ids[m]
		}
		ids[r.Name] = h.CreateRole(r.Name, members...)
	}
	return ids
}

package rpc_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/errs"
)

// TestAnonymousLimitShared checks that REST and RPC anonymous calls from one
// address draw from one bucket, and that the refusal is typed on every
// protocol with the seconds to wait.
func TestAnonymousLimitShared(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: func(c *config.Config) {
		c.Auth.RateLimit = config.RateLimit{PerMinute: 1, Burst: 4}
	}})
	hc := http2(t, h)
	c := newClients(hc, h, protocols[0])
	ctx := context.Background()
	register := func(c clients) error {
		// Registration is off: a cheap anonymous call answering not_found.
		_, err := c.auth.Register(ctx, as("", &rampartv1.RegisterRequest{Username: "eve", Password: userPw}))
		return err
	}
	for range 2 {
		if r := h.Anonymous().Public("GET", "/.well-known/jwks.json", nil); r.Status != http.StatusOK {
			t.Fatalf("REST within the burst: %d", r.Status)
		}
		wantErr(t, register(c), errs.NotFound)
	}
	// The bucket is empty now, for both surfaces.
	for _, p := range protocols {
		err := register(newClients(hc, h, p))
		d := wantErr(t, err, errs.ResourceExhausted)
		if secs := d.GetDetails().GetFields()["retry_after"].GetNumberValue(); secs < 1 || secs > 60 {
			t.Errorf("%s: retry_after %v", p.Name, secs)
		}
		if ce := err.(*connect.Error); ce.Meta().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", p.Name)
		}
	}
	if r := h.Anonymous().Public("GET", "/.well-known/jwks.json", nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("REST after RPC drained the bucket: %d", r.Status)
	}
	// Authenticated procedures draw nothing from the bucket.
	if _, err := c.docs.Count(ctx, as("", &rampartv1.CountRequest{Collection: "x"})); errs.Code(detailCode(err)) != errs.Unauthenticated {
		t.Fatalf("an authenticated procedure was rate limited: %v", err)
	}
}

// detailCode is the code of an RPC error's rampart.v1.Error, or "".
func detailCode(err error) string {
	ce, ok := err.(*connect.Error)
	if !ok {
		return ""
	}
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if e, ok := v.(*rampartv1.Error); ok {
				return e.GetCode()
			}
		}
	}
	return ""
}

// TestEnrolOnly checks that a caller who must enrol a second factor may
// call only the enrolment and own-session procedures.
func TestEnrolOnly(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite, Config: func(c *config.Config) {
		c.Auth.MFA.RequiredRoles = []string{"secops"}
	}})
	bob := h.CreateUser("bob", userPw, false)
	h.CreateRole("secops", bob)
	hc := http2(t, h)
	ctx := context.Background()
	for _, p := range protocols {
		t.Run(p.Name, func(t *testing.T) {
			c := newClients(hc, h, p)
			tok := login(t, c, "bob", userPw)
			refused := map[string]error{}
			_, refused["Get"] = c.docs.Get(ctx, as(tok, &rampartv1.GetRequest{Collection: "things", Id: "x"}))
			_, refused["Insert"] = c.docs.Insert(ctx, as(tok, &rampartv1.InsertRequest{Collection: "things", Document: `{}`}))
			_, refused["Query"] = c.docs.Query(ctx, as(tok, &rampartv1.QueryRequest{Collection: "things"}))
			_, refused["UpdateProfile"] = c.auth.UpdateProfile(ctx, as(tok, &rampartv1.UpdateProfileRequest{}))
			_, refused["ChangePassword"] = c.auth.ChangePassword(ctx, as(tok, &rampartv1.ChangePasswordRequest{Current: userPw, New: userPw + "x"}))
			_, refused["DisableTOTP"] = c.auth.DisableTOTP(ctx, as(tok, &rampartv1.CodeRequest{Code: "123456"}))
			_, refused["RegenerateRecoveryCodes"] = c.auth.RegenerateRecoveryCodes(ctx, as(tok, &rampartv1.CodeRequest{Code: "123456"}))
			_, refused["APIKeyService/Create"] = c.keys.Create(ctx, as(tok, &rampartv1.CreateAPIKeyRequest{Name: "k"}))
			_, refused["APIKeyService/List"] = c.keys.List(ctx, as(tok, &rampartv1.ListAPIKeysRequest{}))
			for name, err := range refused {
				t.Run(name, func(t *testing.T) { wantErr(t, err, errs.PermissionDenied) })
			}
			if _, err := c.auth.Me(ctx, as(tok, &rampartv1.Empty{})); err != nil {
				t.Fatalf("Me: %v", err)
			}
			if _, err := c.auth.ListSessions(ctx, as(tok, &rampartv1.Empty{})); err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if _, err := c.auth.EnrolTOTP(ctx, as(tok, &rampartv1.Empty{})); err != nil {
				t.Fatalf("EnrolTOTP: %v", err)
			}
			if _, err := c.auth.Logout(ctx, as(tok, &rampartv1.Empty{})); err != nil {
				t.Fatalf("Logout: %v", err)
			}
		})
	}
}

// TestAdminOnly checks the admin listener refuses non-admins whatever they
// ask, and the public listener serves no admin procedure at all.
func TestAdminOnly(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	h.CreateUser("root", adminPw, true)
	alice := h.CreateUser("alice", userPw, false)
	hc := http2(t, h)
	ctx := context.Background()
	for _, p := range protocols {
		t.Run(p.Name, func(t *testing.T) {
			c := newClients(hc, h, p)
			user, admin := login(t, c, "alice", userPw), login(t, c, "root", adminPw)
			calls := map[string]func(tok string) error{
				"ListUsers": func(tok string) error {
					_, err := c.admin.ListUsers(ctx, as(tok, &rampartv1.ListRequest{}))
					return err
				},
				"UpdateUser": func(tok string) error {
					_, err := c.admin.UpdateUser(ctx, as(tok, &rampartv1.UpdateUserRequest{Id: alice}))
					return err
				},
				"DeleteUser": func(tok string) error {
					_, err := c.admin.DeleteUser(ctx, as(tok, &rampartv1.IDRequest{Id: "nobody"}))
					return err
				},
				"SetMembers": func(tok string) error {
					_, err := c.admin.SetMembers(ctx, as(tok, &rampartv1.SetMembersRequest{Id: "admins", Members: []string{alice}}))
					return err
				},
				"PutCollection": func(tok string) error {
					_, err := c.admin.PutCollection(ctx, as(tok, &rampartv1.PutCollectionRequest{Settings: &rampartv1.CollectionSettings{Name: "things"}}))
					return err
				},
				"ListAudit": func(tok string) error {
					_, err := c.admin.ListAudit(ctx, as(tok, &rampartv1.ListAuditRequest{}))
					return err
				},
				"APIKeyService/Create for another": func(tok string) error {
					_, err := c.adminKeys.Create(ctx, as(tok, &rampartv1.CreateAPIKeyRequest{Name: "k", Owner: "root"}))
					return err
				},
			}
			for name, call := range calls {
				t.Run(name, func(t *testing.T) {
					wantErr(t, call(user), errs.PermissionDenied)
					wantErr(t, call(""), errs.Unauthenticated)
				})
			}
			t.Run("an admin's key without the admin scope", func(t *testing.T) {
				k, err := c.keys.Create(ctx, as(admin, &rampartv1.CreateAPIKeyRequest{Name: "plain-" + p.Name}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.admin.ListUsers(ctx, as(k.Msg.GetKey(), &rampartv1.ListRequest{}))
				wantErr(t, err, errs.PermissionDenied)
				scoped, err := c.keys.Create(ctx, as(admin, &rampartv1.CreateAPIKeyRequest{Name: "admin-" + p.Name, Scope: &rampartv1.APIKeyScope{Admin: true}}))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.admin.ListUsers(ctx, as(scoped.Msg.GetKey(), &rampartv1.ListRequest{})); err != nil {
					t.Fatalf("admin-scoped key: %v", err)
				}
			})
			t.Run("AdminService is not public", func(t *testing.T) {
				_, err := c.publicAdmin.ListUsers(ctx, as(admin, &rampartv1.ListRequest{}))
				wantErr(t, err, errs.NotFound)
			})
			t.Run("other users' keys are not public", func(t *testing.T) {
				_, err := c.keys.List(ctx, as(admin, &rampartv1.ListAPIKeysRequest{Owner: alice}))
				wantErr(t, err, errs.PermissionDenied)
				_, err = c.keys.Create(ctx, as(admin, &rampartv1.CreateAPIKeyRequest{Name: "k", Owner: alice}))
				wantErr(t, err, errs.PermissionDenied)
			})
			t.Run("revoking keys is not an admin-listener procedure", func(t *testing.T) {
				_, err := c.adminKeys.Revoke(ctx, as(admin, &rampartv1.APIKeyIDRequest{Id: "x"}))
				wantErr(t, err, errs.NotFound)
			})
		})
	}
}

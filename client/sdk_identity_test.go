package client_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"rampart.dev/rampart/client"
)

func (n *node) testAccount(t *testing.T) {
	ctx := ctxT(t)
	id, user, pw := n.user(t, "account")
	c := n.login(t, user, pw)
	me, err := c.Me(ctx)
	if err != nil || me.User.ID != id || !strings.Contains(string(me.User.Raw), user) {
		t.Fatalf("Me: %+v %v", me, err)
	}

	other := n.login(t, user, pw)
	sessions, err := c.Sessions(ctx)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("Sessions: %+v %v", sessions, err)
	}
	var otherID string
	for _, s := range sessions {
		if !s.Current {
			otherID = s.ID
		}
	}
	if otherID == "" {
		t.Fatalf("no session besides the current one: %+v", sessions)
	}
	if err := c.RevokeSession(ctx, otherID); err != nil {
		t.Fatal(err)
	}
	_, err = other.Me(ctx)
	wantCode(t, "Me on a revoked session", err, client.Unauthenticated)

	newPW := pw + " and more"
	wantCode(t, "ChangePassword with a wrong current", c.ChangePassword(ctx, "wrong password here", newPW), client.PermissionDenied)
	if err := c.ChangePassword(ctx, pw, newPW); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	err = n.dial(t).LoginPassword(ctx, user, pw)
	wantCode(t, "login with the old password", err, client.Unauthenticated)
	n.login(t, user, newPW)

	saved := c.Tokens()
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if c.Tokens() != (client.Tokens{}) {
		t.Fatal("tokens kept after Logout")
	}
	_, err = c.Me(ctx)
	wantCode(t, "Me after Logout", err, client.Unauthenticated)
	c.UseTokens(saved)
	_, err = c.Me(ctx)
	wantCode(t, "Me with the tokens of a logged-out session", err, client.Unauthenticated)
}

func (n *node) testAPIKeys(t *testing.T) {
	ctx := ctxT(t)
	id, user, pw := n.user(t, "keyowner")
	c := n.login(t, user, pw)
	created, err := c.CreateAPIKey(ctx, client.NewAPIKey{Name: "robot", ExpiresIn: time.Hour,
		Scope: client.APIKeyScope{Rights: client.RightRead | client.RightCreate}})
	if err != nil || created.ID == "" || created.Key == "" || time.Until(created.ExpiresAt) > time.Hour+time.Minute {
		t.Fatalf("CreateAPIKey: %+v %v", created, err)
	}
	robot := n.dial(t, client.WithAPIKey(created.Key))
	if me, err := robot.Me(ctx); err != nil || me.User.ID != id {
		t.Fatalf("Me with the key: %+v %v", me, err)
	}
	if robot.Tokens() != (client.Tokens{}) {
		t.Fatal("an API key client reports session tokens")
	}
	keys, err := c.ListAPIKeys(ctx, "")
	if err != nil || len(keys) != 1 || keys[0].ID != created.ID || keys[0].Name != "robot" || keys[0].Scope.Rights != 3 {
		t.Fatalf("ListAPIKeys: %+v %v", keys, err)
	}
	rotated, err := c.RotateAPIKey(ctx, created.ID)
	if err != nil || rotated.Key == "" || rotated.Key == created.Key {
		t.Fatalf("RotateAPIKey: %+v %v", rotated, err)
	}
	robot.UseAPIKey(rotated.Key)
	if _, err := robot.Me(ctx); err != nil {
		t.Fatalf("Me with the rotated key: %v", err)
	}
	if err := c.RevokeAPIKey(ctx, rotated.ID); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	_, err = robot.Me(ctx)
	wantCode(t, "Me with a revoked key", err, client.Unauthenticated)
	wantCode(t, "RevokeAPIKey of a missing key", c.RevokeAPIKey(ctx, "no-such-key"), client.NotFound)
}

// testUsers manages a user from creation to deletion.
func (n *node) testUsers(t *testing.T) {
	ctx := ctxT(t)
	root := n.login(t, rootName, rootPass)
	username, pw := n.name("managed"), "managed has a long password"
	u, err := root.CreateUser(ctx, client.NewUser{Username: username, Password: pw, Name: "Managed", Email: "m@example.com"})
	if err != nil || u.ID == "" || u.Type != "user" {
		t.Fatalf("CreateUser: %+v %v", u, err)
	}
	_, err = root.CreateUser(ctx, client.NewUser{Username: username, Password: pw})
	wantCode(t, "CreateUser of a taken name", err, client.Conflict)
	_, err = root.CreateUser(ctx, client.NewUser{Username: n.name("weak"), Password: "short"})
	wantCode(t, "CreateUser with a short password", err, client.InvalidArgument)
	if found, err := root.FindUser(ctx, strings.ToUpper(username)); err != nil || found.ID != u.ID {
		t.Fatalf("FindUser: %+v %v", found, err)
	}
	if got, err := root.GetUser(ctx, u.ID); err != nil || got.ID != u.ID {
		t.Fatalf("GetUser: %+v %v", got, err)
	}
	listed := 0
	for d, err := range root.ListUsers(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == u.ID {
			listed++
		}
	}
	if listed != 1 {
		t.Fatalf("ListUsers listed the new user %d times", listed)
	}

	if _, err := root.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "login while disabled", n.dial(t).LoginPassword(ctx, username, pw), client.Unauthenticated)
	if _, err := root.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	n.login(t, username, pw)

	if err := root.UnlockUser(ctx, u.ID); err != nil {
		t.Fatalf("UnlockUser: %v", err)
	}
	wantCode(t, "ResetUserMFA without a factor", root.ResetUserMFA(ctx, u.ID), client.FailedPrecondition)
	if err := root.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetUser(ctx, u.ID)
	wantCode(t, "GetUser after DeleteUser", err, client.NotFound)
	_, err = root.FindUser(ctx, username)
	wantCode(t, "FindUser after DeleteUser", err, client.NotFound)
}

// testRoles creates, fills, empties, lists and deletes a role.
func (n *node) testRoles(t *testing.T) {
	ctx := ctxT(t)
	root := n.login(t, rootName, rootPass)
	uid, _, _ := n.user(t, "member")
	role, err := root.CreateRole(ctx, n.name("editors"), uid)
	if err != nil || role.Type != "role" {
		t.Fatalf("CreateRole: %+v %v", role, err)
	}
	if m, err := root.RoleMembers(ctx, role.ID); err != nil || len(m) != 1 || m[0] != uid {
		t.Fatalf("RoleMembers: %v %v", m, err)
	}
	if _, err := root.SetRoleMembers(ctx, role.ID, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := root.RoleMembers(ctx, role.ID); err != nil || len(m) != 0 {
		t.Fatalf("members after emptying: %v %v", m, err)
	}
	_, err = root.SetRoleMembers(ctx, role.ID, []string{"no-such-principal"})
	wantCode(t, "SetRoleMembers with an unknown member", err, client.InvalidArgument)
	_, err = root.SetRoleMembers(ctx, "no-such-role", []string{uid})
	wantCode(t, "SetRoleMembers of a missing role", err, client.NotFound)
	roles := 0
	for d, err := range root.ListRoles(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == role.ID || d.ID == "admins" {
			roles++
		}
	}
	if roles != 2 {
		t.Fatalf("ListRoles found %d of the new role and admins", roles)
	}
	if err := root.DeleteRole(ctx, role.ID); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetRole(ctx, role.ID)
	wantCode(t, "GetRole after DeleteRole", err, client.NotFound)
}

func (n *node) testMFA(t *testing.T) {
	ctx := ctxT(t)
	_, user, pw := n.user(t, "twofactor")
	c := n.login(t, user, pw)
	enrol, err := c.EnrolTOTP(ctx)
	if err != nil || enrol.Secret == "" || !strings.HasPrefix(enrol.URI, "otpauth://") || len(enrol.QRPNG) == 0 {
		t.Fatalf("EnrolTOTP: %+v %v", enrol, err)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(enrol.Secret, now)
	recovery, err := c.ConfirmTOTP(ctx, code)
	if err != nil || len(recovery) == 0 {
		t.Fatalf("ConfirmTOTP: %v %v", recovery, err)
	}

	fresh := n.dial(t)
	if err := fresh.CompleteMFA(ctx, "123456"); !errors.Is(err, client.ErrNoMFAPending) {
		t.Fatalf("CompleteMFA before LoginPassword: %v", err)
	}
	if err := fresh.LoginPassword(ctx, user, pw); !errors.Is(err, client.ErrMFARequired) {
		t.Fatalf("LoginPassword with a second factor: %v", err)
	}
	if fresh.Tokens().AccessToken != "" {
		t.Fatal("tokens before the second factor")
	}
	wantCode(t, "CompleteMFA with a wrong code", fresh.CompleteMFA(ctx, "000000x"), client.Unauthenticated)
	if err := fresh.LoginPassword(ctx, user, pw); !errors.Is(err, client.ErrMFARequired) {
		t.Fatal(err)
	}
	// Each 30-second step is accepted once; the next one is still valid.
	next, _ := totp.GenerateCode(enrol.Secret, now.Add(30*time.Second))
	if err := fresh.CompleteMFA(ctx, next); err != nil {
		t.Fatalf("CompleteMFA: %v", err)
	}
	if _, err := fresh.Me(ctx); err != nil {
		t.Fatalf("Me after the second factor: %v", err)
	}
}

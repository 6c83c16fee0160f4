package identity_test

import (
	"slices"
	"testing"
	"time"

	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
)

// TestLifecycleIsAudited walks a user and a role through their lives and
// checks the audit log holds each step, in order, with an intact chain;
// deleting the user also deletes everything it owned.
func TestLifecycleIsAudited(t *testing.T) {
	s, st := newServiceStore(t, identity.Options{LocalLogin: true})
	alice := mustUser(t, s, "alice")
	role, err := s.CreateRole(ctx, identity.System, "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMembers(ctx, identity.System, role.ID, []string{alice}); err != nil {
		t.Fatal(err)
	}
	c := wantAuth(t, s, signIn(t, s, "alice").AccessToken, true)
	if _, err := s.CreateAPIKey(ctx, c, "", identity.APIKeyRequest{Name: "ci", ExpiresIn: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassword(ctx, c, "alice-password-123", "another-password-9"); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	name := "Alice"
	for _, patch := range []identity.UserPatch{{Name: &name}, {Disabled: &yes}, {Disabled: &no}} {
		if _, err := s.UpdateUser(ctx, identity.System, alice, patch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, identity.System, alice); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, identity.System, role.ID); err != nil {
		t.Fatal(err)
	}
	entries, err := st.Audit(ctx, store.AuditQuery{Subject: alice, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	want := []string{audit.UserCreate, audit.PasswordChange, audit.UserUpdate, audit.UserDisable, audit.UserEnable, audit.UserDelete}
	if !slices.Equal(kinds, want) {
		t.Fatalf("audit of alice = %v, want %v", kinds, want)
	}
	for _, kind := range []string{audit.RoleCreate, audit.RoleMembers, audit.RoleDelete, audit.LoginSuccess, audit.APIKeyCreate} {
		if got, _ := st.Audit(ctx, store.AuditQuery{Kinds: []string{kind}, Limit: 10}); len(got) == 0 {
			t.Errorf("no %s entry", kind)
		}
	}
	rep, err := audit.Verify(ctx, st)
	if err != nil || !rep.Intact() {
		t.Fatalf("audit chain: %+v, %v", rep, err)
	}
	for _, kind := range []string{"session", "apikey", "password"} {
		if recs, _ := st.Records(ctx, kind, alice); len(recs) != 0 {
			t.Errorf("deleting alice left %d %s records", len(recs), kind)
		}
	}
}

func TestSigningKeyRotationIsAudited(t *testing.T) {
	s, st := newServiceStore(t, identity.Options{})
	count := func() int {
		got, err := st.Audit(ctx, store.AuditQuery{Kinds: []string{audit.SigningKeyRotate}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d rotation entries after the first key, want 1", n)
	}
	if err := s.Keys().Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rotation entries after a rotation, want 2 (retiring the old key is not another)", n)
	}
}

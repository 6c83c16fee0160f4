package audit_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

func TestAppend(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) (store.Store, *raw)) {
		st, _ := open(t)
		got := record(t, st, 5)
		for i, e := range got {
			if e.Seq != int64(i+1) || !e.At.Equal(t0.Add(time.Duration(i)*time.Second)) || e.At.Location() != time.UTC {
				t.Fatalf("entry %d = %+v", i, e)
			}
			prev := make([]byte, audit.HashSize)
			if i > 0 {
				prev = got[i-1].Hash
			}
			if !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Hash, audit.Hash(e)) {
				t.Fatalf("entry %d is not chained: %+v", e.Seq, e)
			}
		}
		stored, err := st.AuditRange(ctx, 0, 10)
		if err != nil || len(stored) != 5 {
			t.Fatalf("stored = %d entries, %v", len(stored), err)
		}
		for i := range stored {
			a, b := stored[i], got[i]
			if a.Seq != b.Seq || !a.At.Equal(b.At) || a.Kind != b.Kind || a.Actor != b.Actor || a.Subject != b.Subject ||
				a.Addr != b.Addr || string(a.Data) != string(b.Data) || !bytes.Equal(a.Hash, b.Hash) {
				t.Fatalf("stored %+v, appended %+v", a, b)
			}
		}
		rep := verify(t, st)
		if !rep.Intact() || rep.Entries != 5 || rep.LastSeq != 5 || !bytes.Equal(rep.Head, got[4].Hash) {
			t.Fatalf("report = %+v", rep)
		}
	})
}

func TestAppendCanonicalData(t *testing.T) {
	st, _ := engines[0].open(t)
	type detail struct {
		Zeta  string `json:"zeta"`
		Alpha int    `json:"alpha"`
	}
	var e store.AuditEntry
	err := st.Write(ctx, func(tx store.Tx) error {
		var err error
		e, err = audit.Append(tx, audit.Event{Kind: audit.RoleMembers, Data: map[string]any{
			"roles": []string{"b", "a"}, "detail": detail{Zeta: "<&>", Alpha: 1}, "big": uint64(12345678901234567890),
		}}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"big":12345678901234567890,"detail":{"alpha":1,"zeta":"<&>"},"roles":["b","a"]}`
	if string(e.Data) != want {
		t.Fatalf("data = %s, want %s", e.Data, want)
	}
	var empty store.AuditEntry
	if err := st.Write(ctx, func(tx store.Tx) error {
		empty, err = audit.Append(tx, audit.Event{Kind: audit.ConfigReload, Actor: "system"}, t0)
		return err
	}); err != nil || string(empty.Data) != `{}` || empty.Seq != 2 {
		t.Fatalf("entry without data = %+v, %v", empty, err)
	}
}

func TestSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"password": true, "NewPassword": true, "api_token": true, "TOTP_code": true, "client_secret": true,
		"apiKey": true, "key_id": true, "hash": true, "otp": true, "seed": true, "PrivateKey": true,
		"session_cookie": true, "passwd": true, "credentials": true,
		"reason": false, "username": false, "roles": false, "count": false, "ip": false, "session": false,
		"expires_at": false, "scopes": false, "name": false,
	} {
		if got := audit.SecretKey(k); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

// TestAppendRefusesSecrets: a key that looks like a secret fails the
// write, at any depth and whatever the value's Go type.
func TestAppendRefusesSecrets(t *testing.T) {
	st, _ := engines[0].open(t)
	type creds struct {
		User string `json:"user"`
		Pass string `json:"Password"`
	}
	for name, data := range map[string]map[string]any{
		"top level":     {"reason": "x", "password": "hunter2"},
		"upper case":    {"API_TOKEN": "abc"},
		"nested":        {"change": map[string]any{"old": map[string]any{"totpSeed": "x"}}},
		"in a list":     {"items": []any{map[string]any{"ok": 1}, map[string]any{"recovery_code": "x"}}},
		"struct field":  {"login": creds{User: "a", Pass: "b"}},
		"typed map":     {"m": map[string]string{"refresh_token": "x"}},
		"empty secret":  {"secret": nil},
		"key in a list": {"keys": []string{"a"}},
	} {
		err := st.Write(ctx, func(tx store.Tx) error {
			_, err := audit.Append(tx, audit.Event{Kind: audit.UserUpdate, Data: data}, t0)
			return err
		})
		if !errors.Is(err, audit.ErrSecretKey) || errs.CodeOf(err) != errs.Internal {
			t.Errorf("%s: got %v, want ErrSecretKey", name, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error repeats the secret: %v", name, err)
		}
	}
	if rep := verify(t, st); rep.Entries != 0 {
		t.Fatalf("refused events were logged: %+v", rep)
	}
}

func TestAppendRefusesMalformedEvents(t *testing.T) {
	st, _ := engines[0].open(t)
	for name, ev := range map[string]audit.Event{
		"no kind":       {},
		"bad kind":      {Kind: "Login Success"},
		"NUL subject":   {Kind: audit.LoginFailure, Subject: "alice\x00"},
		"invalid UTF-8": {Kind: audit.LoginFailure, Actor: "\xc3"},
		"long addr":     {Kind: audit.LoginFailure, Addr: strings.Repeat("1", store.MaxAuditText+1)},
		"big data":      {Kind: audit.LoginFailure, Data: map[string]any{"blob": strings.Repeat("x", audit.MaxData)}},
		"unencodable":   {Kind: audit.LoginFailure, Data: map[string]any{"ch": make(chan int)}},
	} {
		err := st.Write(ctx, func(tx store.Tx) error {
			_, err := audit.Append(tx, ev, t0)
			return err
		})
		if err == nil {
			t.Errorf("%s: appended", name)
		}
	}
	if rep := verify(t, st); rep.Entries != 0 {
		t.Fatalf("refused events were logged: %+v", rep)
	}
}

// TestAuditedActionCommitsWithItsEntry: the entry and the action it
// records land together or not at all.
func TestAuditedActionCommitsWithItsEntry(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) (store.Store, *raw)) {
		st, _ := open(t)
		act := func(id string, fail bool) error {
			return st.Write(ctx, func(tx store.Tx) error {
				if err := tx.PutRecord(store.Record{Kind: "thing", ID: id, Data: []byte("x")}); err != nil {
					return err
				}
				if _, err := audit.Append(tx, audit.Event{Kind: audit.UserCreate, Subject: id}, t0); err != nil {
					return err
				}
				if fail {
					return errors.New("the action failed after logging")
				}
				return nil
			})
		}
		if err := act("a", false); err != nil {
			t.Fatal(err)
		}
		if err := act("b", true); err == nil {
			t.Fatal("failing action succeeded")
		}
		if _, err := st.Record(ctx, "thing", "b"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("failed action left its record: %v", err)
		}
		if err := act("c", false); err != nil {
			t.Fatal(err)
		}
		list, err := st.Audit(ctx, store.AuditQuery{Limit: 10})
		if err != nil || len(list) != 2 || list[0].Subject != "a" || list[1].Subject != "c" || list[1].Seq != 2 {
			t.Fatalf("log = %+v, %v", list, err)
		}
		if rep := verify(t, st); !rep.Intact() || rep.Entries != 2 {
			t.Fatalf("report = %+v", rep)
		}
	})
}

func TestLogList(t *testing.T) {
	st, _ := engines[0].open(t)
	record(t, st, 3)
	l := audit.NewLog(st)
	q := store.AuditQuery{Limit: 10}
	if _, err := l.List(ctx, acl.NewPrincipals("alice", nil, true), q); !errs.Is(err, errs.PermissionDenied) {
		t.Fatalf("non-admin list: %v", err)
	}
	admin := acl.NewPrincipals("root", []string{acl.RoleAdmins}, true)
	if list, err := l.List(ctx, admin, q); err != nil || len(list) != 3 {
		t.Fatalf("admin list = %d entries, %v", len(list), err)
	}
	if _, err := l.List(ctx, admin, store.AuditQuery{}); !errs.Is(err, errs.InvalidArgument) {
		t.Fatalf("list without a limit: %v", err)
	}
}

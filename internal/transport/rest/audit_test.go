package rest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rampart.dev/rampart/internal/app"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/config"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/store"
	"rampart.dev/rampart/internal/store/postgres/pgtest"
	"rampart.dev/rampart/internal/transport/rest"
)

// auditNode serves one engine's REST handlers in-process with the audit
// log wired in, and holds an admin's and a normal user's tokens.
type auditNode struct {
	public, admin http.Handler
	st            store.Store
	base          int64 // the log's last Seq before the seeded entries
	adminTok      string
	userTok       string
}

func newAuditNode(t *testing.T, engine apptest.Engine) *auditNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Auth.Issuer = "https://rampart.test"
	cfg.Auth.Password.Argon2Time, cfg.Auth.Password.Argon2Memory = 1, 8*config.MiB
	if engine == apptest.Postgres {
		url, schema := pgtest.Schema(t)
		cfg.Database.Driver = config.DriverPostgres
		cfg.Database.Postgres.URL, cfg.Database.Postgres.Schema = url, schema
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := app.NewServices(ctx, cfg, st, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	api := rest.New(svc.Docs, svc.Identity, rest.Options{Issuer: cfg.Auth.Issuer, Log: log, Audit: audit.NewLog(st)})
	n := &auditNode{public: api.Public(), admin: api.Admin(), st: st}
	for _, u := range []struct {
		name  string
		admin bool
		tok   *string
	}{{"root", true, &n.adminTok}, {"alice", false, &n.userTok}} {
		d, err := svc.Identity.CreateUser(ctx, identity.System, identity.NewUser{Username: u.name, Password: adminPw})
		if err != nil {
			t.Fatal(err)
		}
		if u.admin {
			if err := svc.Identity.AddToAdmins(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		*u.tok = n.login(t, u.name)
	}
	return n
}

func (n *auditNode) login(t *testing.T, username string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": adminPw})
	req := httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	n.public.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); rec.Code != 200 || err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %s", username, rec.Code, rec.Body)
	}
	return tok.AccessToken
}

// get calls the admin listener; rawQuery goes on the wire as written.
func (n *auditNode) get(tok, rawQuery string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/api/v1/audit", nil)
	req.URL.RawQuery = rawQuery
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	n.admin.ServeHTTP(rec, req)
	return rec
}

// seeded entries lie in 2020, well before anything the services log
// while the test runs, so filters that end in 2020 see only these.
var auditDay = time.Date(2020, 3, 4, 0, 0, 0, 0, time.UTC)

func (n *auditNode) seed(t *testing.T) {
	t.Helper()
	events := []audit.Event{
		{Kind: audit.LoginFailure, Actor: "", Subject: "mallory", Addr: "203.0.113.9", Data: map[string]any{"reason": "bad password"}},
		{Kind: audit.UserCreate, Actor: "root-id", Subject: "bob-id"},
		{Kind: audit.RoleMembers, Actor: "root-id", Subject: "readers", Data: map[string]any{"added": []string{"bob-id"}}},
		{Kind: audit.LoginFailure, Actor: "", Subject: "bob", Addr: "203.0.113.9"},
		{Kind: audit.UserDelete, Actor: "root-id", Subject: "bob-id"},
	}
	err := n.st.Write(context.Background(), func(tx store.Tx) error {
		for i, ev := range events {
			e, err := audit.Append(tx, ev, auditDay.Add(time.Duration(i)*time.Hour))
			if err != nil {
				return err
			}
			if i == 0 {
				n.base = e.Seq - 1
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type auditView struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Kind     string          `json:"kind"`
	Actor    string          `json:"actor"`
	Subject  string          `json:"subject"`
	Addr     string          `json:"addr"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func decodeEntries(t *testing.T, query string, rec *httptest.ResponseRecorder) []auditView {
	t.Helper()
	var out struct {
		Entries []auditView `json:"entries"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil || out.Entries == nil {
		t.Fatalf("%s: status %d, body %s: %v", query, rec.Code, rec.Body, err)
	}
	return out.Entries
}

func TestAuditEndpoint(t *testing.T) {
	for _, e := range apptest.Engines {
		t.Run(string(e), func(t *testing.T) {
			if e == apptest.Postgres {
				pgtest.URL(t)
			}
			n := newAuditNode(t, e)
			n.seed(t)
			testAuditAccess(t, n)
			testAuditFilters(t, n)
			testAuditHostile(t, n)
		})
	}
}

func testAuditAccess(t *testing.T, n *auditNode) {
	for _, row := range []struct {
		who, tok string
		want     int
	}{{"anonymous", "", 401}, {"forged token", "not-a-token", 401}, {"user", n.userTok, 403}, {"admin", n.adminTok, 200}} {
		rec := n.get(row.tok, "")
		if rec.Code != row.want {
			t.Errorf("%s: status %d, want %d: %s", row.who, rec.Code, row.want, rec.Body)
		}
	}
	rec := n.get(n.adminTok, "until=2021-01-01T00:00:00Z")
	list := decodeEntries(t, "until", rec)
	if len(list) != 5 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("admin sees %d entries, headers %v", len(list), rec.Header())
	}
	// The services may have logged the sign-ins already, so the seeded
	// entries need not be the first ones.
	first := list[0]
	stored, err := n.st.AuditRange(context.Background(), first.Seq-1, 1)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored entry %d: %v", first.Seq, err)
	}
	if first.Kind != audit.LoginFailure || first.Subject != "mallory" || first.Addr != "203.0.113.9" ||
		!first.At.Equal(auditDay) || string(first.Data) != `{"reason":"bad password"}` ||
		first.Hash != hex.EncodeToString(stored[0].Hash) || first.PrevHash != hex.EncodeToString(stored[0].PrevHash) ||
		len(first.Hash) != 2*audit.HashSize || list[1].PrevHash != first.Hash {
		t.Fatalf("first entry = %+v", first)
	}
}

func testAuditFilters(t *testing.T, n *auditNode) {
	const in2020 = "&until=2021-01-01T00:00:00Z"
	for _, row := range []struct {
		query string
		want  []string // subjects, in order
	}{
		{"kind=login.failure", []string{"mallory", "bob"}},
		{"kind=user.create,user.delete", []string{"bob-id", "bob-id"}},
		{"actor=root-id", []string{"bob-id", "readers", "bob-id"}},
		{"subject=bob-id", []string{"bob-id", "bob-id"}},
		{"actor=root-id&subject=readers", []string{"readers"}},
		{"since=2020-03-04T01:00:00Z", []string{"bob-id", "readers", "bob", "bob-id"}},
		{"since=2020-03-04T01:00:00%2B01:00", []string{"mallory", "bob-id", "readers", "bob", "bob-id"}},
		{"since=2020-03-04T01:00:00Z&until=2020-03-04T03:00:00Z", []string{"bob-id", "readers"}},
		{"after=+3", []string{"bob", "bob-id"}},
		{"after=+1&limit=2", []string{"bob-id", "readers"}},
		{"actor=&subject=&kind=", []string{"mallory", "bob-id", "readers", "bob", "bob-id"}},
		{"actor=nobody", []string{}},
		{"subject=%27%20OR%201%3D1--", []string{}},
	} {
		// after=+k counts from the first seeded entry.
		q := row.query
		if _, k, ok := strings.Cut(q, "after=+"); ok {
			k, _, _ = strings.Cut(k, "&")
			off, _ := strconv.ParseInt(k, 10, 64)
			q = strings.Replace(q, "after=+"+k, "after="+strconv.FormatInt(n.base+off, 10), 1)
		}
		if !strings.Contains(q, "until=") {
			q += in2020
		}
		list := decodeEntries(t, q, n.get(n.adminTok, q))
		got := []string{}
		for _, e := range list {
			got = append(got, e.Subject)
		}
		if !slices.Equal(got, row.want) {
			t.Errorf("%s: got %v, want %v", row.query, got, row.want)
		}
	}
}

func testAuditHostile(t *testing.T, n *auditNode) {
	for _, q := range []string{
		"limit=0", "limit=1001", "limit=-1", "limit=ten", "limit=1e3", "limit=1&limit=2",
		"after=-1", "after=1.5", "after=99999999999999999999", "after=0x10",
		"kind=Login.Failure", "kind=login.failure,,user.create", "kind=,", "kind=" + strings.Repeat("a,", 40) + "a",
		"kind=" + strings.Repeat("k", 3000), "kind=login.failure%00",
		"since=yesterday", "since=2020-03-04", "since=0001-01-01T00:00:00Z", "until=9999-12-31T23:59:59Z",
		"since=2020-03-04T05:00:00Z&until=2020-03-04T01:00:00Z", "since=2020-03-04T00:00:00Z&until=2020-03-04T00:00:00Z",
		"actor=%00", "actor=%ff", "subject=" + strings.Repeat("s", store.MaxAuditText+1),
		"unknown=1", "Kind=login.failure", "kind=login.failure&kind=user.create", "limit=%zz", "a;b",
	} {
		rec := n.get(n.adminTok, q)
		var body struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body.Error.Code != "invalid_argument" {
			t.Errorf("%.80s: status %d, body %.200s; want 400 invalid_argument", q, rec.Code, rec.Body)
		}
	}
	// A normal user learns nothing about the parameters, valid or not.
	if rec := n.get(n.userTok, "limit=0"); rec.Code != 403 {
		t.Errorf("user with a bad query: status %d", rec.Code)
	}
}

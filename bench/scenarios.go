package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// env is what a scenario's setup works with: an admin session and the
// bench's own users, all made through the REST API.
type env struct {
	ep      *endpoint
	hc      *http.Client // setup traffic only
	admin   string       // admin access token
	run     string       // prefix that keeps this run's names apart
	users   []benchUser
	docs    int // documents to seed for query
	logf    func(format string, args ...any)
	results int // documents one query returns
	// transport carries the measured requests ("" or rest: REST).
	transport string
	sockets   map[string]string
}

type benchUser struct {
	name, password, id string
}

// scenario prepares its data once and returns the request to repeat.
type scenario struct {
	name   string
	about  string
	target func(result) (string, bool)
	setup  func(ctx context.Context, e *env) (op, error)
}

var scenarios = []scenario{
	{
		name:   "pointread",
		about:  "GET one document readable only through a nested role (user -> role A -> role B in the ACL)",
		target: pointReadTarget,
		setup:  setupPointRead,
	},
	{
		name:  "insert",
		about: "POST one 1 KB document; every 201 is a durable commit",
		target: func(r result) (string, bool) {
			return ">= 3000 req/s", r.rate() >= 3000
		},
		setup: setupInsert,
	},
	{
		name:  "login",
		about: "POST /api/v1/auth/login with a correct password: argon2id under the hashing cap, then a new session",
		target: func(r result) (string, bool) {
			return "reported", true
		},
		setup: setupLogin,
	},
	{
		name:  "query",
		about: "indexed filter returning 20 documents of the seeded set; caller in 5 roles",
		target: func(r result) (string, bool) {
			return "p50 <= 5ms", r.p50 <= 5e6
		},
		setup: setupQuery,
	},
}

// pointReadTarget is 8,000 req/s over REST (the foundation's target) and
// 10,000 over gRPC (either client) and the unix socket; the other
// transports are reported.
func pointReadTarget(r result) (string, bool) {
	switch r.transport {
	case "", "rest":
		return ">= 8000 req/s", r.rate() >= 8000
	case "grpc", "grpc-fixed", "unix":
		return ">= 10000 req/s", r.rate() >= 10000
	}
	return "reported", true
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

func (e *env) userIDs() []string {
	ids := make([]string, len(e.users))
	for i, u := range e.users {
		ids[i] = u.id
	}
	return ids
}

// outsider makes a signed-in user who is in none of the bench's roles.
func (e *env) outsider(ctx context.Context, tag string) (string, error) {
	name, pw := e.run+"-"+tag+"-outsider", randomPassword()
	if _, err := e.ep.createUser(ctx, e.hc, e.admin, name, pw); err != nil {
		return "", err
	}
	return e.ep.login(ctx, e.hc, name, pw)
}

func (e *env) userToken(ctx context.Context, i int) (string, error) {
	return e.ep.login(ctx, e.hc, e.users[i].name, e.users[i].password)
}

func setupPointRead(ctx context.Context, e *env) (op, error) {
	roleA, err := e.ep.createRole(ctx, e.hc, e.admin, e.run+"-pr-a", e.userIDs())
	if err != nil {
		return nil, err
	}
	roleB, err := e.ep.createRole(ctx, e.hc, e.admin, e.run+"-pr-b", []string{roleA})
	if err != nil {
		return nil, err
	}
	coll := "bench_" + e.run + "_pointread"
	docs := make([]map[string]any, 1000)
	for i := range docs {
		docs[i] = map[string]any{
			"_acl":  []map[string]any{{"id": roleB, "rights": 2}},
			"n":     i,
			"title": "document " + strconv.Itoa(i),
			"body":  randomText(200),
		}
	}
	ids, err := e.ep.insertMany(ctx, e.hc, e.admin, coll, docs)
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(ids))
	for i, id := range ids {
		urls[i] = e.ep.docsURL(coll) + "/" + id
	}
	// The ACL names role B only: a member of A reads, a stranger gets 404.
	tok, err := e.userToken(ctx, 0)
	if err != nil {
		return nil, err
	}
	if _, err := call(ctx, e.hc, tok, "GET", urls[0], nil, http.StatusOK); err != nil {
		return nil, fmt.Errorf("member of the nested role cannot read: %w", err)
	}
	stranger, err := e.outsider(ctx, "pr")
	if err != nil {
		return nil, err
	}
	if _, err := call(ctx, e.hc, stranger, "GET", urls[0], nil, http.StatusNotFound); err != nil {
		return nil, fmt.Errorf("a user outside the roles can read: %w", err)
	}
	return func(ctx context.Context, w *worker) error {
		i := w.rng.IntN(len(urls))
		if w.rpc != nil {
			return getRPC(ctx, w, coll, ids[i])
		}
		_, err := call(ctx, w.hc, w.token, "GET", urls[i], nil, http.StatusOK)
		return err
	}, nil
}

// setupLogin signs the bench's users in over and over. The server's
// per-address rate limit must be raised for it (run.sh does), or every
// client shares one address's bucket.
func setupLogin(ctx context.Context, e *env) (op, error) {
	if _, err := e.userToken(ctx, 0); err != nil {
		return nil, err
	}
	url := e.ep.public + "/api/v1/auth/login"
	bodies := make([][]byte, len(e.users))
	for i, u := range e.users {
		b, err := json.Marshal(map[string]string{"username": u.name, "password": u.password})
		if err != nil {
			return nil, err
		}
		bodies[i] = b
	}
	return func(ctx context.Context, w *worker) error {
		_, err := call(ctx, w.hc, "", "POST", url, bodies[w.id%len(bodies)], http.StatusOK)
		return err
	}, nil
}

// insertDocSize is the size of one inserted document's JSON.
const insertDocSize = 1024

func setupInsert(ctx context.Context, e *env) (op, error) {
	coll := "bench_" + e.run + "_insert"
	tok, err := e.userToken(ctx, 0)
	if err != nil {
		return nil, err
	}
	// The first insert creates the collection, outside the measurement.
	if _, err := e.ep.insertMany(ctx, e.hc, tok, coll, []map[string]any{{"warm": true}}); err != nil {
		return nil, err
	}
	url := e.ep.docsURL(coll)
	return func(ctx context.Context, w *worker) error {
		w.seq++
		w.buf = appendInsertDoc(w.buf[:0], w)
		_, err := call(ctx, w.hc, w.token, "POST", url, w.buf, http.StatusCreated)
		return err
	}, nil
}

// appendInsertDoc writes a document of exactly insertDocSize bytes.
func appendInsertDoc(b []byte, w *worker) []byte {
	b = append(b, `{"client":`...)
	b = strconv.AppendInt(b, int64(w.id), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, int64(w.seq), 10)
	b = append(b, `,"payload":"`...)
	pad := insertDocSize - len(b) - len(`"}`)
	for i := range pad {
		b = append(b, letters[(w.seq+i*7+w.id)%len(letters)])
	}
	return append(b, `"}`...)
}

func setupQuery(ctx context.Context, e *env) (op, error) {
	var roles []string
	for i := range 5 {
		id, err := e.ep.createRole(ctx, e.hc, e.admin, fmt.Sprintf("%s-q-%d", e.run, i), e.userIDs())
		if err != nil {
			return nil, err
		}
		roles = append(roles, id)
	}
	coll := "bench_" + e.run + "_query"
	buckets := max(e.docs/e.results, 1)
	if err := seed(ctx, e, coll, roles[2], buckets); err != nil {
		return nil, err
	}
	if err := e.ep.createIndex(ctx, e.hc, e.admin, coll, "by_bucket", "bucket"); err != nil {
		return nil, err
	}
	url := e.ep.public + "/api/v1/collections/" + coll + "/query"
	bodies := make([][]byte, buckets)
	for i := range bodies {
		bodies[i] = []byte(`{"filter":{"bucket":` + strconv.Itoa(i) + `}}`)
	}
	q := func(ctx context.Context, hc *http.Client, tok string, body []byte, want int) error {
		res, err := call(ctx, hc, tok, "POST", url, body, http.StatusOK)
		if err != nil {
			return err
		}
		if n := bytes.Count(res, []byte(`"_id":`)); n != want {
			return fmt.Errorf("query returned %d documents, want %d", n, want)
		}
		return nil
	}
	tok, err := e.userToken(ctx, 0)
	if err != nil {
		return nil, err
	}
	if err := q(ctx, e.hc, tok, bodies[0], e.results); err != nil {
		return nil, fmt.Errorf("caller in the roles: %w", err)
	}
	stranger, err := e.outsider(ctx, "q")
	if err != nil {
		return nil, err
	}
	if err := q(ctx, e.hc, stranger, bodies[0], 0); err != nil {
		return nil, fmt.Errorf("caller outside the roles: %w", err)
	}
	want := min(e.results, e.docs)
	return func(ctx context.Context, w *worker) error {
		return q(ctx, w.hc, w.token, bodies[w.rng.IntN(len(bodies))], want)
	}, nil
}

// seed inserts e.docs documents in atomic batches of 1000 from a few
// concurrent connections, every one readable by role only.
func seed(ctx context.Context, e *env, coll, role string, buckets int) error {
	const batch, conns = 1000, 4
	work := make(chan int)
	errc := make(chan error, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			hc := e.ep.conn()
			for from := range work {
				docs := make([]map[string]any, 0, batch)
				for i := from; i < min(from+batch, e.docs); i++ {
					docs = append(docs, map[string]any{
						"_acl":   []map[string]any{{"id": role, "rights": 2}},
						"bucket": i % buckets,
						"n":      i,
						"name":   "item-" + strconv.Itoa(i),
						"score":  (i * 7919) % 1000,
						"note":   randomText(40),
					})
				}
				if _, err := e.ep.insertMany(ctx, hc, e.admin, coll, docs); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for from := 0; from < e.docs; from += batch {
		if from%20000 == 0 {
			e.logf("seeding %s: %d of %d documents", coll, from, e.docs)
		}
		select {
		case work <- from:
		case err = <-errc:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return err
}

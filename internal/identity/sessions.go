package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// session is one sign-in: its refresh tokens, lifetimes and where it came
// from. It lives in a store record, so revoking it is deleting the record.
type session struct {
	ID        string    `json:"-"`
	User      string    `json:"user"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
	Refreshed time.Time `json:"refreshed"` // the idle lifetime counts from here
	Expires   time.Time `json:"expires"`   // absolute end
	Addr      string    `json:"addr,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Methods   []string  `json:"methods"` // how the user proved who they are
	// Enrol marks a session of a user who must use a second factor and has
	// none yet: its tokens may only enrol one.
	Enrol bool `json:"enrol,omitempty"`
	// Live holds the hashes of refresh tokens that may be used; Rotated
	// those already used, each usable again until its Until (the reuse
	// grace), and proof of theft after it.
	Live    []tokenHash `json:"live"`
	Rotated []tokenHash `json:"rotated"`
}

type tokenHash struct {
	Hash  []byte    `json:"h"`
	Until time.Time `json:"u,omitzero"`
}

// Bounds on the token lists, so a session record cannot grow without end.
const (
	maxLive    = 4
	maxRotated = 16
)

// Meta is what a request tells about its client.
type Meta struct {
	Addr      string
	UserAgent string
}

// SessionInfo is a session as its owner sees it.
type SessionInfo struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
	Expires   time.Time `json:"expires"`
	Addr      string    `json:"addr,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Methods   []string  `json:"methods"`
	Current   bool      `json:"current"`
}

const maxUserAgent = 256

func newSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func hashSecret(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

// refreshToken renders a refresh token: the session id, to find it, and
// 256 random bits, of which only a hash is stored.
func refreshToken(sid string, secret []byte) string {
	return sid + "." + base64.RawURLEncoding.EncodeToString(secret)
}

func parseRefresh(tok string) (sid string, secret []byte, err error) {
	sid, enc, ok := strings.Cut(tok, ".")
	if ok && len(tok) < 256 && store.ValidID(sid) == nil {
		secret, err = base64.RawURLEncoding.DecodeString(enc)
		if err == nil && len(secret) == 32 {
			return sid, secret, nil
		}
	}
	return "", nil, errBadRefresh
}

var errBadRefresh = errs.E(errs.Unauthenticated, "refresh token is not valid")

// startSession records a new session and issues its first tokens.
func (s *Service) startSession(ctx context.Context, user string, m Meta, methods []string, enrol bool) (Tokens, error) {
	now := s.now()
	secret := newSecret()
	ses := session{
		ID: store.NewID(), User: user, Created: now, LastSeen: now, Refreshed: now,
		Expires: now.Add(s.opt.SessionTTL), Addr: m.Addr, UserAgent: truncate(m.UserAgent, maxUserAgent),
		Methods: methods, Live: []tokenHash{{Hash: hashSecret(secret)}}, Rotated: []tokenHash{}, Enrol: enrol,
	}
	err := s.st.Write(ctx, func(tx store.Tx) error {
		if err := putSession(tx, ses); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.LoginSuccess, Actor: user, Subject: ses.ID, Addr: m.Addr,
			Data: map[string]any{"methods": methods, "enrol_only": enrol}})
	})
	if err != nil {
		return Tokens{}, err
	}
	return s.issue(ses, secret)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func putSession(tx store.Tx, ses session) error {
	data, err := json.Marshal(ses)
	if err != nil {
		return err
	}
	return tx.PutRecord(store.Record{Kind: kindSession, ID: ses.ID, Owner: ses.User, Data: data, Expires: ses.Expires})
}

func decodeSession(r store.Record) (session, error) {
	var ses session
	if err := json.Unmarshal(r.Data, &ses); err != nil {
		return session{}, err
	}
	ses.ID = r.ID
	return ses, nil
}

// issue signs an access token for the session and renders its refresh token.
func (s *Service) issue(ses session, secret []byte) (Tokens, error) {
	tok, claims, err := s.keys.Issue(ses.User, ses.ID, s.scopeFor(ses)...)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(claims.Expiry.Sub(claims.IssuedAt).Seconds()),
		RefreshToken: refreshToken(ses.ID, secret),
	}, nil
}

// Refresh trades a refresh token for new tokens and rotates it. A token
// already rotated out is accepted again only within the reuse grace (two
// requests of one client racing); after that its use means it was copied,
// and the whole session is revoked.
func (s *Service) Refresh(ctx context.Context, tok string) (Tokens, error) {
	sid, secret, err := parseRefresh(tok)
	if err != nil {
		return Tokens{}, err
	}
	h := hashSecret(secret)
	var out session
	var next []byte
	reused := false
	err = s.st.Write(ctx, func(tx store.Tx) error {
		rec, err := tx.Record(kindSession, sid)
		if errors.Is(err, store.ErrNotFound) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		ses, err := decodeSession(rec)
		if err != nil {
			return err
		}
		now := s.now()
		if !now.Before(ses.Expires) || !now.Before(ses.Refreshed.Add(s.opt.IdleTTL)) {
			return tx.DeleteRecord(kindSession, sid) // over; the caller gets errBadRefresh below
		}
		switch rotate(&ses, h, now, s.opt.ReuseGrace) {
		case tokenUnknown:
			return errBadRefresh
		case tokenReused:
			reused = true
			if err := tx.DeleteRecord(kindSession, sid); err != nil {
				return err
			}
			return s.audit(tx, audit.Event{Kind: audit.RefreshReuseDetected, Actor: ses.User, Subject: sid})
		}
		next = newSecret()
		ses.Live = keepLast(append(ses.Live, tokenHash{Hash: hashSecret(next)}), maxLive)
		ses.Refreshed, ses.LastSeen, out = now, now, ses
		return putSession(tx, ses)
	})
	switch {
	case err != nil:
		return Tokens{}, err
	case reused:
		s.revoked("session:" + sid)
		s.log.Warn("refresh token reused; session revoked", "session", sid)
		return Tokens{}, errs.E(errs.Unauthenticated, "refresh token was already used; the session is revoked")
	case next == nil:
		s.revoked("session:" + sid)
		return Tokens{}, errBadRefresh
	}
	return s.issue(out, next)
}

type tokenState int

const (
	tokenUnknown tokenState = iota
	tokenLive
	tokenGrace
	tokenReused
)

// rotate finds h among the session's tokens and moves a live one to the
// rotated list with the grace deadline.
func rotate(ses *session, h []byte, now time.Time, grace time.Duration) tokenState {
	for i, t := range ses.Live {
		if subtle.ConstantTimeCompare(t.Hash, h) == 1 {
			ses.Live = slices.Delete(ses.Live, i, i+1)
			ses.Rotated = keepLast(append(ses.Rotated, tokenHash{Hash: h, Until: now.Add(grace)}), maxRotated)
			return tokenLive
		}
	}
	for _, t := range ses.Rotated {
		if subtle.ConstantTimeCompare(t.Hash, h) == 1 {
			if now.Before(t.Until) {
				return tokenGrace
			}
			return tokenReused
		}
	}
	return tokenUnknown
}

func keepLast(l []tokenHash, n int) []tokenHash {
	if len(l) > n {
		return slices.Clone(l[len(l)-n:])
	}
	return l
}

// Sessions lists the caller's sessions, newest first.
func (s *Service) Sessions(ctx context.Context, c Caller) ([]SessionInfo, error) {
	recs, err := s.st.Records(ctx, kindSession, c.User)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(recs))
	now := s.now()
	for _, r := range recs {
		ses, err := decodeSession(r)
		if err != nil || !s.alive(ses, now) {
			continue
		}
		out = append(out, SessionInfo{
			ID: ses.ID, Created: ses.Created, LastSeen: ses.LastSeen, Expires: ses.Expires,
			Addr: ses.Addr, UserAgent: ses.UserAgent, Methods: ses.Methods, Current: ses.ID == c.Session,
		})
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (s *Service) alive(ses session, now time.Time) bool {
	return now.Before(ses.Expires) && now.Before(ses.Refreshed.Add(s.opt.IdleTTL))
}

// RevokeSession ends one of the caller's sessions; other users' sessions
// are not found.
func (s *Service) RevokeSession(ctx context.Context, c Caller, sid string) error {
	if store.ValidID(sid) != nil {
		return errs.E(errs.NotFound, "session not found")
	}
	err := s.st.Write(ctx, func(tx store.Tx) error {
		rec, err := tx.Record(kindSession, sid)
		if errors.Is(err, store.ErrNotFound) || err == nil && rec.Owner != c.User {
			return errs.E(errs.NotFound, "session not found")
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteRecord(kindSession, sid); err != nil {
			return err
		}
		return s.audit(tx, audit.Event{Kind: audit.SessionRevoke, Actor: c.User, Subject: sid,
			Data: map[string]any{"own_session": sid == c.Session}})
	})
	if err == nil {
		s.revoked("session:" + sid)
	}
	return err
}

// Logout ends the caller's own session.
func (s *Service) Logout(ctx context.Context, c Caller) error {
	if c.Session == "" {
		return errs.E(errs.FailedPrecondition, "this credential has no session to end")
	}
	return s.RevokeSession(ctx, c, c.Session)
}

// revokeAll ends every session of a user except keep; a password change,
// disabling and deleting use it.
func (s *Service) revokeAll(ctx context.Context, tx store.Tx, user, keep string) ([]string, error) {
	recs, err := s.st.Records(ctx, kindSession, user)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, r := range recs {
		if r.ID == keep {
			continue
		}
		if err := tx.DeleteRecord(kindSession, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		gone = append(gone, r.ID)
	}
	return gone, nil
}

// sessionCache remembers recent session checks, so a request costs a map
// lookup; revocations drop entries at once, and entries expire quickly in
// case a revocation notice from another node was lost.
type sessionCache struct {
	mu  sync.Mutex
	m   map[string]cachedSession
	now func() time.Time
}

type cachedSession struct {
	user    string
	checked time.Time
}

// sessionRecheck bounds how long a revocation on another node can go
// unnoticed when its notice is lost.
const sessionRecheck = 2 * time.Second

func newSessionCache(now func() time.Time) *sessionCache {
	return &sessionCache{m: map[string]cachedSession{}, now: now}
}

func (c *sessionCache) get(sid string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[sid]
	if !ok || c.now().Sub(e.checked) > sessionRecheck {
		return "", false
	}
	return e.user, true
}

func (c *sessionCache) put(sid, user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 100000 {
		clear(c.m) // crude but bounded; entries are cheap to rebuild
	}
	c.m[sid] = cachedSession{user: user, checked: c.now()}
}

func (c *sessionCache) drop(sid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, sid)
}

// checkSession confirms an access token's session is still live.
func (s *Service) checkSession(ctx context.Context, sid, user string) error {
	if u, ok := s.sessions.get(sid); ok && u == user {
		return nil
	}
	rec, err := s.st.Record(ctx, kindSession, sid)
	if errors.Is(err, store.ErrNotFound) {
		return errs.E(errs.Unauthenticated, "the session has ended")
	}
	if err != nil {
		return err
	}
	ses, err := decodeSession(rec)
	if err != nil {
		return err
	}
	if ses.User != user || !s.alive(ses, s.now()) {
		return errs.E(errs.Unauthenticated, "the session has ended")
	}
	s.sessions.put(sid, user)
	return nil
}

// Caller is who an authenticated request runs as.
type Caller struct {
	acl.Principals
	// Session is the session of an access token; Key the id of an API key.
	Session string
	Key     string
	// Enrol is set when the user must use a second factor and has none:
	// such a caller may only enrol one.
	Enrol bool
}

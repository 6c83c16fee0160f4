package rest

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/store"
)

// defaultAuditPage is the page size when ?limit= is left out.
const defaultAuditPage = 100

// auditParams are the query parameters GET /api/v1/audit understands.
var auditParams = map[string]bool{
	"kind": true, "actor": true, "subject": true, "since": true, "until": true, "after": true, "limit": true,
}

// auditEntry is an entry as the admin API shows it: hashes in hex.
type auditEntry struct {
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

// listAudit serves GET /api/v1/audit?kind=a,b&actor=&subject=&since=&until=&after=&limit=.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	if a.opt.Audit == nil {
		return errs.E(errs.Unavailable, "this node does not serve the audit log")
	}
	q, err := auditQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	list, err := a.opt.Audit.List(r.Context(), principals(r), q)
	if err != nil {
		return err
	}
	out := make([]auditEntry, len(list))
	for i, e := range list {
		out[i] = auditEntry{
			Seq: e.Seq, At: e.At, Kind: e.Kind, Actor: e.Actor, Subject: e.Subject, Addr: e.Addr, Data: e.Data,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}

// auditQuery parses the query string strictly: unknown or repeated
// parameters are refused rather than ignored, so a typo cannot widen
// what an admin believes they filtered. An empty value means no filter.
func auditQuery(raw string) (store.AuditQuery, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return store.AuditQuery{}, errs.E(errs.InvalidArgument, "the query string is malformed")
	}
	for k, vs := range v {
		if !auditParams[k] {
			return store.AuditQuery{}, errs.E(errs.InvalidArgument, "unknown query parameter; use kind, actor, subject, since, until, after or limit")
		}
		if len(vs) > 1 {
			return store.AuditQuery{}, errs.E(errs.InvalidArgument, "query parameter %s is given more than once", k)
		}
	}
	q := store.AuditQuery{Actor: v.Get("actor"), Subject: v.Get("subject"), Limit: defaultAuditPage}
	if k := v.Get("kind"); k != "" {
		if len(k) > store.MaxAuditKinds*65 {
			return store.AuditQuery{}, errs.E(errs.InvalidArgument, "at most %d kinds per query", store.MaxAuditKinds)
		}
		q.Kinds = strings.Split(k, ",")
	}
	if q.Since, err = auditTime(v, "since"); err != nil {
		return store.AuditQuery{}, err
	}
	if q.Until, err = auditTime(v, "until"); err != nil {
		return store.AuditQuery{}, err
	}
	if s := v.Get("after"); s != "" {
		if q.After, err = strconv.ParseInt(s, 10, 64); err != nil || q.After < 0 {
			return store.AuditQuery{}, errs.E(errs.InvalidArgument, "after must be a sequence number of 0 or more")
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > store.MaxAuditPage {
			return store.AuditQuery{}, errs.E(errs.InvalidArgument, "limit must be 1 to %d", store.MaxAuditPage)
		}
	}
	return q, q.Validate()
}

func auditTime(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.E(errs.InvalidArgument, "%s must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", name)
	}
	if t.IsZero() {
		// The zero time means "no filter" to the store; as a value it is
		// just out of range, like every other year before 1970.
		return time.Time{}, errs.E(errs.InvalidArgument, "since and until must lie between the years 1970 and 2200")
	}
	return t.UTC(), nil
}

package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"rampart.dev/rampart/internal/acl"
	"rampart.dev/rampart/internal/audit"
	"rampart.dev/rampart/internal/docs"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/identity"
	"rampart.dev/rampart/internal/jsonx"
	"rampart.dev/rampart/internal/transport/guard"
)

// Options configure the REST surface.
type Options struct {
	MaxBody  int64 // bytes of one request body
	MaxDepth int   // nesting of request JSON other than documents
	// Issuer is the URL tokens name as their issuer, used by discovery.
	Issuer string
	// Ready reports whether the node can serve; /readyz answers with it.
	Ready func(context.Context) error
	// RatePerMinute and RateBurst size the token bucket each client
	// address gets on anonymous endpoints.
	RatePerMinute int
	RateBurst     int
	// Limits, when set, is that bucket table, shared with the other
	// surfaces of the node; RatePerMinute and RateBurst are then unused.
	Limits *guard.Limiter
	// Audit serves GET /api/v1/audit; nil answers unavailable.
	Audit *audit.Log
	// WebSocket serves GET /api/v1/ws on the public listener; nil answers
	// unavailable.
	WebSocket http.Handler
	Log       *slog.Logger
}

// API serves REST over the document and identity services.
type API struct {
	docs *docs.Service
	id   *identity.Service
	opt  Options
	log  *slog.Logger
	// limits holds the per-address buckets of the anonymous endpoints.
	limits *guard.Limiter
}

// New builds the REST surface.
func New(d *docs.Service, id *identity.Service, opt Options) *API {
	if opt.MaxBody <= 0 {
		opt.MaxBody = 16 << 20
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 32
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Ready == nil {
		opt.Ready = func(context.Context) error { return nil }
	}
	limits := opt.Limits
	if limits == nil {
		limits = guard.NewLimiter(opt.RatePerMinute, opt.RateBurst, time.Now)
	}
	return &API{docs: d, id: id, opt: opt, log: opt.Log, limits: limits}
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipals
)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

func caller(r *http.Request) identity.Caller {
	c, _ := r.Context().Value(keyPrincipals).(identity.Caller)
	return c
}

func principals(r *http.Request) acl.Principals { return caller(r).Principals }

// meta is what the request tells about its client.
func meta(r *http.Request) identity.Meta { return guard.Meta(r.RemoteAddr, r.UserAgent()) }

// handler is an endpoint that returns its error for writeError to map.
type handler func(w http.ResponseWriter, r *http.Request) error

// anon serves an endpoint that needs no caller.
func (a *API) anon(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// access says who may call an authenticated endpoint.
type access int

const (
	user       access = iota // any signed-in caller with full access
	adminsOnly               // members of admins
	enrolling                // also callers who may only enrol a second factor
)

// open serves an endpoint that needs no caller. Every such endpoint is
// rate limited per client address, since nothing else bounds it.
func (a *API) open(h handler) http.Handler { return a.anon(a.limited(h)) }

// authed serves an endpoint that runs as the caller named by the request's
// credential.
func (a *API) authed(who access, h handler) http.Handler {
	return a.anon(func(w http.ResponseWriter, r *http.Request) error {
		c, err := a.authenticate(r)
		if err != nil {
			return err
		}
		switch {
		case who == adminsOnly && !c.Admin:
			return errs.E(errs.PermissionDenied, "this endpoint is for admins")
		case c.Enrol && who != enrolling:
			return errs.E(errs.PermissionDenied, "enrol a second factor first (POST /api/v1/me/mfa/totp)")
		}
		w.Header().Set("Cache-Control", "no-store")
		return h(w, r.WithContext(context.WithValue(r.Context(), keyPrincipals, c)))
	})
}

// authenticate resolves the request's one credential into its caller.
func (a *API) authenticate(r *http.Request) (identity.Caller, error) {
	return guard.Authenticate(r.Context(), a.id, r.Header)
}

// body reads a request body within the size limit.
func (a *API) body(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !jsonContent(ct) {
		return nil, errs.E(errs.InvalidArgument, "send JSON (Content-Type: application/json)")
	}
	if r.ContentLength > a.opt.MaxBody {
		return nil, errs.E(errs.TooLarge, "request body is over the limit of %d bytes", a.opt.MaxBody)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, a.opt.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errs.E(errs.TooLarge, "request body is over the limit of %d bytes", a.opt.MaxBody)
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.InvalidArgument, "could not read the request body")
	}
	return raw, nil
}

func jsonContent(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	return mt == "application/json" || mt == "application/merge-patch+json"
}

// decode reads a required request body into v strictly: one JSON object,
// valid UTF-8, no duplicate or unknown keys, bounded nesting.
func (a *API) decode(r *http.Request, v any) error {
	return a.decodeBody(r, v, false)
}

// decodeOptional is decode for requests whose every field is optional: an
// empty body stands for {}.
func (a *API) decodeOptional(r *http.Request, v any) error {
	return a.decodeBody(r, v, true)
}

func (a *API) decodeBody(r *http.Request, v any, optional bool) error {
	raw, err := a.body(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if !optional {
			return errs.E(errs.InvalidArgument, "the request body is empty; send a JSON object")
		}
		raw = []byte("{}")
	}
	return decodeStrict(raw, a.opt.MaxDepth, v)
}

func decodeStrict(raw []byte, depth int, v any) error {
	// An object only: null or a scalar would decode into the zero request
	// and act as if every field had been left out.
	m, err := jsonx.DecodeObject(raw, jsonx.Limits{MaxDepth: depth})
	if err != nil {
		return err
	}
	if err := exactKeys(m, reflect.TypeOf(v)); err != nil {
		return err
	}
	if jsonx.HasNUL(m) {
		// Names, ids and settings end up in text columns, which
		// PostgreSQL refuses to hold NUL in.
		return errs.E(errs.InvalidArgument, "request text may not contain NUL")
	}
	return unmarshalKnown(raw, v)
}

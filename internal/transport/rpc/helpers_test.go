package rpc_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
)

// protocol is one of the ways every procedure is called.
type protocol = apptest.RPCProtocol

var protocols = apptest.RPCProtocols

// http2 is a client of the node over TLS and HTTP/2, which gRPC needs.
func http2(t testing.TB, h *apptest.Harness) *http.Client {
	tr := &http.Transport{TLSClientConfig: h.TLSConfig(), ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// clients are generated clients of every service, on one protocol.
type clients struct {
	auth  rampartv1connect.AuthServiceClient
	docs  rampartv1connect.DocumentServiceClient
	keys  rampartv1connect.APIKeyServiceClient
	admin rampartv1connect.AdminServiceClient
	// adminKeys is APIKeyService on the admin listener.
	adminKeys rampartv1connect.APIKeyServiceClient
	// publicAdmin is AdminService aimed at the public listener, which
	// must not serve it.
	publicAdmin rampartv1connect.AdminServiceClient
	// p, hc and h let a row build clients of its own.
	p  protocol
	hc connect.HTTPClient
	h  *apptest.Harness
}

func newClients(base *http.Client, h *apptest.Harness, p protocol, extra ...connect.ClientOption) clients {
	o := append(append([]connect.ClientOption{}, p.Opts...), extra...)
	hc := p.Client(h, base)
	return clients{
		auth:        rampartv1connect.NewAuthServiceClient(hc, h.PublicURL, o...),
		docs:        rampartv1connect.NewDocumentServiceClient(hc, h.PublicURL, o...),
		keys:        rampartv1connect.NewAPIKeyServiceClient(hc, h.PublicURL, o...),
		admin:       rampartv1connect.NewAdminServiceClient(hc, h.AdminURL, o...),
		adminKeys:   rampartv1connect.NewAPIKeyServiceClient(hc, h.AdminURL, o...),
		publicAdmin: rampartv1connect.NewAdminServiceClient(hc, h.PublicURL, o...),
		p:           p, hc: hc, h: h,
	}
}

// as wraps a message in a request carrying a bearer credential ("" for none).
func as[T any](cred string, m *T) *connect.Request[T] {
	r := connect.NewRequest(m)
	if cred != "" {
		r.Header().Set("Authorization", "Bearer "+cred)
	}
	return r
}

// login signs in over RPC and returns the access token.
func login(t testing.TB, c clients, username, password string) string {
	t.Helper()
	res, err := c.auth.Login(context.Background(), as("", &rampartv1.LoginRequest{Username: username, Password: password}))
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	if res.Msg.GetTokens().GetAccessToken() == "" {
		t.Fatalf("login %s: no access token in %v", username, res.Msg)
	}
	return res.Msg.GetTokens().GetAccessToken()
}

// wantErr asserts a typed refusal: the RPC status and a rampart.v1.Error
// detail with the same code, a message and a correlation id.
func wantErr(t testing.TB, err error, want errs.Code) *rampartv1.Error {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a %s error", err, want)
	}
	if ce.Code() != wantConnect[want] {
		t.Fatalf("status %v (%s), want %v", ce.Code(), ce.Message(), wantConnect[want])
	}
	d := detail(t, ce)
	if d.GetCode() != string(want) || d.GetMessage() == "" || d.GetId() == "" {
		t.Fatalf("detail %v, want code %s with a message and an id", d, want)
	}
	if d.GetMessage() != ce.Message() {
		t.Errorf("detail message %q differs from the status message %q", d.GetMessage(), ce.Message())
	}
	return d
}

// detail is the rampart.v1.Error an error carries.
func detail(t testing.TB, ce *connect.Error) *rampartv1.Error {
	t.Helper()
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			t.Fatalf("decode detail %s: %v", d.Type(), err)
		}
		if e, ok := v.(*rampartv1.Error); ok {
			return e
		}
	}
	t.Fatalf("error %v carries no rampart.v1.Error detail", ce)
	return nil
}

// wantConnect is the status each code must travel as.
var wantConnect = map[errs.Code]connect.Code{
	errs.InvalidArgument:    connect.CodeInvalidArgument,
	errs.Unauthenticated:    connect.CodeUnauthenticated,
	errs.PermissionDenied:   connect.CodePermissionDenied,
	errs.NotFound:           connect.CodeNotFound,
	errs.Conflict:           connect.CodeAlreadyExists,
	errs.FailedPrecondition: connect.CodeFailedPrecondition,
	errs.TooLarge:           connect.CodeResourceExhausted,
	errs.ResourceExhausted:  connect.CodeResourceExhausted,
	errs.Unavailable:        connect.CodeUnavailable,
	errs.Internal:           connect.CodeInternal,
}

// recorder notes every procedure a client calls.
type recorder struct {
	mu    sync.Mutex
	procs map[string]bool
}

func newRecorder() *recorder { return &recorder{procs: map[string]bool{}} }

func (r *recorder) note(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[p] = true
}

func (r *recorder) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		r.note(req.Spec().Procedure)
		return next(ctx, req)
	}
}

func (r *recorder) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, s connect.Spec) connect.StreamingClientConn {
		r.note(s.Procedure)
		return next(ctx, s)
	}
}

func (r *recorder) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

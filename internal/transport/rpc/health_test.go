package rpc_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"

	healthv1 "rampart.dev/rampart/api/grpc/health/v1"
	"rampart.dev/rampart/api/grpc/health/v1/healthv1connect"
	"rampart.dev/rampart/internal/apptest"
	"rampart.dev/rampart/internal/errs"
	"rampart.dev/rampart/internal/transport/rpc"
)

// TestHealth checks grpc.health.v1.Health over gRPC: readiness decides the
// status, unknown names are NotFound, and Watch follows a change.
func TestHealth(t *testing.T) {
	var down atomic.Bool
	s := rpc.New(nil, nil, rpc.Options{Ready: func(context.Context) error {
		if down.Load() {
			return errors.New("store unreachable")
		}
		return nil
	}})
	srv := httptest.NewUnstartedServer(s.Public())
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := healthv1connect.NewHealthClient(srv.Client(), srv.URL, connect.WithGRPC())
	ctx := context.Background()
	check := func(name string) (healthv1.HealthCheckResponse_ServingStatus, error) {
		res, err := c.Check(ctx, connect.NewRequest(&healthv1.HealthCheckRequest{Service: name}))
		if err != nil {
			return 0, err
		}
		return res.Msg.GetStatus(), nil
	}
	for _, name := range []string{"", "rampart.v1.AuthService", "rampart.v1.DocumentService", "rampart.v1.APIKeyService", "grpc.health.v1.Health"} {
		if st, err := check(name); err != nil || st != healthv1.HealthCheckResponse_SERVING {
			t.Fatalf("Check(%q) = %v, %v", name, st, err)
		}
	}
	for _, name := range []string{"rampart.v1.AdminService", "rampart.v1.Nope"} {
		_, err := check(name)
		wantErr(t, err, errs.NotFound)
	}
	_, err := check("rampart.v1.AuthService\x00")
	wantErr(t, err, errs.InvalidArgument)

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	st, err := c.Watch(wctx, connect.NewRequest(&healthv1.HealthCheckRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Receive() || st.Msg().GetStatus() != healthv1.HealthCheckResponse_SERVING {
		t.Fatalf("first watch status %v, %v", st.Msg(), st.Err())
	}
	down.Store(true)
	if got, err := check(""); err != nil || got != healthv1.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Check while down = %v, %v", got, err)
	}
	if !st.Receive() || st.Msg().GetStatus() != healthv1.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch after the change %v, %v", st.Msg(), st.Err())
	}
}

// TestReflection lists each listener's services with a reflection client,
// without a credential.
func TestReflection(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Engine: apptest.SQLite})
	hc := http2(t, h)
	for _, tc := range []struct {
		name, url string
		want      []string
	}{
		{"public", h.PublicURL, []string{"grpc.health.v1.Health", "rampart.v1.APIKeyService", "rampart.v1.AuthService", "rampart.v1.DocumentService"}},
		{"admin", h.AdminURL, []string{"grpc.health.v1.Health", "rampart.v1.APIKeyService", "rampart.v1.AdminService"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st := grpcreflect.NewClient(hc, tc.url, connect.WithGRPC()).NewStream(ctx)
			defer st.Close()
			names, err := st.ListServices()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range names {
				got = append(got, string(n))
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("services %v, want %v", got, tc.want)
			}
			files, err := st.FileContainingSymbol(protoreflect.FullName(tc.want[1]))
			if err != nil || len(files) == 0 {
				t.Fatalf("schema of %s: %v", tc.want[1], err)
			}
		})
	}
}

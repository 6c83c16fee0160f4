package app_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"

	healthv1 "rampart.dev/rampart/api/grpc/health/v1"
	rampartv1 "rampart.dev/rampart/api/rampart/v1"
	"rampart.dev/rampart/api/rampart/v1/rampartv1connect"
)

// TestGRPCLibraryClients: stock grpc-go, as gRPC tools and services use
// it, reaches the same procedures on the shared TLS port: health checks,
// reflection (a bidirectional stream), sign-in, typed errors with their
// rampart.v1.Error detail, response metadata, and a watch that outlives the
// listener's timeouts yet ends at once when the node shuts down.
func TestGRPCLibraryClients(t *testing.T) {
	h := startShortTimeouts(t)
	h.CreateUser("alice", "alice-password-1", false)
	cc, err := grpc.NewClient(strings.TrimPrefix(h.PublicURL, "https://"),
		grpc.WithTransportCredentials(credentials.NewTLS(h.TLSConfig())))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var hs healthv1.HealthCheckResponse
	err = cc.Invoke(ctx, "/grpc.health.v1.Health/Check", &healthv1.HealthCheckRequest{}, &hs)
	if err != nil || hs.GetStatus() != healthv1.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", &hs, err)
	}
	// Reflection is a bidirectional stream: Connect's reflection client,
	// carried by grpc-go.
	rs := grpcreflect.NewClient(h.GRPCClient(), h.PublicURL, connect.WithGRPC()).NewStream(ctx)
	got, err := rs.ListServices()
	rs.Close()
	if err != nil || !slices.Contains(got, "rampart.v1.DocumentService") || slices.Contains(got, "rampart.v1.AdminService") {
		t.Fatalf("reflection lists %v (%v): want DocumentService and no AdminService", got, err)
	}

	var login rampartv1.LoginResponse
	var header metadata.MD
	err = cc.Invoke(ctx, rampartv1connect.AuthServiceLoginProcedure,
		&rampartv1.LoginRequest{Username: "alice", Password: "alice-password-1"}, &login, grpc.Header(&header))
	if err != nil || login.GetTokens().GetAccessToken() == "" {
		t.Fatalf("login: %v %v", &login, err)
	}
	if len(header.Get("x-request-id")) != 1 {
		t.Errorf("response metadata %v: want one x-request-id", header)
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+login.GetTokens().GetAccessToken())
	// An answer to a caller keeps Cache-Control: no-store; the headers that
	// only steer browsers stay off native gRPC, which no page can call.
	header = nil
	err = cc.Invoke(authed, rampartv1connect.AuthServiceMeProcedure, &rampartv1.Empty{}, new(rampartv1.MeResponse), grpc.Header(&header))
	if err != nil || len(header.Get("x-request-id")) != 1 || strings.Join(header.Get("cache-control"), ",") != "no-store" {
		t.Errorf("me: %v, response metadata %v: want x-request-id and cache-control no-store", err, header)
	}
	for _, k := range []string{"content-security-policy", "strict-transport-security", "x-frame-options", "x-content-type-options", "referrer-policy", "vary"} {
		if v := header.Get(k); len(v) > 0 {
			t.Errorf("native gRPC answer carries %s: %v", k, v)
		}
	}

	err = cc.Invoke(authed, rampartv1connect.DocumentServiceGetProcedure,
		&rampartv1.GetRequest{Collection: "g", Id: "missing"}, new(rampartv1.Document))
	wantDetail(t, err, codes.NotFound, "not_found")
	err = cc.Invoke(ctx, rampartv1connect.DocumentServiceGetProcedure,
		&rampartv1.GetRequest{Collection: "g", Id: "x"}, new(rampartv1.Document))
	wantDetail(t, err, codes.Unauthenticated, "unauthenticated")
	forged := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer eyJhbGciOiJub25lIn0.e30.")
	err = cc.Invoke(forged, rampartv1connect.DocumentServiceGetProcedure,
		&rampartv1.GetRequest{Collection: "g", Id: "x"}, new(rampartv1.Document))
	wantDetail(t, err, codes.Unauthenticated, "unauthenticated")
	err = cc.Invoke(authed, "/rampart.v1.DocumentService/NoSuch", &rampartv1.Empty{}, new(rampartv1.Empty))
	wantDetail(t, err, codes.NotFound, "not_found")

	// A watch stays open past both timeouts and still delivers.
	wctx, wcancel := context.WithCancel(authed)
	defer wcancel()
	stream, err := cc.NewStream(wctx, &grpc.StreamDesc{ServerStreams: true}, rampartv1connect.DocumentServiceWatchProcedure)
	if err == nil {
		err = stream.SendMsg(&rampartv1.WatchRequest{Collection: "g"})
	}
	if err == nil {
		err = stream.CloseSend()
	}
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * shortTimeout)
	var doc rampartv1.Document
	err = cc.Invoke(authed, rampartv1connect.DocumentServiceInsertProcedure,
		&rampartv1.InsertRequest{Collection: "g", Document: `{"_id":"late"}`}, &doc)
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	var ev rampartv1.WatchEvent
	for ev.GetId() != "late" {
		if err := stream.RecvMsg(&ev); err != nil {
			t.Fatalf("watch ended before the insert arrived: %v", err)
		}
	}

	// Shutdown ends the stream rather than waiting for it.
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	start := time.Now()
	if err := h.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown with a gRPC watch open: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with a gRPC watch open", d)
	}
	for {
		if err := stream.RecvMsg(&ev); err != nil {
			if errors.Is(err, io.EOF) || status.Code(err) != codes.OK {
				break
			}
		}
	}
}

// wantDetail checks a call failed with code and a rampart.v1.Error detail
// of errCode that carries a correlation id.
func wantDetail(t *testing.T, err error, code codes.Code, errCode string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("status %v (%v), want %v", st.Code(), err, code)
	}
	for _, d := range st.Details() {
		if e, ok := d.(*rampartv1.Error); ok {
			if e.GetCode() != errCode || e.GetId() == "" {
				t.Fatalf("detail %v: want code %s with a correlation id", e, errCode)
			}
			return
		}
	}
	t.Fatalf("status %v carries no rampart.v1.Error detail", st)
}

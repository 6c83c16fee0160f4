package rpc

import (
	"context"
	"slices"
	"time"

	"connectrpc.com/connect"

	healthv1 "rampart.dev/rampart/api/grpc/health/v1"
	"rampart.dev/rampart/internal/errs"
)

var healthService = serviceOf(healthv1.File_grpc_health_v1_health_proto, "Health")

// healthPoll is how often a health watch looks at readiness again.
const healthPoll = 2 * time.Second

// healthRoutes serve grpc.health.v1.Health for the server as a whole ("")
// and for each of names. They need no credential and are not rate limited,
// as load balancers call them constantly.
func (s *Server) healthRoutes(names []string) []route {
	known := func(svc string) bool { return svc == "" || slices.Contains(names, svc) }
	return []route{
		unary(s, healthService, "Check", open, func(ctx context.Context, req *healthv1.HealthCheckRequest) (*healthv1.HealthCheckResponse, error) {
			if !known(req.GetService()) {
				return nil, errs.E(errs.NotFound, "unknown service %.128q", req.GetService())
			}
			return &healthv1.HealthCheckResponse{Status: s.status(ctx)}, nil
		}),
		stream(s, healthService, "Watch", open, func(ctx context.Context, req *healthv1.HealthCheckRequest, out *connect.ServerStream[healthv1.HealthCheckResponse]) error {
			if !known(req.GetService()) {
				// The protocol answers an unknown name in the stream, and
				// keeps it open in case the service appears.
				if err := out.Send(&healthv1.HealthCheckResponse{Status: healthv1.HealthCheckResponse_SERVICE_UNKNOWN}); err != nil {
					return err
				}
				<-ctx.Done()
				return nil
			}
			return s.watchHealth(ctx, out)
		}),
	}
}

// status is the serving status the readiness check gives.
func (s *Server) status(ctx context.Context) healthv1.HealthCheckResponse_ServingStatus {
	if s.opt.Ready(ctx) != nil {
		return healthv1.HealthCheckResponse_NOT_SERVING
	}
	return healthv1.HealthCheckResponse_SERVING
}

// watchHealth sends the status, then each change of it, until the client
// leaves.
func (s *Server) watchHealth(ctx context.Context, out *connect.ServerStream[healthv1.HealthCheckResponse]) error {
	tick := time.NewTicker(healthPoll)
	defer tick.Stop()
	last := healthv1.HealthCheckResponse_UNKNOWN
	for {
		if st := s.status(ctx); st != last && ctx.Err() == nil {
			if err := out.Send(&healthv1.HealthCheckResponse{Status: st}); err != nil {
				return err
			}
			last = st
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

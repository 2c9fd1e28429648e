package server

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthServer answers the gRPC health protocol (grpc.health.v1.Health)
// for the whole server ("") and for every registered service by its full
// name (tasharuk.petitions.v1.PetitionService, ...), so a client or a
// load balancer can probe the service it calls. Check also reflects
// readiness, as /readyz does: a server whose event log does not answer,
// or whose read models lag behind the log, is NOT_SERVING. Watch streams
// the lifecycle statuses (SERVING once the server serves, NOT_SERVING when
// it shuts down). An unknown service name is NOT_FOUND, as the protocol
// says.
type healthServer struct {
	*health.Server
	ready func(context.Context) error
}

func (h healthServer) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	resp, err := h.Server.Check(ctx, req)
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return resp, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := h.ready(ctx); err != nil {
		return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING}, nil
	}
	return resp, nil
}

// readiness is what /readyz checks: the event log answers and the
// application's own check (Config.Ready) passes.
func (s *Server) readiness(ctx context.Context) error {
	if _, err := s.cfg.Store.LastPosition(ctx); err != nil {
		return fmt.Errorf("event log unavailable: %w", err)
	}
	if s.cfg.Ready != nil {
		return s.cfg.Ready(ctx)
	}
	return nil
}

// setServing marks the server and each of its gRPC services SERVING.
func (s *Server) setServing() {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
}

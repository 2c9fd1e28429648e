package server

import (
	"context"
	"errors"
	"net"
	"testing"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestHealthCheckReflectsReadiness: a service marked SERVING answers
// NOT_SERVING while the readiness check fails, and SERVING again after.
func TestHealthCheckReflectsReadiness(t *testing.T) {
	var notReady error = errors.New("read models at 3 of 9")
	h := healthServer{Server: health.NewServer(), ready: func(context.Context) error { return notReady }}
	h.SetServingStatus("tasharuk.petitions.v1.PetitionService", healthpb.HealthCheckResponse_SERVING)
	check := func() healthpb.HealthCheckResponse_ServingStatus {
		resp, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "tasharuk.petitions.v1.PetitionService"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetStatus()
	}
	if got := check(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("not ready: %v, want NOT_SERVING", got)
	}
	notReady = nil
	if got := check(); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("ready: %v, want SERVING", got)
	}
	h.Shutdown()
	if got := check(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("shut down: %v, want NOT_SERVING", got)
	}
}

func TestURL(t *testing.T) {
	for _, c := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080"},
		{"10.1.2.3:443", true, "https://10.1.2.3:443"},
		{"0.0.0.0:8080", false, "http://localhost:8080"},
		{"[::]:8443", true, "https://localhost:8443"},
		{"[::1]:8080", false, "http://[::1]:8080"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := URL(addr, c.tls); got != c.want {
			t.Errorf("URL(%s, tls=%v) = %q, want %q", c.addr, c.tls, got, c.want)
		}
	}
}

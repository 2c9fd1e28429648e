package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// conventionsClock is the service's clock in these tests.
func conventionsClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

// TestStartupLogURL: the start-up log names the URL the service answers
// at, with the scheme and the address really bound (issue 14).
func TestStartupLogURL(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	var url string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "serving" {
			continue
		}
		url, _ = rec["url"].(string)
	}
	if url != e.base {
		t.Fatalf("start-up log: url %q, want %q (the address the test bound)", url, e.base)
	}
	// The URL is the one that answers.
	if code, body := e.rest("GET", "/healthz", "", nil, nil); code != 200 {
		t.Fatalf("GET %s/healthz: %d %s", url, code, body)
	}
}

// TestGRPCHealthPerService: grpc.health.v1 answers SERVING for the server
// ("") and for every service it registers, by full name; an unknown name
// is NOT_FOUND (issue 14: it only answered for "").
func TestGRPCHealthPerService(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	hc := healthpb.NewHealthClient(e.conn)
	for _, name := range []string{
		"",
		petitionsv1.PetitionService_ServiceDesc.ServiceName,
		territoryv1.TerritoryService_ServiceDesc.ServiceName,
		statusv1.StatusService_ServiceDesc.ServiceName,
		advisoryv1.AdvisoryService_ServiceDesc.ServiceName,
		consultationsv1.ConsultationService_ServiceDesc.ServiceName,
		auditv1.AuditService_ServiceDesc.ServiceName,
		eventlogv1.EventLogService_ServiceDesc.ServiceName,
	} {
		resp, err := hc.Check(e.ctxBG(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil {
			t.Fatalf("health of %q: %v", name, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health of %q: %v, want SERVING", name, resp.GetStatus())
		}
	}
	_, err := hc.Check(e.ctxBG(), &healthpb.HealthCheckRequest{Service: "tasharuk.nothing.v1.NoService"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("health of an unknown service: %v, want NotFound", err)
	}
}

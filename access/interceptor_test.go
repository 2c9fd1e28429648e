package access

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// callUnary runs the interceptor on one call and reports what the handler
// saw.
func callUnary(t *testing.T, authorization, method string, req any) (reached bool, who *Principal, err error) {
	t.Helper()
	ctx := context.Background()
	if authorization != "" {
		ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", authorization))
	}
	intercept := UnaryInterceptor(NewIssuer(testKey, ""), DefaultPolicy(), func() time.Time { return t0.Add(time.Minute) })
	_, err = intercept(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
		reached = true
		if p, ok := PrincipalFrom(ctx); ok {
			who = &p
		}
		return "response", nil
	})
	return reached, who, err
}

func TestUnaryInterceptor(t *testing.T) {
	iss := NewIssuer(testKey, "")
	staffTok := mustIssue(t, iss, clerk)
	citizenTok := mustIssue(t, iss, Principal{Subject: "amina", Role: RoleCitizen})
	expired, err := iss.Issue(clerk, time.Second, t0)
	if err != nil {
		t.Fatal(err)
	}
	foreign := mustIssue(t, NewIssuer([]byte("another key, another installation"), ""), clerk)

	const (
		decide = petitionsv1.PetitionService_DecideAdmissibility_FullMethodName
		get    = petitionsv1.PetitionService_GetPetition_FullMethodName
	)
	homeReq := &petitionsv1.DecideAdmissibilityRequest{Name: "communes/50910101/petitions/p"}
	otherReq := &petitionsv1.DecideAdmissibilityRequest{Name: "communes/50910107/petitions/p"}
	getReq := &petitionsv1.GetPetitionRequest{Name: "communes/50910101/petitions/p"}

	for _, tc := range []struct {
		name          string
		authorization string
		method        string
		req           any
		want          codes.Code
		who           *Principal
	}{
		{"staff on its council", "Bearer " + staffTok, decide, homeReq, codes.OK, &clerk},
		{"lower-case scheme", "bearer " + staffTok, decide, homeReq, codes.OK, &clerk},
		{"upper-case scheme", "BEARER  " + staffTok, decide, homeReq, codes.OK, &clerk},
		{"staff on another council", "Bearer " + staffTok, decide, otherReq, codes.PermissionDenied, nil},
		{"citizen on the council's procedure", "Bearer " + citizenTok, decide, homeReq, codes.PermissionDenied, nil},
		{"anonymous on an act", "", decide, homeReq, codes.Unauthenticated, nil},
		{"expired token on an act", "Bearer " + expired, decide, homeReq, codes.Unauthenticated, nil},
		{"foreign token on an act", "Bearer " + foreign, decide, homeReq, codes.Unauthenticated, nil},
		{"garbage on an act", "Bearer garbage", decide, homeReq, codes.Unauthenticated, nil},
		{"other scheme on an act", "Basic " + staffTok, decide, homeReq, codes.Unauthenticated, nil},
		{"bare token on an act", staffTok, decide, homeReq, codes.Unauthenticated, nil},
		{"anonymous read", "", get, getReq, codes.OK, nil},
		{"read with a token", "Bearer " + staffTok, get, getReq, codes.OK, &clerk},
		{"read with an expired token", "Bearer " + expired, get, getReq, codes.OK, nil},
		{"read with garbage", "Bearer garbage", get, getReq, codes.OK, nil},
		{"method without a row", "Bearer " + staffTok, "/tasharuk.petitions.v1.PetitionService/Dissolve", homeReq, codes.PermissionDenied, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached, who, err := callUnary(t, tc.authorization, tc.method, tc.req)
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
			checkReason(t, err)
			if reached != (tc.want == codes.OK) {
				t.Errorf("handler reached = %v with code %v", reached, tc.want)
			}
			if (who == nil) != (tc.who == nil) || (who != nil && *who != *tc.who) {
				t.Errorf("handler saw principal %+v, want %+v", who, tc.who)
			}
		})
	}
}

// fakeStream is a server stream that only has a context.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s fakeStream) Context() context.Context { return s.ctx }

func TestStreamInterceptor(t *testing.T) {
	staffTok := mustIssue(t, NewIssuer(testKey, ""), clerk)
	policy := DefaultPolicy()
	policy["/test.Stream/Scoped"] = Rule{Roles: []Role{RoleStaff}, Scoped: true}
	policy["/test.Stream/Admin"] = Rule{Roles: []Role{RoleAdmin}}
	intercept := StreamInterceptor(NewIssuer(testKey, ""), policy, func() time.Time { return t0 })

	for _, tc := range []struct {
		name, authorization, method string
		want                        codes.Code
		who                         *Principal
	}{
		{"anonymous watch", "", healthpb.Health_Watch_FullMethodName, codes.OK, nil},
		{"watch with a token", "Bearer " + staffTok, healthpb.Health_Watch_FullMethodName, codes.OK, &clerk},
		{"watch with garbage", "Bearer garbage", healthpb.Health_Watch_FullMethodName, codes.OK, nil},
		{"scoped stream names no council", "Bearer " + staffTok, "/test.Stream/Scoped", codes.PermissionDenied, nil},
		{"anonymous on a closed stream", "", "/test.Stream/Admin", codes.Unauthenticated, nil},
		{"wrong role on a stream", "Bearer " + staffTok, "/test.Stream/Admin", codes.PermissionDenied, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.authorization != "" {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", tc.authorization))
			}
			var reached bool
			var who *Principal
			err := intercept(nil, fakeStream{ctx: ctx}, &grpc.StreamServerInfo{FullMethod: tc.method}, func(_ any, ss grpc.ServerStream) error {
				reached = true
				if p, ok := PrincipalFrom(ss.Context()); ok {
					who = &p
				}
				return nil
			})
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
			checkReason(t, err)
			if reached != (tc.want == codes.OK) {
				t.Errorf("handler reached = %v", reached)
			}
			if (who == nil) != (tc.who == nil) || (who != nil && *who != *tc.who) {
				t.Errorf("handler saw principal %+v, want %+v", who, tc.who)
			}
		})
	}
}

// TestInterceptorsOverGRPC runs the interceptors in a real gRPC server, so
// tokens travel as metadata and refusals as statuses with details.
func TestInterceptorsOverGRPC(t *testing.T) {
	iss := NewIssuer(testKey, "")
	now := func() time.Time { return t0.Add(time.Minute) }
	policy := DefaultPolicy()
	policy[healthpb.Health_Check_FullMethodName] = Rule{Roles: []Role{RoleAdmin}} // closed, to exercise refusals

	ln := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(UnaryInterceptor(iss, policy, now)),
		grpc.ChainStreamInterceptor(StreamInterceptor(iss, policy, now)),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := healthpb.NewHealthClient(conn)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withToken := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	adminTok := mustIssue(t, iss, Principal{Subject: "root", Role: RoleAdmin})

	if _, err := client.Check(withToken(adminTok), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("admin Check: %v", err)
	}
	_, err = client.Check(ctx, &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("anonymous Check: %v, want Unauthenticated", err)
	}
	checkReason(t, err)
	_, err = client.Check(withToken(mustIssue(t, iss, clerk)), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("staff Check: %v, want PermissionDenied", err)
	}
	checkReason(t, err)

	watch, err := client.Watch(withToken("garbage"), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil {
		t.Errorf("Watch with a garbage token on a public stream: %v", err)
	}
}

package access

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// UnaryInterceptor authenticates and authorizes every unary call: it reads
// the bearer token from the "authorization" metadata (which the REST
// gateway fills from the HTTP Authorization header), checks the call
// against policy and hands the caller's Principal to the handler in the
// context (see PrincipalFrom). now gives the time tokens are checked at;
// time.Now if nil.
//
// A token that is present but invalid (expired, badly signed, garbled...)
// fails a non-public method with Unauthenticated. On a public method it is
// ignored and the call proceeds as anonymous, so a browser holding a stale
// token can still read.
func UnaryInterceptor(iss TokenVerifier, policy Policy, now func() time.Time) grpc.UnaryServerInterceptor {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := authorize(ctx, iss, policy, info.FullMethod, req, now())
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls (health Watch,
// reflection). The request is not known when the stream opens, so scoped
// rules see no council: no scoped method may be a stream.
func StreamInterceptor(iss TokenVerifier, policy Policy, now func() time.Time) grpc.StreamServerInterceptor {
	if now == nil {
		now = time.Now
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := authorize(ss.Context(), iss, policy, info.FullMethod, nil, now())
		if err != nil {
			return err
		}
		return handler(srv, &principalStream{ServerStream: ss, ctx: ctx})
	}
}

// authorize returns ctx with the caller's principal, if any, or the status
// error that refuses the call.
func authorize(ctx context.Context, iss TokenVerifier, policy Policy, method string, req any, now time.Time) (context.Context, error) {
	var principal *Principal
	if token, ok := bearerToken(ctx); ok {
		p, err := iss.VerifyToken(ctx, token, now)
		switch {
		case err == nil:
			principal = &p
		case !policy[method].Public:
			return ctx, unauthenticated(err.Error())
		}
	}
	if err := policy.Check(method, principal, req); err != nil {
		return ctx, err
	}
	if principal != nil {
		ctx = WithPrincipal(ctx, *principal)
	}
	return ctx, nil
}

// bearerToken returns the token of the "authorization: Bearer <token>"
// metadata (the scheme in any case). For a value in any other form it
// returns "", true: a token that fails verification, rather than an
// anonymous caller.
func bearerToken(ctx context.Context) (string, bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("authorization")
	if len(values) == 0 {
		return "", false
	}
	v := strings.TrimSpace(values[0])
	if scheme, token, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "bearer") {
		return strings.TrimSpace(token), true
	}
	return "", true
}

// principalStream is a server stream whose context carries the principal.
type principalStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *principalStream) Context() context.Context { return s.ctx }

// TokenVerifier turns a bearer token into a principal; the built-in
// Issuer is one, and oidc.Chain adds tokens from an OIDC provider.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, token string, now time.Time) (Principal, error)
}

// VerifyToken makes the Issuer a TokenVerifier.
func (i *Issuer) VerifyToken(_ context.Context, token string, now time.Time) (Principal, error) {
	return i.Verify(token, now)
}

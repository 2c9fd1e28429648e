package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tasharuk/tasharuk/access"
)

// RateLimit bounds one RPC per token (per authenticated subject) and per
// client address. A zero rate means no limit of that kind.
type RateLimit struct {
	PerToken     rate.Limit
	TokenBurst   int
	PerAddress   rate.Limit
	AddressBurst int
}

// limiter keeps token buckets by method, kind and key; buckets unused for
// ten minutes are dropped, so a flood of addresses cannot grow it forever.
type limiter struct {
	limits  map[string]RateLimit
	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(limits map[string]RateLimit) *limiter {
	return &limiter{limits: limits, buckets: map[string]*bucket{}}
}

// take spends a token of the bucket key, and returns zero; or, when the
// bucket is empty, spends nothing and returns how long until it holds a
// token again (what Retry-After tells the client).
func (l *limiter) take(key string, r rate.Limit, burst int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1024 == 0 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(r, max(burst, 1))}
		l.buckets[key] = b
	}
	b.seen = now
	if b.l.AllowN(now, 1) {
		return 0
	}
	missing := 1 - b.l.TokensAt(now)
	return time.Duration(missing / float64(r) * float64(time.Second))
}

// clientAddress is the caller's IP. For a call from an outside client it
// is the peer's address; any x-forwarded-for it sends is ignored, since a
// client can write what it likes there. For a call relayed by the REST
// gateway (an in-memory connection) it is read from the X-Forwarded-For the
// gateway appended: the rightmost address that is not loopback, so that a
// reverse proxy on the same host is looked through but a forged header
// sent by the client is not believed.
func clientAddress(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if _, internal := p.Addr.(internalAddr); !internal {
		addr := p.Addr.String()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		return addr
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var hops []string
	for _, v := range md.Get("x-forwarded-for") {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	nearest := ""
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(hops[i])
		if ip == nil {
			break // a forged or garbled hop: stop at the last good one
		}
		nearest = ip.String()
		if !ip.IsLoopback() {
			break
		}
	}
	return nearest
}

// rateLimitUnary refuses calls over their method's limits with
// ResourceExhausted (reason RATE_LIMITED). It runs after authentication.
// The refusal says when to retry: a retry-after header (whole seconds, as
// HTTP's Retry-After, which the REST gateway sets from it) and a
// google.rpc.RetryInfo detail.
func (s *Server) rateLimitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	lim, ok := s.limiter.limits[info.FullMethod]
	if !ok {
		return handler(ctx, req)
	}
	now := s.cfg.Now()
	if lim.PerToken > 0 {
		if p, ok := access.PrincipalFrom(ctx); ok {
			if wait := s.limiter.take(info.FullMethod+"|t|"+p.Subject, lim.PerToken, lim.TokenBurst, now); wait > 0 {
				s.throttled.WithLabelValues(info.FullMethod, "token").Inc()
				return nil, throttle(ctx, "too many requests from this account", wait)
			}
		}
	}
	if lim.PerAddress > 0 {
		if addr := clientAddress(ctx); addr != "" {
			if wait := s.limiter.take(info.FullMethod+"|a|"+addr, lim.PerAddress, lim.AddressBurst, now); wait > 0 {
				s.throttled.WithLabelValues(info.FullMethod, "address").Inc()
				return nil, throttle(ctx, "too many requests from this address", wait)
			}
		}
	}
	return handler(ctx, req)
}

// throttle is the RATE_LIMITED refusal of a call that may be retried after
// wait, rounded up to whole seconds (at least one).
func throttle(ctx context.Context, what string, wait time.Duration) error {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	_ = grpc.SetHeader(ctx, metadata.Pairs("retry-after", strconv.FormatInt(secs, 10)))
	err := Status("RATE_LIMITED", fmt.Sprintf("%s; slow down and retry in %d s", what, secs),
		map[string]string{"retry_after_seconds": strconv.FormatInt(secs, 10)})
	st := status.Convert(err)
	if d, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}); derr == nil {
		st = d
	}
	return st.Err()
}

// retryAfter is the Retry-After of a refusal, in whole seconds, from its
// RetryInfo; "" when it has none.
func retryAfter(st *status.Status) string {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return strconv.FormatInt(max(int64(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds())), 1), 10)
		}
	}
	return ""
}

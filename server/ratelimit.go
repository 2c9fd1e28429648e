package server

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

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

func (l *limiter) allow(key string, r rate.Limit, burst int, now time.Time) bool {
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
	return b.l.AllowN(now, 1)
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
func (s *Server) rateLimitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	lim, ok := s.limiter.limits[info.FullMethod]
	if !ok {
		return handler(ctx, req)
	}
	now := s.cfg.Now()
	if lim.PerToken > 0 {
		if p, ok := access.PrincipalFrom(ctx); ok {
			if !s.limiter.allow(info.FullMethod+"|t|"+p.Subject, lim.PerToken, lim.TokenBurst, now) {
				s.throttled.WithLabelValues(info.FullMethod, "token").Inc()
				return nil, Status("RATE_LIMITED", "too many requests from this account; slow down and retry in a few seconds", nil)
			}
		}
	}
	if lim.PerAddress > 0 {
		if addr := clientAddress(ctx); addr != "" && !s.limiter.allow(info.FullMethod+"|a|"+addr, lim.PerAddress, lim.AddressBurst, now) {
			s.throttled.WithLabelValues(info.FullMethod, "address").Inc()
			return nil, Status("RATE_LIMITED", "too many requests from this address; slow down and retry in a few seconds", nil)
		}
	}
	return handler(ctx, req)
}

package server

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

func TestClientAddress(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	cases := []struct {
		name string
		peer net.Addr
		xff  []string
		want string
	}{
		{"outside client", tcp("203.0.113.7:5000"), nil, "203.0.113.7"},
		{"outside client cannot forge", tcp("203.0.113.7:5000"), []string{"198.51.100.1"}, "203.0.113.7"},
		{"loopback gRPC client cannot forge", tcp("127.0.0.1:5000"), []string{"198.51.100.1"}, "127.0.0.1"},
		{"gateway, direct browser", internalAddr{}, []string{"203.0.113.9"}, "203.0.113.9"},
		{"gateway, forged header first", internalAddr{}, []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"gateway behind local proxy", internalAddr{}, []string{"198.51.100.1, 203.0.113.9, 127.0.0.1"}, "203.0.113.9"},
		{"gateway, local caller", internalAddr{}, []string{"127.0.0.1"}, "127.0.0.1"},
		{"gateway, garbage before local hop", internalAddr{}, []string{"not-an-ip, 127.0.0.1"}, "127.0.0.1"},
		{"gateway, no header", internalAddr{}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: c.peer})
			if c.xff != nil {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("x-forwarded-for", c.xff[0]))
			}
			if got := clientAddress(ctx); got != c.want {
				t.Fatalf("clientAddress = %q, want %q", got, c.want)
			}
		})
	}
}

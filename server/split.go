package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// http2Preface starts every HTTP/2 connection with prior knowledge, which
// is how gRPC clients (and the REST gateway's own client) connect.
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// splitListener shares one port between the native gRPC server (HTTP/2
// connections) and the HTTP server (HTTP/1.x: REST, pages, probes). The
// native server is several times faster than grpc-go's ServeHTTP bridge.
type splitListener struct {
	ln        net.Listener
	tls       *tls.Config
	grpc      *subListener
	http      *subListener
	closeOnce sync.Once
	done      chan struct{}
}

// With a TLS configuration every outside connection is TLS and goes to the
// HTTP server (which speaks HTTP/2, gRPC included, by ALPN); the native
// gRPC server then only takes in-memory connections from dialInternal.
func newSplitListener(ln net.Listener, tlsConfig *tls.Config) *splitListener {
	s := &splitListener{ln: ln, tls: tlsConfig, done: make(chan struct{})}
	s.grpc = &subListener{parent: s, conns: make(chan net.Conn)}
	s.http = &subListener{parent: s, conns: make(chan net.Conn)}
	go s.run()
	return s
}

func (s *splitListener) run() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			s.close()
			return
		}
		go s.route(c)
	}
}

// route reads the first bytes and hands the connection to the right server.
func (s *splitListener) route(c net.Conn) {
	if s.tls != nil {
		// The HTTP server does the handshake (with its own timeouts).
		s.hand(s.http, tls.Server(c, s.tls))
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	head := make([]byte, len(http2Preface))
	n, err := io.ReadFull(c, head)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil && n == 0 {
		c.Close()
		return
	}
	pc := &peekedConn{Conn: c, r: io.MultiReader(bytes.NewReader(head[:n]), c)}
	target := s.http
	if n == len(http2Preface) && bytes.Equal(head, http2Preface) {
		target = s.grpc
	}
	s.hand(target, pc)
}

func (s *splitListener) hand(target *subListener, c net.Conn) {
	select {
	case target.conns <- c:
	case <-s.done:
		c.Close()
	}
}

// internalAddr names the in-memory connections of the server's own clients
// (the REST gateway, the web pages).
type internalAddr struct{}

func (internalAddr) Network() string { return "internal" }
func (internalAddr) String() string  { return "internal" }

type internalConn struct{ net.Conn }

func (internalConn) LocalAddr() net.Addr  { return internalAddr{} }
func (internalConn) RemoteAddr() net.Addr { return internalAddr{} }

// dialInternal connects the server's own gRPC clients to the native gRPC
// server in memory: no socket, no TLS, no dependence on the listen address.
func (s *splitListener) dialInternal(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case s.grpc.conns <- internalConn{server}:
		return internalConn{client}, nil
	case <-s.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *splitListener) close() {
	s.closeOnce.Do(func() {
		close(s.done)
		_ = s.ln.Close()
	})
}

type subListener struct {
	parent *splitListener
	conns  chan net.Conn
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.parent.done:
		return nil, net.ErrClosed
	}
}

func (l *subListener) Close() error   { l.parent.close(); return nil }
func (l *subListener) Addr() net.Addr { return l.parent.ln.Addr() }

// peekedConn replays the bytes read to route it.
type peekedConn struct {
	net.Conn
	r io.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

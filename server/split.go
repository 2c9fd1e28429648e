package server

import (
	"bytes"
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
	grpc      *subListener
	http      *subListener
	closeOnce sync.Once
	done      chan struct{}
}

func newSplitListener(ln net.Listener) *splitListener {
	s := &splitListener{ln: ln, done: make(chan struct{})}
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
	select {
	case target.conns <- pc:
	case <-s.done:
		c.Close()
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

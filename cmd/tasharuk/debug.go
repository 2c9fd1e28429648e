package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/tasharuk/tasharuk/internal/service"
)

// The profiling switch (serve --debug-addr): net/http/pprof on a listener
// of its own, off by default. Profiles show the server's internals (stack
// traces, heap contents, command lines), so it listens on a loopback
// address only; the main port never serves /debug/.

// debugListen opens the listener of --debug-addr, refusing any host but a
// loopback IP literal (a name such as "localhost" is refused: what it
// resolves to is not the server's to check).
func debugListen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr %q: want host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--debug-addr %q: the profiling listener takes a loopback IP address only (127.0.0.1:PORT or [::1]:PORT): profiles expose the server's internals", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --debug-addr %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("--debug-addr %q: listening on %v, not a loopback address", addr, ln.Addr())
	}
	return ln, nil
}

// debugHandler serves net/http/pprof's pages under /debug/pprof/.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// debugPart serves the profiling pages on ln until ctx ends.
func debugPart(ln net.Listener) service.Part {
	return service.Part{Name: "profiling listener", Run: func(ctx context.Context) error {
		// No write timeout: /debug/pprof/profile?seconds=N answers after N
		// seconds.
		hs := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
		done := make(chan error, 1)
		go func() { done <- hs.Serve(ln) }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if hs.Shutdown(sctx) != nil {
				_ = hs.Close()
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}}
}

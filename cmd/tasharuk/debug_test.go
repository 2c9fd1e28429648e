package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
)

// The profiling switch listens on a loopback IP address only: a wildcard,
// a routable address or a name is refused before anything starts.
func TestServeDebugAddrRefusesAllButLoopback(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "localhost:0", "example.org:0", "127.0.0.1"} {
		if ln, err := debugListen(addr); err == nil {
			ln.Close()
			t.Errorf("debugListen(%q) accepted, listening on %v", addr, ln.Addr())
		}
		code, _, errOut := runCLI("serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--debug-addr", addr)
		if code != 2 || !strings.Contains(errOut, "--debug-addr") {
			t.Errorf("serve --debug-addr %q: exit %d, stderr %q; want a usage error naming the flag", addr, code, errOut)
		}
	}
	ln, err := debugListen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("debugListen on loopback: %v", err)
	}
	ln.Close()
}

// With --debug-addr the profiler answers on its own loopback port; the
// main port never serves it, with or without the switch.
func TestServeDebugAddrServesProfilerOnItsOwnPort(t *testing.T) {
	debug := fmt.Sprintf("127.0.0.1:%d", natstest.FreePorts(t, 1)[0])
	s := serveCLI(t, "--data-dir", t.TempDir(), "--debug-addr", debug)
	code, body := get(t, "http://"+debug+"/debug/pprof/cmdline")
	if code != http.StatusOK || !strings.HasPrefix(body, os.Args[0]) {
		t.Fatalf("profiler's cmdline: %d %q; want 200 with this process's command line", code, body)
	}
	if code, body := get(t, "http://"+debug+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Fatalf("profiler's goroutines: %d %.200q", code, body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1"} {
		if code, body := get(t, s.base+path); code == http.StatusOK || strings.Contains(body, "goroutine profile:") {
			t.Errorf("main port %s: %d %.200q; want no profiler there", path, code, body)
		}
	}
	s.stop()
	if _, err := http.Get("http://" + debug + "/debug/pprof/cmdline"); err == nil {
		t.Errorf("profiler still answers after serve stopped")
	}
}

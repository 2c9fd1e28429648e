package main

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHealthcheckCommand: `tasharuk healthcheck` exits 0 and prints the
// answer when the URL answers 200, 1 otherwise (not ready, wrong path,
// nothing listening, stray arguments).
func TestHealthcheckCommand(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	var out, errOut strings.Builder
	if code := run([]string{"healthcheck", "--url", e.base + "/readyz"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "ready, log head at position ") {
		t.Fatalf("healthcheck of a ready service: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/readyz"
	ln.Close()
	for _, c := range []struct {
		args []string
		exit int // 1: unhealthy; 2: called wrongly
	}{
		{[]string{"healthcheck", "--url", e.base + "/v1/nothing"}, 1},
		{[]string{"healthcheck", "--url", closed, "--timeout", "2s"}, 1},
		{[]string{"healthcheck", e.base + "/readyz"}, 2},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(c.args, &out, &errOut); code != c.exit || !strings.Contains(errOut.String(), "healthcheck") {
			t.Fatalf("%q: exit %d, stderr %q; want %d and a reason", c.args, code, errOut.String(), c.exit)
		}
	}
}

// repoFile reads a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
}

// TestDeployHealthChecksProbeReadiness: the compose file's and the image's
// health checks run `tasharuk healthcheck` on /readyz at the port the
// image listens on, and that command, pointed at a running service,
// passes (issue 14: compose's check ran `tasharuk version`, which always
// passes). The image makes its data and keys folders, owned by the user
// it runs as. Docker cannot run here: the files are read, not built.
func TestDeployHealthChecksProbeReadiness(t *testing.T) {
	compose := repoFile(t, "deploy/compose/compose.yaml")
	dockerfile := repoFile(t, "deploy/container/Dockerfile")
	m := regexp.MustCompile(`(?m)^\s*test:\s*(\[.*\])\s*$`).FindStringSubmatch(compose)
	if m == nil {
		t.Fatal("compose.yaml: no healthcheck test")
	}
	var composeTest []string
	if err := json.Unmarshal([]byte(m[1]), &composeTest); err != nil {
		t.Fatalf("compose.yaml healthcheck test %s: %v", m[1], err)
	}
	m = regexp.MustCompile(`(?m)^\s*CMD\s*(\[.*\])\s*$`).FindStringSubmatch(dockerfile)
	if m == nil {
		t.Fatal("Dockerfile: no HEALTHCHECK CMD")
	}
	var imageTest []string
	if err := json.Unmarshal([]byte(m[1]), &imageTest); err != nil {
		t.Fatalf("Dockerfile HEALTHCHECK %s: %v", m[1], err)
	}
	addr := regexp.MustCompile(`TASHARUK_ADDR=(\S+)`).FindStringSubmatch(dockerfile)
	if addr == nil {
		t.Fatal("Dockerfile sets no TASHARUK_ADDR")
	}
	_, port, _ := net.SplitHostPort(addr[1])

	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	for name, test := range map[string][]string{"compose": composeTest[1:], "image": imageTest} {
		if len(test) < 3 || test[0] != "/usr/local/bin/tasharuk" || test[1] != "healthcheck" {
			t.Fatalf("%s health check %q does not run tasharuk healthcheck", name, test)
		}
		args := append([]string(nil), test[1:]...)
		probed := false
		for i := range args {
			if i > 0 && args[i-1] == "--url" {
				u, err := url.Parse(args[i])
				if err != nil || u.Path != "/readyz" || u.Port() != port || u.Hostname() != "127.0.0.1" {
					t.Fatalf("%s health check probes %q, want http://127.0.0.1:%s/readyz", name, args[i], port)
				}
				args[i] = e.base + u.Path // the running test service instead
				probed = true
			}
		}
		if !probed {
			t.Fatalf("%s health check %q names no --url", name, test)
		}
		var out, errOut strings.Builder
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("%s health check %q against a ready service: exit %d %s", name, args, code, errOut.String())
		}
	}
	if composeTest[0] != "CMD" {
		t.Fatalf("compose health check %q: want the exec form (CMD), the image has no shell", composeTest)
	}

	// The folders the service writes exist in the image, owned by nonroot.
	for _, env := range []string{"TASHARUK_DATA_DIR", "TASHARUK_KEYS_DIR"} {
		m := regexp.MustCompile(env + `=(\S+)`).FindStringSubmatch(dockerfile)
		if m == nil {
			t.Fatalf("Dockerfile sets no %s", env)
		}
		if !strings.Contains(dockerfile, "/out"+m[1]) {
			t.Fatalf("Dockerfile does not make %s (%s)", env, m[1])
		}
	}
	if !regexp.MustCompile(`(?m)^COPY --from=build --chown=65532:65532 /out/var/lib/tasharuk /var/lib/tasharuk$`).MatchString(dockerfile) ||
		!strings.Contains(dockerfile, "USER nonroot:nonroot") {
		t.Fatal("Dockerfile does not give /var/lib/tasharuk to the nonroot user (65532) it runs as")
	}
	if !strings.Contains(dockerfile, "chmod 0700 /out/var/lib/tasharuk/keys") {
		t.Fatal("Dockerfile leaves the keys folder readable by others")
	}
}

// TestLoadtestPrintsFullResults: deploy/loadtest.sh shows the tools'
// whole reports (issue 14: it cut them with sed, dropping the latency
// distribution and the status codes).
func TestLoadtestPrintsFullResults(t *testing.T) {
	script := repoFile(t, "deploy/loadtest.sh")
	runs := map[string]int{}
	lines := strings.Split(script, "\n")
	for i := 0; i < len(lines); i++ {
		tool, _, _ := strings.Cut(lines[i], " ")
		if tool != "ghz" && tool != "hey" {
			continue
		}
		runs[tool]++
		cmd := lines[i]
		for strings.HasSuffix(strings.TrimSpace(lines[i]), "\\") && i+1 < len(lines) {
			i++
			cmd += "\n" + lines[i]
		}
		if regexp.MustCompile(`\|\s*(sed|head|tail|grep|awk|cut)\b`).MatchString(cmd) {
			t.Fatalf("loadtest.sh cuts the report of:\n%s", cmd)
		}
	}
	if runs["ghz"] == 0 || runs["hey"] == 0 {
		t.Fatalf("loadtest.sh runs %v, want ghz and hey", runs)
	}
}

package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck probes the service's readiness and succeeds (exit 0) only
// when it answers 200: the container's health check, since the image
// (distroless) has no shell, curl or wget. It prints the answer's first
// line ("ready, log head at position N"), which `docker inspect` shows.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", stderr)
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "URL to probe: healthy when it answers 200")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate (a certificate for the public name, probed on 127.0.0.1)")
	// Not parseFlags: TASHARUK_URL and the like mean other things to
	// other tools (deploy/loadtest.sh).
	if err := parseOnly(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{err: fmt.Errorf("healthcheck takes no arguments (got %q); use --url", fs.Args()), usage: flagUsage(fs)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if *insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	line = strings.TrimSpace(line)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", *url, resp.Status, line)
	}
	fmt.Fprintln(stdout, line)
	return nil
}

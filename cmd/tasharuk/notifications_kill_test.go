package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/web/signin/signintest"
)

// TestNotificationsAfterKill9 (issue 20, acceptance 2) runs the real
// binary, kills it with SIGKILL while it sends a batch of 400
// confirmation emails, and starts it again on the same data folder: every
// message arrives, and a repeat is possible only for a message the SMTP
// server had accepted when the process died, before the outbox marked it
// sent — at most one per worker (8). The figures are logged.
func TestNotificationsAfterKill9(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tasharuk")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errOut strings.Builder
	if err := runTerritory(t.Context(), []string{"import", sharedData(t, "bmk_communes_2024.csv"), "--create", "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatalf("territory import: %v\n%s", err, errOut.String())
	}
	mp := signintest.StartMailpit(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir, "--smtp-url", "smtp://"+mp.SMTPAddr,
			"--smtp-from", "no-reply@zaouiat-cheikh.ma", "--notify-lease", "2s")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		waitHealthy(t, "http://"+addr)
		return cmd
	}
	total := func() int {
		resp, err := http.Get(mp.APIURL + "/api/v1/messages?limit=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct{ Total int }
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return v.Total
	}
	cmd := start()
	const n = 400
	waitCouncil := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v1/communes/50910113")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(waitCouncil) {
			t.Fatal("the council never showed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The follows are posted from 16 clients at once, faster than the
	// outbox sends, so the kill comes with a batch in the queue.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				b, _ := json.Marshal(map[string]string{"target": "communes/50910113", "email": fmt.Sprintf("f%d@example.ma", i), "language": "fr"})
				resp, err := http.Post("http://"+addr+"/v1/follows", "application/json", bytes.NewReader(b))
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("follow %d: %s", i, resp.Status)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
	atKill := total()
	if atKill >= n {
		t.Fatalf("all %d sent before the kill", atKill)
	}
	start()
	deadline := time.Now().Add(60 * time.Second)
	for total() < n {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart Mailpit holds %d of %d", total(), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // past the 2 s lease: lapsed claims are taken over by now
	got := total()
	missing, repeated := 0, 0
	for i := range n {
		switch k := len(mp.Messages(t, fmt.Sprintf("f%d@example.ma", i))); {
		case k == 0:
			missing++
		case k > 1:
			repeated += k - 1
		}
	}
	t.Logf("kill -9 after %d of %d sent; after restart Mailpit holds %d: %d missing, %d repeated", atKill, n, got, missing, repeated)
	if missing != 0 {
		t.Errorf("%d messages never arrived", missing)
	}
	if repeated > 8 {
		t.Errorf("%d repeats: more than the 8 messages that can be in flight at the kill", repeated)
	}
}

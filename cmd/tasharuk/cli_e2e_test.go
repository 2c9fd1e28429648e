package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore/nats/natstest"
)

// Issue 14, CLI conventions: help, keys folder, store folders, saved
// checkpoints.

// runCLI runs the binary's entry point as a user would.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// serveCLI runs `tasharuk serve ARGS` (plus a free --addr) until the test
// ends or stop is called; logs are the service's stderr.
type servedCLI struct {
	base string
	logs *syncBuffer
	stop func()
}

func serveCLI(t *testing.T, args ...string) *servedCLI {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePorts(t, 1)[0])
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, append([]string{"--addr", addr}, args...), io.Discard, logs) }()
	s := &servedCLI{base: "http://" + addr, logs: logs}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve %q stopped: %v\n%s", args, err, logs.String())
		default:
		}
		if resp, err := http.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// draft files a petition as the token's holder and returns the HTTP
// status.
func draft(t *testing.T, base, token string) int {
	t.Helper()
	body := `{"kind":"PETITIONER_KIND_CITIZENS","title":"Transport scolaire","request":"Inscrire le transport scolaire à l'ordre du jour.","reasons":"Les élèves marchent dix kilomètres."}`
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/communes/50910113/petitions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// --keys-dir K is the keys folder itself; token issue takes it too (and
// TASHARUK_KEYS_DIR), so the CLI's tokens are the service's; a folder in
// the old layout (keys in K/keys/) is refused and left as it is.
func TestKeysDirIsTheFolder(t *testing.T) {
	t.Setenv("TASHARUK_MASTER_KEY", "")
	data := filepath.Join(t.TempDir(), "data")
	keys := filepath.Join(t.TempDir(), "secrets")
	s := serveCLI(t, "--data-dir", data, "--keys-dir", keys, "--demo", "--checkpoint-every", "1", "--checkpoint-interval", "100ms")
	waitCheckpoint(t, s)

	names := strings.Join(fileNames(t, keys), " ")
	for _, want := range []string{"token-signing.key", "master.key", "checkpoint.key", "checkpoint.pub"} {
		if !strings.Contains(names, want) {
			t.Errorf("--keys-dir %s holds %q, want %s in the folder itself", keys, names, want)
		}
	}
	if _, err := os.Stat(filepath.Join(keys, "keys")); !os.IsNotExist(err) {
		t.Errorf("serve made %s/keys: %v", keys, err)
	}
	if _, err := os.Stat(filepath.Join(data, "keys")); !os.IsNotExist(err) {
		t.Errorf("serve made keys in the data folder too: %v", err)
	}
	// The data folder was named and new: said at WARN.
	if l := s.logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "created a new, empty event log") {
		t.Errorf("serve on a new --data-dir did not warn:\n%s", l)
	}

	code, tok, errOut := runCLI("token", "issue", "--role", "citizen", "--subject", "amina", "--keys-dir", keys)
	if code != 0 {
		t.Fatalf("token issue --keys-dir: exit %d: %s", code, errOut)
	}
	if st := draft(t, s.base, strings.TrimSpace(tok)); st != http.StatusOK {
		t.Fatalf("a token from token issue --keys-dir: HTTP %d, want 200", st)
	}
	t.Setenv("TASHARUK_KEYS_DIR", keys)
	code, tok, errOut = runCLI("token", "issue", "--role", "citizen", "--subject", "driss")
	if code != 0 {
		t.Fatalf("token issue with TASHARUK_KEYS_DIR: exit %d: %s", code, errOut)
	}
	if st := draft(t, s.base, strings.TrimSpace(tok)); st != http.StatusOK {
		t.Fatalf("a token from token issue with TASHARUK_KEYS_DIR: HTTP %d, want 200", st)
	}
	if code, out, errOut := runCLI("token", "verify", strings.TrimSpace(tok)); code != 0 || !strings.Contains(out, "driss") {
		t.Fatalf("token verify with TASHARUK_KEYS_DIR: exit %d %q %s", code, out, errOut)
	}
	// The check can fail: a token of another key is refused.
	code, other, errOut := runCLI("token", "issue", "--role", "citizen", "--keys-dir", t.TempDir(), "--create")
	if code != 0 {
		t.Fatalf("token issue --create: %s", errOut)
	}
	if st := draft(t, s.base, strings.TrimSpace(other)); st != http.StatusUnauthorized {
		t.Fatalf("a token of another key: HTTP %d, want 401", st)
	}
	t.Setenv("TASHARUK_KEYS_DIR", "")
	os.Unsetenv("TASHARUK_KEYS_DIR")
	s.stop()

	// The old layout: the keys in OLD/keys/. Refused by every command that
	// reads keys, with the move to make, and nothing created.
	old := t.TempDir()
	if err := os.Mkdir(filepath.Join(old, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range fileNames(t, keys) {
		b, err := os.ReadFile(filepath.Join(keys, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, "keys", name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"serve", "--data-dir", data, "--keys-dir", old, "--addr", "127.0.0.1:0"},
		{"token", "issue", "--role", "admin", "--keys-dir", old, "--create"},
		{"token", "verify", strings.TrimSpace(tok), "--keys-dir", old},
		{"nats", "keys", "--keys-dir", old},
		{"replay", "--data-dir", data, "--keys-dir", old},
		{"audit", "export", "--out", filepath.Join(t.TempDir(), "x.jsonl"), "--data-dir", data, "--keys-dir", old},
		{"privacy", "erase", "--council", "50910113", "--national-id", "AB123456", "--data-dir", data, "--keys-dir", old},
	} {
		code, _, errOut := runCLI(args...)
		if code != 1 || !strings.Contains(errOut, "keys folder itself") || !strings.Contains(errOut, "mv "+filepath.Join(old, "keys")+"/* "+old+"/") {
			t.Errorf("tasharuk %s on the old layout: exit %d, %q; want a refusal saying how to move the keys", args[0], code, errOut)
		}
		if got := strings.Join(fileNames(t, old), " "); got != "keys" {
			t.Fatalf("after tasharuk %s on the old layout, %s holds %q: something was created", args[0], old, got)
		}
	}
	// An empty keys folder beside a log that was served is the wrong
	// folder: refused, nothing made.
	empty := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var serveLog bytes.Buffer
	if err := runServe(ctx, []string{"--data-dir", data, "--keys-dir", empty, "--addr", "127.0.0.1:0"}, io.Discard, &serveLog); err == nil || !strings.Contains(err.Error(), "holds no key") {
		t.Errorf("serve with an empty --keys-dir over a served log: %v; want a refusal\n%s", err, serveLog.String())
	}
	if n := fileNames(t, empty); len(n) != 0 {
		t.Fatalf("serve made %q in an empty keys folder beside a served log", n)
	}
	// Moved as told, it serves again with the same keys.
	for _, name := range fileNames(t, filepath.Join(old, "keys")) {
		if err := os.Rename(filepath.Join(old, "keys", name), filepath.Join(old, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(old, "keys")); err != nil {
		t.Fatal(err)
	}
	s = serveCLI(t, "--data-dir", data, "--keys-dir", old)
	if st := draft(t, s.base, strings.TrimSpace(tok)); st != http.StatusOK {
		t.Fatalf("after moving the keys, an earlier token: HTTP %d, want 200", st)
	}
}

// A mistyped --data-dir is refused by every command that reads a store,
// and nothing is created there: neither the folder nor a key.
func TestMistypedDataDirRefused(t *testing.T) {
	t.Setenv("TASHARUK_MASTER_KEY", "")
	census := sharedData(t, "bmk_communes_2024.csv")
	for _, existing := range []bool{false, true} {
		missing := filepath.Join(t.TempDir(), "dta")
		if existing {
			if err := os.Mkdir(missing, 0o750); err != nil {
				t.Fatal(err)
			}
		}
		for _, args := range [][]string{
			{"audit", "export", "--out", filepath.Join(t.TempDir(), "log.jsonl"), "--data-dir", missing, "--keys-dir", t.TempDir()},
			{"audit", "verify", "--live", "--data-dir", missing},
			{"audit", "checkpoint", "--data-dir", missing, "--public-key", "x"},
			{"replay", "--data-dir", missing},
			{"replay", "--verify", "--data-dir", missing},
			{"privacy", "erase", "--council", "50910113", "--national-id", "AB123456", "--data-dir", missing},
			{"territory", "import", census, "--data-dir", missing},
			{"token", "issue", "--role", "admin", "--data-dir", missing},
		} {
			code, out, errOut := runCLI(args...)
			if code != 1 || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "nothing was created") && !strings.Contains(errOut, "Nothing was created") {
				t.Errorf("tasharuk %s on a mistyped --data-dir: exit %d, stdout %q, stderr %q; want a refusal naming the folder", strings.Join(args[:2], " "), code, out, errOut)
			}
			if !existing {
				if _, err := os.Stat(missing); !os.IsNotExist(err) {
					t.Fatalf("tasharuk %s on a mistyped --data-dir created it: %v", strings.Join(args[:2], " "), err)
				}
			} else if n := fileNames(t, missing); len(n) != 0 {
				t.Fatalf("tasharuk %s on an empty folder wrote %q into it", strings.Join(args[:2], " "), n)
			}
		}
	}
	// Told to, territory import starts a log.
	dir := filepath.Join(t.TempDir(), "new")
	if code, out, errOut := runCLI("territory", "import", census, "--data-dir", dir, "--create"); code != 0 || !strings.Contains(out, "141 registered") {
		t.Fatalf("territory import --create: exit %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCLI("replay", "--data-dir", dir); code != 0 {
		t.Fatalf("replay on the log just made: %s", errOut)
	}
}

// The obvious way to save a checkpoint (curl | jq -r, which ends the note
// with a second newline) and tasharuk audit checkpoint both give a file
// audit verify --checkpoint @FILE accepts; a changed one is refused.
func TestCheckpointRoundTripCurlJQ(t *testing.T) {
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (scripts/test installs it): %v", tool, err)
		}
	}
	t.Setenv("TASHARUK_MASTER_KEY", "")
	data := t.TempDir()
	s := serveCLI(t, "--data-dir", data, "--demo", "--checkpoint-every", "1", "--checkpoint-interval", "100ms")
	waitCheckpoint(t, s)
	work := t.TempDir()
	curl := exec.Command("sh", "-c", fmt.Sprintf("curl -sf %s/v1/audit/checkpoints | jq -r '.checkpoints[-1].signedNote' > saved.txt", s.base))
	curl.Dir = work
	if out, err := curl.CombinedOutput(); err != nil {
		t.Fatalf("curl | jq: %v\n%s", err, out)
	}
	saved, _ := os.ReadFile(filepath.Join(work, "saved.txt"))
	if !strings.HasSuffix(string(saved), "\n\n") {
		t.Fatalf("curl | jq -r gave %q: the test needs its trailing newline", saved)
	}
	if code, _, errOut := runCLI("audit", "checkpoint", "--url", s.base, "--out", filepath.Join(work, "cli.txt")); code != 0 || !strings.Contains(errOut, "saved the signed checkpoint of") {
		t.Fatalf("audit checkpoint --url: exit %d: %s", code, errOut)
	}
	s.stop()
	if code, _, errOut := runCLI("audit", "checkpoint", "--data-dir", data, "--out", filepath.Join(work, "offline.txt")); code != 0 {
		t.Fatalf("audit checkpoint --data-dir: exit %d: %s", code, errOut)
	}
	export := filepath.Join(work, "log.jsonl")
	if code, _, errOut := runCLI("audit", "export", "--out", export, "--data-dir", data); code != 0 || !strings.Contains(errOut, "exported ") {
		t.Fatalf("audit export: exit %d: %s", code, errOut)
	}
	pub := "@" + filepath.Join(data, "keys", "checkpoint.pub")
	for _, f := range []string{"saved.txt", "cli.txt", "offline.txt"} {
		code, out, errOut := runCLI("audit", "verify", export, "--public-key", pub, "--checkpoint", "@"+filepath.Join(work, f))
		if code != 0 || !strings.Contains(out, "OK:") {
			t.Errorf("audit verify --checkpoint @%s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
	// Given inline as $(cat saved.txt) gives it: no final newline.
	code, out, errOut := runCLI("audit", "verify", export, "--public-key", pub, "--checkpoint", strings.TrimSpace(string(saved)))
	if code != 0 {
		t.Errorf("audit verify --checkpoint \"$(cat saved.txt)\": exit %d\n%s%s", code, out, errOut)
	}
	// The check still bites: a checkpoint of another tree is refused.
	forged := strings.Replace(string(saved), "\n", "\n ", 1)
	if err := os.WriteFile(filepath.Join(work, "forged.txt"), []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLI("audit", "verify", export, "--public-key", pub, "--checkpoint", "@"+filepath.Join(work, "forged.txt")); code == 0 {
		t.Error("audit verify accepted an altered checkpoint")
	}
}

// waitCheckpoint waits until the service has signed a checkpoint.
func waitCheckpoint(t *testing.T, s *servedCLI) {
	t.Helper()
	var list struct {
		Checkpoints []struct {
			TreeSize string `json:"treeSize"`
		} `json:"checkpoints"`
	}
	for deadline := time.Now().Add(30 * time.Second); len(list.Checkpoints) == 0; {
		resp, err := http.Get(s.base + "/v1/audit/checkpoints")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint signed:\n%s", s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

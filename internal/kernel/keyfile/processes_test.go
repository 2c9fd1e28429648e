package keyfile_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/privacy"
)

// The test binary re-run as a child process (as os/exec's own tests do):
// with childEnv set to a data folder it loads the three keys of that
// folder the way `tasharuk serve` does and prints their fingerprints.
const (
	childEnv      = "TASHARUK_KEYFILE_TEST_CHILD"
	childStartEnv = "TASHARUK_KEYFILE_TEST_START" // unix nanoseconds to start at
	logOrigin     = "tasharuk.test/keys"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if at, err := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64); err == nil {
			time.Sleep(time.Until(time.Unix(0, at)))
		}
		out, err := fingerprints(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(out)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fingerprints loads (or creates) the token-signing key, the master key
// and the checkpoint key of dataDir, as serve does, and returns one line
// naming a hash of each; no key itself.
func fingerprints(dataDir string) (string, error) {
	keysDir := filepath.Join(dataDir, "keys") // serve's default keys folder
	token, err := access.LoadOrCreateKey(keysDir)
	if err != nil {
		return "", err
	}
	keys, err := privacy.LoadKeys(keysDir)
	if err != nil {
		return "", err
	}
	_, vkey, err := audit.LoadOrCreateKey(keysDir, logOrigin)
	if err != nil {
		return "", err
	}
	// The master key is not exported; a keyed hash under it tells two
	// master keys apart.
	th, ch := sha256.Sum256(token), sha256.Sum256([]byte(vkey))
	return fmt.Sprintf("token=%x master=%s checkpoint=%x", th[:8], keys.SignerKey("50910113", "AB123456")[:16], ch[:8]), nil
}

// onDisk is the fingerprint of the key files left in dataDir, read back
// through the loaders (which now only load).
func onDisk(t *testing.T, dataDir string) string {
	t.Helper()
	fp, err := fingerprints(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "checkpoint.key checkpoint.pub master.key token-signing.key" {
		t.Errorf("keys folder holds %q; want the four key files and no temporary file", got)
	}
	return fp
}

// TestConcurrentFirstStartsGoroutines: many goroutines loading the three
// keys of one fresh folder, released together, all get the same keys.
// (Before keyfile, the losers of the checkpoint key's race failed with
// "file does not exist", a shadowed err, and each first master-key writer
// kept its own key.)
func TestConcurrentFirstStartsGoroutines(t *testing.T) {
	t.Setenv(privacy.MasterKeyEnv, "")
	for round := range 10 {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 32
		got := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				got[i], errs[i] = fingerprints(dir)
			})
		}
		close(start)
		wg.Wait()
		want := onDisk(t, dir)
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, loader %d: %v", round, i, errs[i])
			}
			if got[i] != want {
				t.Fatalf("round %d, loader %d: %s; the files hold %s", round, i, got[i], want)
			}
		}
	}
}

// TestConcurrentFirstStartsProcesses (acceptance 5 of issue 13): eight
// processes started together on one fresh keys folder all end with the
// same three keys, the ones on disk.
func TestConcurrentFirstStartsProcesses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 8
		// Start them all, then release them at one instant, so that they
		// race on the files rather than on process start-up.
		at := time.Now().Add(500 * time.Millisecond).UnixNano()
		cmds := make([]*exec.Cmd, n)
		outs := make([]*bytes.Buffer, n)
		for i := range n {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+dir, childStartEnv+"="+strconv.FormatInt(at, 10), privacy.MasterKeyEnv+"=")
			outs[i] = new(bytes.Buffer)
			cmd.Stdout = outs[i]
			cmd.Stderr = outs[i]
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds[i] = cmd
		}
		got := make([]string, n)
		for i, cmd := range cmds {
			err := cmd.Wait()
			got[i] = strings.TrimSpace(outs[i].String())
			if err != nil {
				t.Errorf("round %d, process %d: %v: %s", round, i, err, got[i])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Setenv(privacy.MasterKeyEnv, "")
		want := onDisk(t, dir)
		for i := range n {
			if got[i] != want {
				t.Fatalf("round %d, process %d: %s; the files hold %s", round, i, got[i], want)
			}
		}
		if round == 0 {
			t.Logf("%d processes: %s", n, want)
		}
	}
}

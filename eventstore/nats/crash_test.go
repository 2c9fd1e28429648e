package natsstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

// runCrashChild appends from 16 goroutines and prints one line per
// acknowledged append: "ACK <position> <stream> <id>,<id>...". It runs until
// the parent kills it.
func runCrashChild(dir string) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "READY")
	out.Flush()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				stream := fmt.Sprintf("crash.w%d.s%d", w, i%7)
				evs := make([]eventstore.Proposed, 1+i%3)
				ids := make([]string, len(evs))
				for j := range evs {
					evs[j] = storetest.Event("test.Crashed", fmt.Sprintf("w%d-i%d-j%d", w, i, j))
					ids[j] = evs[j].ID
				}
				res, err := s.Append(context.Background(), stream, eventstore.Any, evs)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					continue
				}
				mu.Lock()
				// Written straight through: the parent must see every line
				// printed before the kill.
				fmt.Fprintf(out, "ACK %d %s %s\n", res.Position, stream, strings.Join(ids, ","))
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestCrashSafety kills an appending process with SIGKILL and checks that
// every event it had acknowledged is in the data folder, with intact chains.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TASHARUK_CRASH_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		position uint64
		stream   string
		ids      []string
	}
	acks := make(chan ack, 1<<16)
	readDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 4 && f[0] == "ACK" {
				p, _ := strconv.ParseUint(f[1], 10, 64)
				acks <- ack{p, f[2], strings.Split(f[3], ",")}
			}
		}
		close(acks)
		readDone <- sc.Err()
	}()

	// Let it write for a while, then kill it mid-flight.
	var got []ack
	deadline := time.After(20 * time.Second)
collect:
	for len(got) < 1500 {
		select {
		case a, ok := <-acks:
			if !ok {
				t.Fatal("child exited before it was killed")
			}
			got = append(got, a)
		case <-deadline:
			break collect
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for a := range acks { // lines already in the pipe were acknowledged too
		got = append(got, a)
	}
	<-readDone
	if len(got) < 100 {
		t.Fatalf("only %d acknowledged appends before the kill", len(got))
	}

	s := openEmbedded(t, dir)
	ctx := context.Background()
	byID := map[string]eventstore.Event{}
	var v eventstore.ChainVerifier
	for from := uint64(1); ; {
		page, err := s.ReadAll(ctx, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			if err := v.Verify(&page[i]); err != nil {
				t.Fatalf("after the crash: %v", err)
			}
			byID[page[i].ID] = page[i]
		}
		from = page[len(page)-1].Position + 1
	}
	ackedEvents := 0
	for _, a := range got {
		for i, id := range a.ids {
			e, ok := byID[id]
			if !ok {
				t.Fatalf("acknowledged event %s of stream %s is missing after the crash", id, a.stream)
			}
			wantPos := a.position - uint64(len(a.ids)-1-i)
			if e.Stream != a.stream || e.Position != wantPos {
				t.Fatalf("event %s is at %s/%d, acknowledged at %s/%d", id, e.Stream, e.Position, a.stream, wantPos)
			}
			ackedEvents++
		}
	}
	t.Logf("killed the appender after %d acknowledged appends (%d events); %d events in the log, all chains verify",
		len(got), ackedEvents, len(byID))
	// The store accepts appends again after recovery.
	if _, err := s.Append(ctx, "crash.after", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.Recovered", "ok")}); err != nil {
		t.Fatal(err)
	}
}

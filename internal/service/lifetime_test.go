package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// journal records what happened, in order, from several goroutines.
type journal struct {
	mu  sync.Mutex
	got []string
}

func (j *journal) add(s string) { j.mu.Lock(); j.got = append(j.got, s); j.mu.Unlock() }
func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.got)
}

// waiter is a part that runs until its ctx ends, noting that it ran
// (started is closed) and when it stopped.
func waiter(j *journal, name string, started chan<- struct{}) Part {
	return Part{Name: name, Run: func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		j.add(name + " stopped")
		return nil
	}}
}

func TestRunStopsThePartsAfterTheServerLastFirst(t *testing.T) {
	j := &journal{}
	var ready []chan struct{}
	var parts []Part
	for _, name := range []string{"projections", "checkpointer", "feed"} {
		c := make(chan struct{})
		ready = append(ready, c)
		parts = append(parts, waiter(j, name, c))
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lifetime{Parts: parts,
		Start: func(ctx context.Context) error {
			// Start runs once every part runs (the demo data needs the follower).
			for i, c := range ready {
				select {
				case <-c:
				case <-time.After(5 * time.Second):
					t.Errorf("part %d not running when Start ran", i)
				}
			}
			j.add("started")
			return nil
		},
		Serve: func(ctx context.Context) error {
			j.add("serving")
			<-ctx.Done()
			j.add("server stopped")
			return ctx.Err()
		}}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if got := j.list(); !slices.Equal(got, []string{"started", "serving"}) {
		t.Fatalf("before ctx ends: %v, want [started serving]", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after ctx ended = %v, want nil (a clean stop)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	want := []string{"started", "serving", "server stopped", "feed stopped", "checkpointer stopped", "projections stopped"}
	if got := j.list(); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestRunReturnsTheServersFailureAndStopsTheParts(t *testing.T) {
	j := &journal{}
	started := make(chan struct{})
	boom := errors.New("listener closed")
	l := &Lifetime{Parts: []Part{waiter(j, "feed", started)},
		Serve: func(ctx context.Context) error { <-started; return boom }}
	if err := l.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the server's %v", err, boom)
	}
	if got := j.list(); !slices.Equal(got, []string{"feed stopped"}) {
		t.Fatalf("after the server failed: %v, want [feed stopped]", got)
	}
}

func TestRunReturnsStartsFailureWithoutServing(t *testing.T) {
	j := &journal{}
	started := make(chan struct{})
	boom := errors.New("demo data: refused")
	l := &Lifetime{Parts: []Part{waiter(j, "projections", started)},
		Start: func(context.Context) error { <-started; return boom },
		Serve: func(context.Context) error { j.add("serving"); return nil }}
	if err := l.Run(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want Start's %v", err, boom)
	}
	if got := j.list(); !slices.Equal(got, []string{"projections stopped"}) {
		t.Fatalf("after Start failed: %v, want [projections stopped] and no serving", got)
	}
}

func TestAPartsFailureIsLoggedAndTheServiceGoesOn(t *testing.T) {
	var logs bytes.Buffer
	failed := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	l := &Lifetime{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Parts: []Part{{Name: "projections", Run: func(context.Context) error {
			defer close(failed)
			return errors.New("event 7 does not verify")
		}}},
		Serve: func(ctx context.Context) error {
			<-failed
			close(served) // still serving after the part failed
			<-ctx.Done()
			return ctx.Err()
		}}
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	select {
	case <-served:
	case err := <-done:
		t.Fatalf("Run returned %v when a part failed; the server must go on", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server not serving after the part failed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "projections stopped") || !strings.Contains(logs.String(), "event 7 does not verify") {
		t.Fatalf("logs = %q, want the part's failure", logs.String())
	}
}

func TestCloseReleasesInReverseOrder(t *testing.T) {
	var got []string
	l := &Lifetime{}
	for _, name := range []string{"listener", "log", "key conn", "key store"} {
		l.OnClose(func() { got = append(got, name) })
	}
	l.Close()
	l.Close() // a second Close releases nothing twice
	if want := []string{"key store", "key conn", "log", "listener"}; !slices.Equal(got, want) {
		t.Fatalf("closed %v, want %v", got, want)
	}
}

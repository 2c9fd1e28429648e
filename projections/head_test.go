package projections

import (
	"context"
	"errors"
	"testing"
	"time"
)

// WaitFor refuses at once a position past the log's head, and still waits
// for one at or below it that the model has not applied yet.
func TestWaitForPositionAheadOfLog(t *testing.T) {
	m := New(nil)
	m.SetHead(func(context.Context) (uint64, error) { return 7, nil })

	start := time.Now()
	err := m.WaitFor(context.Background(), 8)
	var ahead *AheadOfLogError
	if !errors.As(err, &ahead) || !errors.Is(err, ErrAheadOfLog) || ahead.Head != 7 || ahead.Asked != 8 {
		t.Fatalf("WaitFor(8) with head 7: %v", err)
	}
	if err.Error() != "the log's head is 7; min_position 8 is ahead of it" {
		t.Errorf("message %q", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the refusal took %v", d)
	}

	// At the head, the model behind: a read-your-writes wait, cut here by
	// the context.
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := m.WaitFor(ctx, 7); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor(7) with head 7 and the model at 0: %v, want a wait until the deadline", err)
	}

	// A head that cannot be read leaves WaitFor waiting, as without one.
	m.SetHead(func(context.Context) (uint64, error) { return 0, errors.New("store down") })
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if err := m.WaitFor(ctx2, 100); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor with an unreadable head: %v", err)
	}
}

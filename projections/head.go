package projections

import (
	"context"
	"errors"
	"fmt"
)

// ErrAheadOfLog: a read asked for a log position that has not been
// written yet.
var ErrAheadOfLog = errors.New("projections: position is ahead of the log")

// AheadOfLogError is WaitFor's answer to a position past the log's head.
type AheadOfLogError struct {
	Head  uint64 // the log's last position when asked
	Asked uint64
}

func (e *AheadOfLogError) Error() string {
	return fmt.Sprintf("the log's head is %d; min_position %d is ahead of it", e.Head, e.Asked)
}

// Is makes an *AheadOfLogError match ErrAheadOfLog.
func (e *AheadOfLogError) Is(target error) bool { return target == ErrAheadOfLog }

// SetHead gives the runner the log's head (normally the store's
// LastPosition), so WaitFor answers a position the log has not reached at
// once instead of holding the request until its timeout. Without it,
// WaitFor only waits.
func (r *Runner) SetHead(head func(context.Context) (uint64, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.head = head
}

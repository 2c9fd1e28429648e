package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
)

// Progress of the long commands (territory import, audit export and
// verify, replay, privacy erase): on a terminal, a line rewritten every
// half second with the counts; in a pipe or a file, nothing (the summary
// line each command prints at the end is the record).

// progressEvery is how often the line is rewritten.
const progressEvery = 500 * time.Millisecond

// isTerminal says whether w is a terminal (a character device).
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress counts what a command has done and shows it.
type progress struct {
	label string
	unit  string
	total atomic.Int64 // 0: unknown
	n     atomic.Int64
	w     io.Writer
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	width int
}

// startProgress starts showing progress on w if w is a terminal; the
// counting works either way.
func startProgress(w io.Writer, label, unit string, total int64) *progress {
	p := &progress{label: label, unit: unit, w: w, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	p.total.Store(total)
	if !isTerminal(w) {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) add(n int64) { p.n.Add(n) }

func (p *progress) line() string {
	n, total := p.n.Load(), p.total.Load()
	el := time.Since(p.start).Truncate(100 * time.Millisecond)
	if total > 0 {
		return fmt.Sprintf("%s: %d of %d %s (%d%%), %s", p.label, n, total, p.unit, 100*n/total, el)
	}
	return fmt.Sprintf("%s: %d %s, %s", p.label, n, p.unit, el)
}

func (p *progress) draw() {
	s := p.line()
	pad := max(0, p.width-len(s))
	p.width = len(s)
	fmt.Fprint(p.w, "\r"+s+strings.Repeat(" ", pad))
}

// finish stops the line and clears it, leaving the terminal to the
// command's summary.
func (p *progress) finish() {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		if p.width > 0 {
			fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
		}
	})
}

// countingStore counts the events read through ReadAll (the long
// commands' whole-log reads) into p.
type countingStore struct {
	eventstore.Store
	p *progress
}

func (s countingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Event, error) {
	evs, err := s.Store.ReadAll(ctx, from, limit)
	s.p.add(int64(len(evs)))
	return evs, err
}

// countingReader counts the lines read through it (an export's events).
type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(int64(strings.Count(string(b[:n]), "\n")))
	return n, err
}

// readingLog starts the progress of a command that reads the whole log:
// its total is the log's head.
func readingLog(ctx context.Context, stderr io.Writer, label string, store eventstore.Store) (*progress, eventstore.Store) {
	var head int64
	if h, err := store.LastPosition(ctx); err == nil {
		head = int64(h)
	}
	p := startProgress(stderr, label, "events", head)
	return p, countingStore{Store: store, p: p}
}

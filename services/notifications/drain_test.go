package notifications_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/services/notifications"
)

// Acceptance 5: messages drained per second into Mailpit by the outbox
// (claim, render, SMTP, mark, record — per message), as a ratio to
// Mailpit's own accept rate measured in the same run with a plain SMTP
// client at the same concurrency (one connection per message, as the
// outbox does).
func TestDrainRateAgainstMailpitsAcceptRate(t *testing.T) {
	f := newFixture(t)
	const n, workers = 400, 8
	r, err := notifications.Render(notifications.Message{Kind: notifications.KindDeposited, Params: map[string]string{"title": "t"}}, "fr", notifications.MessageLinks{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				to := fmt.Sprintf("plain%d@example.ma", i)
				if err := f.smtp.up.SendRaw(context.Background(), to, notifications.Mail("x@commune.ma", to, fmt.Sprint(i), r, "", time.Now())); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	waitFor(t, "the plain messages", func() bool { return f.total() >= n })
	plain := float64(n) / time.Since(start).Seconds()

	for i := range n {
		subject := fmt.Sprintf("code-email-%d", i)
		f.dir.set(subject, notifications.Contact{Address: agentEmail(i), Channel: notifications.Email, Language: "fr"})
		stream, _ := f.petition(subject, fmt.Sprintf("Pétition %d", i))
		f.deposit(stream, fmt.Sprintf("R-%d", i))
	}
	o := f.outbox(f.store, nil, nil)
	o.Workers = workers
	start = time.Now()
	run(t, o)
	waitFor(t, "the outbox's messages", func() bool { return f.total() >= 2*n })
	drained := float64(n) / time.Since(start).Seconds()
	ratio := drained / plain
	t.Logf("bench: outbox drained %.0f msg/s into Mailpit; plain SMTP client %.0f msg/s; ratio %.2f (%d messages, %d workers)", drained, plain, ratio, n, workers)
	if f.total() != 2*n {
		t.Errorf("Mailpit holds %d, want %d", f.total(), 2*n)
	}
	if ratio < 0.1 {
		t.Errorf("the outbox drains at %.2f of Mailpit's accept rate: its per-message bookkeeping dominates", ratio)
	}
}

package audit

import (
	"fmt"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
)

// BenchmarkCheckpointerApply measures what the checkpointer does for each
// event before it can be signed over: the checks (position, hash, and the
// stream's chain) and the tree append. Compare with the code before the
// chain check to see its cost.
func BenchmarkCheckpointerApply(b *testing.B) {
	const n = 1 << 16
	heads := map[string]eventstore.Head{}
	evs := make([]eventstore.Event, n)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	payload := make([]byte, 300)
	for i := range evs {
		stream := fmt.Sprintf("signature.p%03d", i%500)
		p := eventstore.Proposed{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), Type: "petitions.SignatureAdded", SchemaVersion: 1,
			Payload: payload, Actor: eventstore.Actor{Subject: "citizen", Role: "citizen", Council: "50910113"}}
		e := eventstore.Seal(stream, heads[stream], []eventstore.Proposed{p}, at)[0]
		e.Position = uint64(i + 1)
		heads[stream] = eventstore.Head{Exists: true, Revision: e.Revision, Hash: e.Hash}
		evs[i] = e
	}
	b.ReportAllocs()
	b.ResetTimer()
	var c *Checkpointer
	for i := 0; i < b.N; i++ {
		j := i % n
		if j == 0 {
			b.StopTimer()
			c = &Checkpointer{LogName: "main", Every: 1 << 30}
			c.kick = make(chan struct{}, 1)
			b.StartTimer()
		}
		if err := c.apply(evs[j]); err != nil {
			b.Fatal(err)
		}
	}
}

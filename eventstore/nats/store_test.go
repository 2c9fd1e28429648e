package natsstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/eventstore/storetest"
)

func openEmbedded(t *testing.T, dir string) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return openEmbedded(t, t.TempDir())
	})
}

// An event id already recorded in another stream is refused, within the
// server's duplicate window, and the append writes nothing.
func TestEventIDReusedInAnotherStream(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	ctx := context.Background()
	ev := storetest.Event("test.Once", "x")
	if _, err := s.Append(ctx, "case.one", eventstore.NoStream, []eventstore.Proposed{ev}); err != nil {
		t.Fatal(err)
	}
	for _, evs := range [][]eventstore.Proposed{{ev}, {storetest.Event("test.Other", "y"), ev}} {
		_, err := s.Append(ctx, "case.two", eventstore.Any, evs)
		if !errors.Is(err, eventstore.ErrDuplicateEventID) {
			t.Fatalf("reusing an event id in another stream: %v, want ErrDuplicateEventID", err)
		}
	}
	if _, err := s.ReadStream(ctx, "case.two", 0, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("the refused appends wrote something: %v", err)
	}
	if st := s.Stats(); st.Appends.Load() != 3 || st.Events.Load() != 1 {
		t.Fatalf("stats: %d appends, %d events recorded", st.Appends.Load(), st.Events.Load())
	}
}

func TestReadAt(t *testing.T) {
	s := openEmbedded(t, t.TempDir())
	ctx := context.Background()
	res, err := s.Append(ctx, "case.at", eventstore.NoStream, []eventstore.Proposed{storetest.Event("test.A", "a"), storetest.Event("test.B", "b")})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.ReadAt(ctx, res.Position)
	if err != nil || e.ID != res.Events[1].ID || e.Position != res.Position {
		t.Fatalf("ReadAt(%d) = %v, %v", res.Position, e.ID, err)
	}
	if _, err := s.ReadAt(ctx, res.Position+5); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("ReadAt past the end: %v", err)
	}
}

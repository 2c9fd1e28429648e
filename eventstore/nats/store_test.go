package natsstore_test

import (
	"context"
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

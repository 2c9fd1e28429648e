package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
)

func sealed(t *testing.T) []eventstore.Event {
	t.Helper()
	at := time.Date(2026, 11, 29, 10, 0, 0, 123, time.UTC)
	evs := []eventstore.Proposed{
		{ID: "0193c4b2-0000-7000-8000-000000000001", Type: "petitions.PetitionDrafted", SchemaVersion: 1, Payload: []byte("p1"),
			OccurredAt: at.Add(-48 * time.Hour), Actor: eventstore.Actor{Subject: "u1", Role: "citizen", Council: "50910101"}},
		{ID: "0193c4b2-0000-7000-8000-000000000002", Type: "petitions.PetitionDeposited", SchemaVersion: 1, Payload: []byte("p2"),
			CorrelationID: "c", CausationID: "0193c4b2-0000-7000-8000-000000000001"},
	}
	return eventstore.Seal("petition.50910101.a", eventstore.Head{}, evs, at)
}

// The canonical layout is a published contract: this test rebuilds it by
// hand, so a change to CanonicalBytes breaks it.
func TestCanonicalBytesLayout(t *testing.T) {
	e := sealed(t)[0]
	var b []byte
	str := func(s []byte) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, "tasharuk.event.v1"...)
	str([]byte(e.ID))
	str([]byte(e.Stream))
	b = binary.BigEndian.AppendUint64(b, e.Revision)
	str([]byte(e.Type))
	b = binary.BigEndian.AppendUint64(b, uint64(e.SchemaVersion))
	str(e.Payload)
	b = binary.BigEndian.AppendUint64(b, uint64(e.OccurredAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.RecordedAt.UnixNano()))
	str([]byte(e.Actor.Subject))
	str([]byte(e.Actor.Role))
	str([]byte(e.Actor.Council))
	str([]byte(e.CorrelationID))
	str([]byte(e.CausationID))
	str(e.PrevHash)
	if !bytes.Equal(eventstore.CanonicalBytes(&e), b) {
		t.Fatalf("canonical bytes differ from the documented layout")
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(e.Hash) != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash is not SHA-256 of the canonical bytes")
	}
}

func TestSealChainsAndDefaults(t *testing.T) {
	evs := sealed(t)
	if evs[0].Revision != 0 || evs[1].Revision != 1 {
		t.Fatalf("revisions %d %d", evs[0].Revision, evs[1].Revision)
	}
	if len(evs[0].PrevHash) != 0 || !bytes.Equal(evs[1].PrevHash, evs[0].Hash) {
		t.Fatal("events do not chain")
	}
	if !evs[1].OccurredAt.Equal(evs[1].RecordedAt) {
		t.Fatal("zero occurred_at should take recorded_at")
	}
	next := eventstore.Seal("petition.50910101.a", eventstore.Head{Exists: true, Revision: 1, Hash: evs[1].Hash},
		[]eventstore.Proposed{{ID: "0193c4b2-0000-7000-8000-000000000003", Type: "x"}}, time.Now())
	if next[0].Revision != 2 || !bytes.Equal(next[0].PrevHash, evs[1].Hash) {
		t.Fatal("sealing after a head does not continue the chain")
	}
}

func TestChainVerifierDetectsTampering(t *testing.T) {
	base := func() []eventstore.Event {
		evs := sealed(t)
		evs[0].Position, evs[1].Position = 1, 2
		return evs
	}
	verify := func(evs []eventstore.Event) error {
		var v eventstore.ChainVerifier
		for i := range evs {
			if err := v.Verify(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := verify(base()); err != nil {
		t.Fatalf("untouched events: %v", err)
	}
	cases := map[string]func([]eventstore.Event) []eventstore.Event{
		"flipped payload byte": func(e []eventstore.Event) []eventstore.Event { e[0].Payload = []byte("q1"); return e },
		"changed actor":        func(e []eventstore.Event) []eventstore.Event { e[1].Actor.Role = "admin"; return e },
		"changed occurred_at": func(e []eventstore.Event) []eventstore.Event {
			e[0].OccurredAt = e[0].OccurredAt.Add(time.Hour)
			return e
		},
		"removed first event": func(e []eventstore.Event) []eventstore.Event { return e[1:] },
		"swapped events":      func(e []eventstore.Event) []eventstore.Event { e[0], e[1] = e[1], e[0]; return e },
		"recomputed hash only": func(e []eventstore.Event) []eventstore.Event {
			e[0].Payload = []byte("forged")
			e[0].Hash = eventstore.ComputeHash(&e[0])
			return e
		},
	}
	for name, tamper := range cases {
		err := verify(tamper(base()))
		if !errors.Is(err, eventstore.ErrChainBroken) {
			t.Errorf("%s: got %v, want ErrChainBroken", name, err)
		}
	}
}

func TestExpectedRevisionMatches(t *testing.T) {
	none := eventstore.Head{}
	at3 := eventstore.Head{Exists: true, Revision: 3}
	cases := []struct {
		exp  eventstore.ExpectedRevision
		head eventstore.Head
		want bool
	}{
		{eventstore.Any, none, true}, {eventstore.Any, at3, true},
		{eventstore.NoStream, none, true}, {eventstore.NoStream, at3, false},
		{eventstore.StreamExists, none, false}, {eventstore.StreamExists, at3, true},
		{eventstore.Exact(3), at3, true}, {eventstore.Exact(2), at3, false}, {eventstore.Exact(0), none, false},
	}
	for _, c := range cases {
		if got := c.exp.Matches(c.head); got != c.want {
			t.Errorf("%s matches %+v = %v, want %v", c.exp, c.head, got, c.want)
		}
	}
	var zero eventstore.ExpectedRevision
	if !zero.IsAny() {
		t.Error("the zero ExpectedRevision must be Any")
	}
}

func TestStoredRoundTrip(t *testing.T) {
	e := sealed(t)[1]
	b, err := eventstore.MarshalStored(&e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := eventstore.UnmarshalStored(b, 42)
	if err != nil {
		t.Fatal(err)
	}
	if got.Position != 42 || !bytes.Equal(eventstore.ComputeHash(&got), e.Hash) || got.ID != e.ID {
		t.Fatalf("round trip changed the event: %+v", got)
	}
	if _, err := eventstore.UnmarshalStored([]byte{0xff, 0xff}, 1); err == nil {
		t.Fatal("garbage decoded without error")
	}
}

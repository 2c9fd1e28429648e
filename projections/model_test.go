package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/events"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

var base = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

type writer struct {
	t   *testing.T
	s   eventstore.Store
	reg *events.Registry
}

func (w writer) append(stream string, exp eventstore.ExpectedRevision, at time.Time, msgs ...proto.Message) {
	w.t.Helper()
	var evs []eventstore.Proposed
	for _, m := range msgs {
		p, err := w.reg.Propose(m, events.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: at, Actor: eventstore.Actor{Subject: "clerk", Role: "staff"}})
		if err != nil {
			w.t.Fatal(err)
		}
		evs = append(evs, p)
	}
	if _, err := w.s.Append(context.Background(), stream, exp, evs); err != nil {
		w.t.Fatal(err)
	}
}

// fill writes councils, petitions in several states and signatures.
func fill(t *testing.T, w writer) []string {
	w.append("council.r1", eventstore.NoStream, base, &territoryv1.CouncilRegistered{Code: "r1", Level: territoryv1.CouncilLevel_COUNCIL_LEVEL_REGION, NameFr: "Région", Population: 2000000, CensusYear: 2024})
	w.append("council.p1", eventstore.NoStream, base, &territoryv1.CouncilRegistered{Code: "p1", Level: territoryv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE, NameFr: "Province", ParentCode: "r1", Population: 300000, CensusYear: 2024})
	for _, c := range []string{"100", "200"} {
		w.append("council."+c, eventstore.NoStream, base, &territoryv1.CouncilRegistered{Code: c, Level: territoryv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "C" + c, ParentCode: "p1", Population: 40000, CensusYear: 2024})
	}
	w.append("council.200", eventstore.Exact(0), base, &territoryv1.CouncilPopulationRecorded{Code: "200", Population: 41000, CensusYear: 2024})
	var ids []string
	for i := range 6 {
		id := uuid.Must(uuid.NewV7()).String()
		ids = append(ids, id)
		stream := "petition.100." + id
		w.append(stream, eventstore.NoStream, base, &petitionsv1.PetitionDrafted{PetitionId: id, Council: "communes/100", Kind: petitionsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprint("t", i), Agent: "a"},
			&petitionsv1.PetitionOpenedForSignatures{})
		for j := range 5 + i {
			key := fmt.Sprintf("%064x", i*1000+j)
			w.append("signature."+id+"."+key, eventstore.NoStream, base, &petitionsv1.SignatureAdded{Petition: "communes/100/petitions/" + id, SignerKey: key})
		}
		if i == 0 {
			w.append("signature."+id+"."+fmt.Sprintf("%064x", 0), eventstore.Exact(0), base, &petitionsv1.SignatureWithdrawn{})
		}
		if i >= 2 {
			received := base.AddDate(0, 0, i)
			w.append(stream, eventstore.Exact(1), received, &petitionsv1.PetitionDeposited{ReceiptNumber: fmt.Sprint("r", i), ReceivedAt: timestamppb.New(received), DecisionDeadline: timestamppb.New(received.AddDate(0, 3, 0))})
		}
		if i >= 4 {
			// Decided 10 (i=4) and 20 (i=5) days after receipt.
			decided := base.AddDate(0, 0, i+10*(i-3))
			d := petitionsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE
			if i == 5 {
				d = petitionsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE
			}
			w.append(stream, eventstore.Exact(2), decided, &petitionsv1.AdmissibilityDecided{Decision: d, Reasons: "reasons given in writing"},
				&petitionsv1.AgentNotified{Subject: petitionsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"})
		}
	}
	return ids
}

func TestRebuildSnapshotAndLiveAgree(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := events.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	ctx := context.Background()

	// A live follower runs while the log is written.
	live := projections.New(reg)
	f := &projections.Follower{Model: live, Store: s}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()

	ids := fill(t, writer{t, s, reg})
	head, _ := s.LastPosition(ctx)
	if err := live.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	full := projections.New(reg)
	if err := projections.Rebuild(ctx, s, full); err != nil {
		t.Fatal(err)
	}
	if full.Digest() != live.Digest() || full.Position() != head {
		t.Fatalf("rebuild from zero differs from the live model")
	}

	// Half, snapshot, restore into a new model, the rest.
	half := projections.New(reg)
	all, _ := s.ReadAll(ctx, 1, 10000)
	for _, e := range all[:len(all)/2] {
		if err := half.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := half.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	resumed := projections.New(reg)
	if err := resumed.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if resumed.Digest() != half.Digest() {
		t.Fatal("a restored snapshot differs from the model it was taken of")
	}
	for _, e := range all {
		if err := resumed.Apply(e); err != nil { // events at or below the snapshot are skipped
			t.Fatal(err)
		}
	}
	if resumed.Digest() != full.Digest() {
		t.Fatal("snapshot + rest differs from the rebuild from zero")
	}
	if half.Digest() == full.Digest() {
		t.Fatal("the digest does not see the second half")
	}

	// Figures, against an injected clock.
	p0, _ := full.Petition(ids[0])
	if p0.Valid != 4 || p0.Withdrawn != 1 {
		t.Fatalf("petition 0 signatures: %d valid, %d withdrawn", p0.Valid, p0.Withdrawn)
	}
	early := full.PetitionFigures("100", base.AddDate(0, 1, 0))
	late := full.PetitionFigures("100", base.AddDate(0, 5, 0))
	if early.Overdue != 0 || late.Overdue != 2 || late.DepositedTotal != 4 || late.Decided != 2 {
		t.Fatalf("figures: early overdue %d, late overdue %d, deposited %d, decided %d", early.Overdue, late.Overdue, late.DepositedTotal, late.Decided)
	}
	if late.MedianDays != 15 || late.AcceptanceRate != 0.5 {
		t.Fatalf("median days %v, acceptance %v; want 15 and 0.5", late.MedianDays, late.AcceptanceRate)
	}
	if late.ByState["COLLECTING"] != 2 || late.ByState["DEPOSITED"] != 2 || late.ByState["ADMISSIBLE"] != 1 || late.ByState["INADMISSIBLE"] != 1 {
		t.Fatalf("by state: %v", late.ByState)
	}
	parent, children, total, ok := full.Rollup("r1", base.AddDate(0, 5, 0))
	if !ok || len(children) != 3 || total.DepositedTotal != 4 || parent.Council.Code != "r1" {
		t.Fatalf("roll-up: %d children, %d deposited", len(children), total.DepositedTotal)
	}
	if c, _ := full.Council("200"); c.Population != 41000 {
		t.Fatalf("population update not applied: %d", c.Population)
	}
	if got := full.Councils("r1", territoryv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE); len(got) != 2 {
		t.Fatalf("communes under the region: %d", len(got))
	}
}

func TestWaitForTimesOutWithErrBehind(t *testing.T) {
	m := projections.New(events.NewRegistry(pdomain.EventTypes))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.WaitFor(ctx, 5); err == nil {
		t.Fatal("waiting for a position never reached returned nil")
	}
	if err := m.WaitFor(ctx, 0); err != nil {
		t.Fatal(err)
	}
}

package status_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

var base = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

type writer struct {
	t   *testing.T
	s   eventstore.Store
	reg *es.Registry
}

func (w writer) append(stream string, exp eventstore.ExpectedRevision, at time.Time, msgs ...proto.Message) {
	w.t.Helper()
	var evs []eventstore.Proposed
	for _, m := range msgs {
		p, err := w.reg.Propose(m, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: at, Actor: eventstore.Actor{Subject: "clerk", Role: "staff"}})
		if err != nil {
			w.t.Fatal(err)
		}
		evs = append(evs, p)
	}
	if _, err := w.s.Append(context.Background(), stream, exp, evs); err != nil {
		w.t.Fatal(err)
	}
}

// fill writes councils, petitions in several states and signatures, and
// returns the petitions' resource names.
func fill(t *testing.T, w writer) []string {
	w.append("council.r1", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "r1", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION, NameFr: "Région", Population: 2000000, CensusYear: 2024})
	w.append("council.p1", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "p1", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_PROVINCE, NameFr: "Province", ParentCode: "r1", Population: 300000, CensusYear: 2024})
	for _, c := range []string{"100", "200"} {
		w.append("council."+c, eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: c, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "C" + c, ParentCode: "p1", Population: 40000, CensusYear: 2024})
	}
	w.append("council.200", eventstore.Exact(0), base, &territoryeventsv1.CouncilPopulationRecorded{Code: "200", Population: 41000, CensusYear: 2024})
	var ids []string
	for i := range 6 {
		id := uuid.Must(uuid.NewV7()).String()
		ids = append(ids, "communes/100/petitions/"+id)
		stream := "petition.100." + id
		w.append(stream, eventstore.NoStream, base, &petitionseventsv1.PetitionDrafted{PetitionId: id, Council: "communes/100", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: fmt.Sprint("t", i), Agent: "a"},
			&petitionseventsv1.PetitionOpenedForSignatures{})
		for j := range 5 + i {
			key := fmt.Sprintf("%064x", i*1000+j)
			w.append("signature."+id+"."+key, eventstore.NoStream, base, &petitionseventsv1.SignatureAdded{Petition: "communes/100/petitions/" + id, SignerKey: key})
		}
		if i == 0 {
			w.append("signature."+id+"."+fmt.Sprintf("%064x", 0), eventstore.Exact(0), base, &petitionseventsv1.SignatureWithdrawn{})
		}
		if i >= 2 {
			received := base.AddDate(0, 0, i)
			w.append(stream, eventstore.Exact(1), received, &petitionseventsv1.PetitionDeposited{ReceiptNumber: fmt.Sprint("r", i), ReceivedAt: timestamppb.New(received), DecisionDeadline: timestamppb.New(received.AddDate(0, 3, 0))})
		}
		if i >= 4 {
			// Decided 10 (i=4) and 20 (i=5) days after receipt.
			decided := base.AddDate(0, 0, i+10*(i-3))
			d := petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE
			if i == 5 {
				d = petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE
			}
			w.append(stream, eventstore.Exact(2), decided, &petitionseventsv1.AdmissibilityDecided{Decision: d, Reasons: "reasons given in writing"},
				&petitionseventsv1.AgentNotified{Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "letter"})
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
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	ctx := context.Background()

	// A live follower runs while the log is written.
	live := status.NewReadModels(reg)
	f := &projections.Follower{Model: live.Runner, Store: s}
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

	full := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, full.Runner); err != nil {
		t.Fatal(err)
	}
	if full.Digest() != live.Digest() || full.Position() != head {
		t.Fatalf("rebuild from zero differs from the live model")
	}

	// Half, snapshot, restore into a new model, the rest.
	half := status.NewReadModels(reg)
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
	resumed := status.NewReadModels(reg)
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
	p0, _ := full.Petitions.Petition(ids[0])
	if p0.Valid != 4 || p0.Withdrawn != 1 {
		t.Fatalf("petition 0 signatures: %d valid, %d withdrawn", p0.Valid, p0.Withdrawn)
	}
	early := full.Petitions.PetitionFigures("100", base.AddDate(0, 1, 0))
	late := full.Petitions.PetitionFigures("100", base.AddDate(0, 5, 0))
	if early.Overdue != 0 || late.Overdue != 2 || late.DepositedTotal != 4 || late.Decided != 2 {
		t.Fatalf("figures: early overdue %d, late overdue %d, deposited %d, decided %d", early.Overdue, late.Overdue, late.DepositedTotal, late.Decided)
	}
	if late.MedianDays != 15 || late.AcceptanceRate != 0.5 {
		t.Fatalf("median days %v, acceptance %v; want 15 and 0.5", late.MedianDays, late.AcceptanceRate)
	}
	if late.ByState["COLLECTING"] != 2 || late.ByState["DEPOSITED"] != 2 || late.ByState["ADMISSIBLE"] != 1 || late.ByState["INADMISSIBLE"] != 1 {
		t.Fatalf("by state: %v", late.ByState)
	}
	parent, children, total, ok := full.PetitionRollup("r1", projections.AsOf{Now: base.AddDate(0, 5, 0)})
	if !ok || len(children) != 3 || total.DepositedTotal != 4 || parent.Council.Code != "r1" {
		t.Fatalf("roll-up: %d children, %d deposited", len(children), total.DepositedTotal)
	}
	if c, _ := full.Territory.Council("200"); c.Population != 41000 {
		t.Fatalf("population update not applied: %d", c.Population)
	}
	if got := full.Territory.Councils("r1", territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE); len(got) != 2 {
		t.Fatalf("communes under the region: %d", len(got))
	}
}

func TestWaitForTimesOutWithErrBehind(t *testing.T) {
	m := status.NewReadModels(es.NewRegistry(pdomain.EventTypes))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := m.WaitFor(ctx, 5); err == nil {
		t.Fatal("waiting for a position never reached returned nil")
	}
	if err := m.WaitFor(ctx, 0); err != nil {
		t.Fatal(err)
	}
}

func TestAsOfPositionTimeAndValidTime(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	w := writer{t, s, reg}
	ctx := context.Background()
	ids := fill(t, w)
	m := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, m.Runner); err != nil {
		t.Fatal(err)
	}
	// Petition 4 was decided (admissible) and notified; find the position
	// just before its decision.
	p4, _ := m.Petitions.Petition(ids[4])
	var decisionPos uint64
	for _, e := range p4.Timeline {
		if e.Type == "petitions.AdmissibilityDecided" {
			decisionPos = e.Position
		}
	}
	before := projections.AsOf{Position: decisionPos - 1, Now: base.AddDate(0, 5, 0)}
	past, ok := m.Petitions.PetitionAt(ids[4], before)
	if !ok || past.State.Decided() || !past.State.Overdue(before.Now) {
		t.Fatalf("before its decision the case must be undecided and, five months on, overdue: decided=%v", past.State.Decided())
	}
	now := projections.AsOf{Now: base.AddDate(0, 5, 0)}
	if cur, _ := m.Petitions.PetitionAt(ids[4], now); !cur.State.Decided() || cur.State.Overdue(now.Now) {
		t.Fatal("today the case is decided and not overdue")
	}
	figBefore := m.Petitions.PetitionFiguresAt("100", before)
	figNow := m.Petitions.PetitionFiguresAt("100", now)
	// Before petition 4's decision, petitions 2, 3 and 4 were deposited
	// (5 comes later in the log), none decided, all three overdue by then.
	if figBefore.Decided != 0 || figBefore.DepositedTotal != 3 || figBefore.Overdue != 3 || figNow.Decided != 2 || figNow.Overdue != 2 {
		t.Fatalf("as-of figures: before %d decided %d overdue; now %d decided %d overdue", figBefore.Decided, figBefore.Overdue, figNow.Decided, figNow.Overdue)
	}
	// Valid time: what was true in the world on a day, from occurred_at.
	// Petition 3 was received on base+3 days: on base+2 it was not deposited.
	vt := projections.AsOf{ValidTime: base.AddDate(0, 0, 2), Now: base.AddDate(0, 0, 2)}
	p3, _ := m.Petitions.PetitionAt(ids[3], vt)
	if !p3.State.ReceivedAt.IsZero() {
		t.Fatal("on a day before its receipt the petition was not deposited")
	}
	if p3now, _ := m.Petitions.PetitionAt(ids[3], now); p3now.State.ReceivedAt.IsZero() {
		t.Fatal("today it is deposited")
	}
	// Signatures as of a position.
	p0, _ := m.Petitions.Petition(ids[0])
	first := p0.Signatures[0].Position
	if early, _ := m.Petitions.PetitionAt(ids[0], projections.AsOf{Position: first, Now: base}); early.Valid != 1 {
		t.Fatalf("one signature at its own position, got %d", early.Valid)
	}
	// Recorded time to position.
	head := m.Position()
	if m.PositionAt(time.Now().Add(time.Hour)) != head || m.PositionAt(time.Unix(0, 0)) != 0 {
		t.Fatal("PositionAt does not bracket the log")
	}
	// The roll-up as of a position agrees with the council's own figures.
	_, _, total, ok := m.PetitionRollup("r1", before)
	if !ok || total.Decided != figBefore.Decided {
		t.Fatalf("roll-up as of: %d decided, want %d", total.Decided, figBefore.Decided)
	}
}

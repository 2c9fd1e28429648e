package status_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
	petitionsrm "github.com/tasharuk/tasharuk/services/petitions/readmodel"
	"github.com/tasharuk/tasharuk/services/status"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Two councils' petitions with the same id are two cases: the read model
// keys them (and their signature books, timelines, lists and figures) by
// the whole resource name. The log is the one the id hijack of issue 13
// left: the victim drafted and signed in council 200, then a draft with
// the victim's id in council 100.
func TestSameIDInTwoCouncilsAreTwoPetitions(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	w := writer{t, s, reg}
	for _, c := range []string{"100", "200"} {
		w.append("council."+c, eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: c, Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "C" + c, Population: 20000, CensusYear: 2024})
	}
	id := uuid.Must(uuid.NewV7()).String()
	victim, attacker := "communes/200/petitions/"+id, "communes/100/petitions/"+id
	// Keys that differ in their first 12 characters (a reference's length).
	key := func(i int) string { return strings.Repeat(fmt.Sprintf("%02x", i), 32) }

	// The victim: drafted, opened, three signatures, one struck.
	w.append("petition.200."+id, eventstore.NoStream, base, &petitionseventsv1.PetitionDrafted{PetitionId: id, Council: "communes/200", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "victim", Agent: "v"},
		&petitionseventsv1.PetitionOpenedForSignatures{})
	for i := 1; i <= 3; i++ {
		w.append("signature."+id+"."+key(i), eventstore.NoStream, base, &petitionseventsv1.SignatureAdded{Petition: victim, SignerKey: key(i)})
	}
	// The attacker's draft with the same id in another council, and one
	// signature of its own.
	w.append("petition.100."+id, eventstore.NoStream, base, &petitionseventsv1.PetitionDrafted{PetitionId: id, Council: "communes/100", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "attacker", Agent: "a"},
		&petitionseventsv1.PetitionOpenedForSignatures{})
	w.append("signature."+id+"."+key(9), eventstore.NoStream, base, &petitionseventsv1.SignatureAdded{Petition: attacker, SignerKey: key(9)})
	// A strike on the victim's signature 1 (its stream names the id only).
	w.append("signature."+id+"."+key(1), eventstore.Exact(0), base, &petitionseventsv1.SignatureStruck{Reason: "not on the roll"})
	// Events that do not fit their stream are not attributed: a signature
	// naming another id than its stream's, a draft naming another council
	// than its stream's.
	other := uuid.Must(uuid.NewV7()).String()
	w.append("signature."+id+"."+key(7), eventstore.NoStream, base, &petitionseventsv1.SignatureAdded{Petition: "communes/200/petitions/" + other, SignerKey: key(7)})
	w.append("petition.100."+other, eventstore.NoStream, base, &petitionseventsv1.PetitionDrafted{PetitionId: other, Council: "communes/200", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "misfiled", Agent: "a"})

	m := status.NewReadModels(reg)
	if err := projections.Rebuild(context.Background(), s, m.Runner); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, m *status.ReadModels) {
		t.Helper()
		v, ok := m.Petitions.Petition(victim)
		if !ok || v.State.Title != "victim" || v.State.Council != "communes/200" || v.Valid != 2 || v.Struck != 1 || v.State.Status != petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING {
			t.Fatalf("victim: ok=%v %q %s valid %d struck %d", ok, v.State.Title, v.State.Council, v.Valid, v.Struck)
		}
		a, ok := m.Petitions.Petition(attacker)
		if !ok || a.State.Title != "attacker" || a.Valid != 1 || a.Struck != 0 {
			t.Fatalf("attacker's draft: ok=%v %q valid %d struck %d", ok, a.State.Title, a.Valid, a.Struck)
		}
		if len(v.Timeline) != 2 || len(a.Timeline) != 2 {
			t.Fatalf("timelines: victim %d entries, attacker %d; want 2 and 2", len(v.Timeline), len(a.Timeline))
		}
		if _, ok := m.Petitions.Petition(id); ok {
			t.Fatal("a petition is found by its bare id")
		}
		if _, ok := m.Petitions.Petition("communes/200/petitions/" + other); ok {
			t.Fatal("a draft filed on another council's stream was attributed")
		}
		if _, ok := m.Petitions.Petition("communes/100/petitions/" + other); ok {
			t.Fatal("a draft naming another council was attributed to its stream's council")
		}
		for _, c := range []struct {
			code, title string
		}{{"200", "victim"}, {"100", "attacker"}} {
			list := m.Petitions.Petitions(c.code, petitionsrm.PetitionFilter{})
			if len(list) != 1 || list[0].State.Title != c.title {
				t.Fatalf("council %s lists %d petitions (%v), want only %q", c.code, len(list), list, c.title)
			}
		}
		sigs, total := m.Petitions.Signatures(attacker, 0, 100)
		if total != 1 || sigs[0].SignerKey != key(9) {
			t.Fatalf("the attacker's book: %d signatures %v, want only its own", total, sigs)
		}
		if _, total := m.Petitions.Signatures(victim, 0, 100); total != 3 {
			t.Fatalf("the victim's book has %d signatures, want 3", total)
		}
		if _, _, found := m.Petitions.FindSignature(attacker, key(2)[:12]); found {
			t.Fatal("the victim's signature is found under the attacker's name")
		}
		if st := m.Petitions.SignatureStatus(attacker, key(2)); st != petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED {
			t.Fatalf("the victim's signer reads %v on the attacker's petition", st)
		}
		if st := m.Petitions.SignatureStatus(victim, key(1)); st != petitionsv1.SignatureStatus_SIGNATURE_STATUS_STRUCK {
			t.Fatalf("the struck signature reads %v", st)
		}
		if st := m.Petitions.SignatureStatus(victim, key(7)); st != petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED {
			t.Fatalf("a signature naming another id was counted: %v", st)
		}
		if names := m.Petitions.PetitionsWithID(id); len(names) != 2 {
			t.Fatalf("PetitionsWithID: %v, want both councils", names)
		}
		if f := m.Petitions.PetitionFigures("200", base); f.ValidSignatures != 2 || f.ByState["COLLECTING"] != 1 {
			t.Fatalf("the victim's council figures: %+v", f)
		}
		if h, ok := m.History.CaseHistory(victim); !ok || len(h) != 2 {
			t.Fatalf("victim's history: ok=%v %d entries", ok, len(h))
		}
		if past, ok := m.Petitions.PetitionAt(victim, projections.AsOf{Position: m.Position(), Now: base}); !ok || past.State.Title != "victim" || past.Valid != 2 {
			t.Fatalf("victim as of the head: ok=%v %q valid %d", ok, past.State.Title, past.Valid)
		}
	}
	check(t, m)

	// The same answers after a snapshot round trip.
	var buf bytes.Buffer
	if err := m.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	resumed := status.NewReadModels(reg)
	if err := resumed.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if resumed.Digest() != m.Digest() {
		t.Fatal("the snapshot differs from the model it was taken of")
	}
	check(t, resumed)
}

// A draft never opened for signatures (even one withdrawn since) is not
// counted in the public figures; once opened it is.
func TestFiguresDoNotCountNeverOpenedDrafts(t *testing.T) {
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := es.NewRegistry(tdomain.EventTypes, pdomain.EventTypes)
	w := writer{t, s, reg}
	w.append("council.100", eventstore.NoStream, base, &territoryeventsv1.CouncilRegistered{Code: "100", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFr: "C100", Population: 20000, CensusYear: 2024})
	draft := func(title string) string {
		id := uuid.Must(uuid.NewV7()).String()
		w.append("petition.100."+id, eventstore.NoStream, base, &petitionseventsv1.PetitionDrafted{PetitionId: id, Council: "communes/100", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: title, Agent: "a"})
		return id
	}
	draft("kept")
	withdrawn := draft("withdrawn")
	w.append("petition.100."+withdrawn, eventstore.Exact(0), base, &petitionseventsv1.PetitionWithdrawn{Reason: "changed my mind"})
	opened := draft("opened")
	w.append("petition.100."+opened, eventstore.Exact(0), base, &petitionseventsv1.PetitionOpenedForSignatures{}, &petitionseventsv1.PetitionWithdrawn{})
	m := status.NewReadModels(reg)
	if err := projections.Rebuild(context.Background(), s, m.Runner); err != nil {
		t.Fatal(err)
	}
	f := m.Petitions.PetitionFigures("100", base)
	if f.ByState["WITHDRAWN"] != 1 || f.ByState["DRAFT"] != 0 || len(f.ByState) != 1 {
		t.Fatalf("figures by state %v, want only the opened then withdrawn petition", f.ByState)
	}
	p, _ := m.Petitions.Petition("communes/100/petitions/" + withdrawn)
	if p.State.Public() {
		t.Fatal("a draft withdrawn before it was opened reads as public")
	}
}

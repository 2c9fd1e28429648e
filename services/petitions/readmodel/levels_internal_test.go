package readmodel

import (
	"bytes"
	"encoding/gob"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

const (
	pid     = "0193c4b2-0000-7000-8000-0000000000a1"
	council = "communes/50910113"
)

// The valid signatures are counted by level of assurance, old ones read
// as pdomain.AssuranceOf says, an ended signature leaves its level, as-of
// folds give the same split, and a snapshot round-trips it.
func TestCountsByLevelOfAssurance(t *testing.T) {
	reg := es.NewRegistry(pdomain.EventTypes)
	m := New(reg)
	pos := uint64(0)
	apply := func(stream string, p proto.Message) {
		t.Helper()
		pos++
		typ, version, payload, err := reg.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		e := &eventstore.Event{Stream: stream, Position: pos, Type: typ, SchemaVersion: version, Payload: payload,
			OccurredAt: time.Unix(int64(pos), 0), RecordedAt: time.Unix(int64(pos), 0)}
		if err := m.Apply(e, p); err != nil {
			t.Fatal(err)
		}
	}
	apply(pdomain.PetitionStream("50910113", pid), &petitionseventsv1.PetitionDrafted{PetitionId: pid, Council: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Agent: "a"})
	apply(pdomain.PetitionStream("50910113", pid), &petitionseventsv1.PetitionOpenedForSignatures{})
	name := council + "/petitions/" + pid
	key := func(c byte) string { return strings.Repeat(string([]byte{'0' + c%10}), 64) }
	sign := func(i byte, ch petitionseventsv1.SignatureChannel, level petitionseventsv1.SignatureAssurance) {
		apply(pdomain.SignatureStream(pid, key(i)), &petitionseventsv1.SignatureAdded{Petition: name, SignerKey: key(i), Channel: ch, Assurance: level})
	}
	paper, online := petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE
	none := petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_UNSPECIFIED
	sign(1, paper, none)  // before levels: paper
	sign(2, online, none) // before levels: code-verified
	sign(3, online, petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID)
	sign(4, online, petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED)
	mid := pos
	apply(pdomain.SignatureStream(pid, key(4)), &petitionseventsv1.SignatureWithdrawn{})
	want := map[petitionseventsv1.SignatureAssurance]int32{
		petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF: 1,
		petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED:          1,
		petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID:   1,
	}
	check := func(what string, p Petition, valid int32, want map[petitionseventsv1.SignatureAssurance]int32) {
		t.Helper()
		if p.Valid != valid || len(p.ByAssurance) != len(want) {
			t.Fatalf("%s: valid %d by level %v, want %d %v", what, p.Valid, p.ByAssurance, valid, want)
		}
		for k, v := range want {
			if p.ByAssurance[k] != v {
				t.Fatalf("%s: by level %v, want %v", what, p.ByAssurance, want)
			}
		}
	}
	p, _ := m.Petition(name)
	check("now", p, 3, want)
	at, _ := m.PetitionAt(name, AsOf{Position: mid})
	wantMid := map[petitionseventsv1.SignatureAssurance]int32{}
	for k, v := range want {
		wantMid[k] = v
	}
	wantMid[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED] = 2
	check("as of before the withdrawal", at, 4, wantMid)

	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := New(es.NewRegistry(pdomain.EventTypes))
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	p, _ = r.Petition(name)
	check("restored", p, 3, want)

	// A snapshot from before the counts by level is refused (the runner
	// then rebuilds from the log) rather than resumed with counts missing.
	// Sections before issue 17 were one gob of snapshot.
	old := snapshot{Petitions: map[string]*Petition{}, Levels: false}
	for k, v := range r.petitions {
		old.Petitions[k] = v
	}
	var oldSection bytes.Buffer
	if err := gob.NewEncoder(&oldSection).Encode(&old); err != nil {
		t.Fatal(err)
	}
	if err := New(es.NewRegistry(pdomain.EventTypes)).Restore(oldSection.Bytes()); err == nil {
		t.Fatal("a snapshot without counts by level was resumed")
	}
}

package readmodel

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// snapshotModel is a model of two councils' petitions with signatures in
// several provinces and levels, some ended, and an erased signer.
func snapshotModel(t *testing.T) *Petitions {
	t.Helper()
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
		at := time.Unix(1700000000+int64(pos)*37, int64(pos))
		if len(payload) == 0 {
			payload = nil // as the log gives it back (gob, in every format, keeps no empty slice)
		}
		e := &eventstore.Event{Stream: stream, Position: pos, Type: typ, SchemaVersion: version, Payload: payload, OccurredAt: at, RecordedAt: at,
			Hash: []byte(fmt.Sprint("hash ", pos)), ID: fmt.Sprint("event-", pos)}
		if err := m.Apply(e, p); err != nil {
			t.Fatal(err)
		}
	}
	for c, code := range []string{"50910113", "50910101"} {
		for i := range 3 {
			id := fmt.Sprintf("0193c4b2-0000-7000-8000-0000000%05d", c*10+i)
			council := "communes/" + code
			apply(pdomain.PetitionStream(code, id), &petitionseventsv1.PetitionDrafted{PetitionId: id, Council: council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Agent: "a"})
			apply(pdomain.PetitionStream(code, id), &petitionseventsv1.PetitionOpenedForSignatures{})
			name := council + "/petitions/" + id
			for j := range 40 {
				key := fmt.Sprintf("%02x%062x", c*10+i, j)
				apply(pdomain.SignatureStream(id, key), &petitionseventsv1.SignatureAdded{Petition: name, SignerKey: key,
					Province: []string{"", "BML", "KHN"}[j%3], Assurance: petitionseventsv1.SignatureAssurance(j % 4),
					Channel: petitionseventsv1.SignatureChannel(1 + j%2)})
				switch j % 7 {
				case 3:
					apply(pdomain.SignatureStream(id, key), &petitionseventsv1.SignatureWithdrawn{})
				case 5:
					apply(pdomain.SignatureStream(id, key), &petitionseventsv1.SignatureStruck{})
				}
			}
		}
	}
	apply(pdomain.PrivacyStream("50910113"), &petitionseventsv1.PersonDataErased{SignerKey: fmt.Sprintf("%02x%062x", 0, 3)})
	return m
}

// digest is the model's Digest and DigestTail, hashed.
func digest(m *Petitions) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	write := func(v any) { _ = enc.Encode(v) }
	m.Digest(write)
	m.DigestTail(write)
	// What the digest leaves out (levels, the order of the books, the
	// signature changes' levels) is compared as well.
	for _, name := range sortedKeys(m.petitions) {
		p := m.petitions[name]
		write([]any{name, p.ByAssurance, p.Signatures, len(p.Signatures)})
		if b := m.books[name]; b != nil {
			for _, k := range b.order {
				write([]any{hex.EncodeToString(k[:]), b.sigs[k].assurance, b.sigs[k].position})
			}
		}
	}
	write(len(m.erased))
	return hex.EncodeToString(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// oldSection encodes the model as sections were written before issue 17
// (one gob of snapshot), as a snapshot file on disk still holds it.
func oldSection(t *testing.T, m *Petitions) []byte {
	t.Helper()
	s := snapshot{Petitions: m.petitions, Order: map[string][]string{}, Books: map[string]map[[32]byte]snapSig{}, Levels: true}
	for k := range m.erased {
		s.Erased = append(s.Erased, k)
	}
	for code, list := range m.byCouncil {
		for _, p := range list {
			s.Order[code] = append(s.Order[code], PetitionName(p.State.Council, p.State.ID))
		}
	}
	for pid, b := range m.books {
		sb := map[[32]byte]snapSig{}
		for k, v := range b.sigs {
			sb[k] = snapSig{Status: v.status, Assurance: int32(v.assurance), Province: v.province, Position: v.position}
		}
		s.Books[pid] = sb
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A section round-trips the whole model, books in their order and the
// signature changes included; a section of the format before issue 17
// restores the same model; a section cut short or with its binary part
// damaged is refused (the runner then rebuilds from the log), never
// half-taken.
func TestSnapshotSectionRoundTrips(t *testing.T) {
	m := snapshotModel(t)
	want := digest(m)
	reg := es.NewRegistry(pdomain.EventTypes)

	section, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(section, []byte(sectionMagic)) {
		t.Fatalf("the section does not start with its format's mark: %q", section[:min(24, len(section))])
	}
	back := New(reg)
	if err := back.Restore(section); err != nil {
		t.Fatal(err)
	}
	if got := digest(back); got != want {
		t.Fatalf("restored digest %s, want %s", got, want)
	}
	// The restored model goes on as the original would: a new signature
	// and a withdrawal of a restored one.
	for _, mm := range []*Petitions{m, back} {
		name := "communes/50910113/petitions/0193c4b2-0000-7000-8000-000000000001"
		id := "0193c4b2-0000-7000-8000-000000000001"
		key := fmt.Sprintf("%02x%062x", 1, 99)
		for i, p := range []proto.Message{&petitionseventsv1.SignatureAdded{Petition: name, SignerKey: key, Province: "BML"}, &petitionseventsv1.SignatureWithdrawn{}} {
			k := key
			if i == 1 {
				k = fmt.Sprintf("%02x%062x", 1, 1)
			}
			typ, version, payload, _ := reg.Encode(p)
			e := &eventstore.Event{Stream: pdomain.SignatureStream(id, k), Position: uint64(10000 + i), Type: typ, SchemaVersion: version, Payload: payload, OccurredAt: time.Unix(1800000000, 0)}
			if err := mm.Apply(e, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if digest(back) != digest(m) {
		t.Fatal("the restored model and the original disagree after the same events")
	}

	old := New(reg)
	if err := old.Restore(oldSection(t, snapshotModel(t))); err != nil {
		t.Fatal(err)
	}
	if got := digest(old); got != want {
		t.Fatalf("digest restored from a section of the format before issue 17 %s, want %s", got, want)
	}

	for cut := len(sectionMagic); cut < len(section); cut += 1 + cut/8 {
		if err := New(reg).Restore(section[:cut]); err == nil {
			t.Fatalf("a section cut at %d of %d bytes was taken", cut, len(section))
		}
	}
	if err := New(reg).Restore(append(section[:len(section):len(section)], 0)); err == nil {
		t.Fatal("a section with a byte past its end was taken")
	}
}

package readmodel

import (
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"sort"
	"strings"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
)

// snapshot is the model's section of the snapshot file.
type snapshot struct {
	Petitions map[string]*Petition            // by resource name
	Order     map[string][]string             // council code → petition resource names in drafting order
	Books     map[string]map[[32]byte]snapSig // by petition resource name
	Erased    [][32]byte
	// Levels: the petitions count their signatures by level of assurance
	// (issue 16). A snapshot written before has no such counts: it is
	// refused, and the runner rebuilds from the log.
	Levels bool
}

type snapSig struct {
	Status    uint8
	Assurance int32
	Province  string
	Position  uint64
}

// Snapshot encodes the model.
func (m *Petitions) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
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
		sb := make(map[[32]byte]snapSig, len(b.sigs))
		for k, v := range b.sigs {
			sb[k] = snapSig{Status: v.status, Assurance: int32(v.assurance), Province: v.province, Position: v.position}
		}
		s.Books[pid] = sb
	}
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&s)
	return buf.Bytes(), err
}

// Restore replaces the model with an encoded one.
func (m *Petitions) Restore(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	if !s.Levels && (len(s.Petitions) > 0 || len(s.Books) > 0) {
		return errors.New("petitions read model: the snapshot predates the counts by level of assurance")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.petitions = s.Petitions
	if m.petitions == nil {
		m.petitions = map[string]*Petition{}
	}
	m.provinces = map[string]string{}
	m.streams = make(map[string]*Petition, len(m.petitions))
	m.byID = map[string][]string{}
	m.byCouncil = map[string][]*Petition{}
	for code, names := range s.Order {
		for _, name := range names {
			p := m.petitions[name]
			if p == nil {
				continue
			}
			if p.ByProvince == nil {
				p.ByProvince = map[string]int32{}
			}
			m.byCouncil[code] = append(m.byCouncil[code], p)
			m.streams[code+"."+p.State.ID] = p
			m.indexID(p.State.ID, name)
		}
	}
	m.erased = make(map[[32]byte]struct{}, len(s.Erased))
	for _, k := range s.Erased {
		m.erased[k] = struct{}{}
	}
	m.books = map[string]*signatureBook{}
	bookNames := make([]string, 0, len(s.Books))
	for name := range s.Books {
		bookNames = append(bookNames, name)
	}
	sort.Strings(bookNames)
	for _, name := range bookNames {
		sb := s.Books[name]
		b := &signatureBook{sigs: make(map[[32]byte]signature, len(sb))}
		for k, v := range sb {
			b.sigs[k] = signature{status: v.Status, assurance: petitionseventsv1.SignatureAssurance(v.Assurance), province: m.intern(v.Province), position: v.Position}
			b.order = append(b.order, k)
		}
		sort.Slice(b.order, func(i, j int) bool { return b.sigs[b.order[i]].position < b.sigs[b.order[j]].position })
		m.books[name] = b
		if i := strings.LastIndex(name, "/"); i >= 0 {
			m.indexID(name[i+1:], name)
		}
	}
	return nil
}

// Digest writes the petitions with their signature books, by resource
// name.
func (m *Petitions) Digest(write func(any)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.petitions))
	for name := range m.petitions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		write(name)
		write(m.petitions[name])
		if b := m.books[name]; b != nil {
			keys := make([][32]byte, 0, len(b.sigs))
			for k := range b.sigs {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return string(keys[i][:]) < string(keys[j][:]) })
			for _, k := range keys {
				s := b.sigs[k]
				write([]any{hex.EncodeToString(k[:]), s.status, s.province})
			}
		}
	}
}

// DigestTail writes each council's drafting order, after every model's
// Digest (projections.TailDigester).
func (m *Petitions) DigestTail(write func(any)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	orderCodes := make([]string, 0, len(m.byCouncil))
	for c := range m.byCouncil {
		orderCodes = append(orderCodes, c)
	}
	sort.Strings(orderCodes)
	for _, c := range orderCodes {
		var l []string
		for _, p := range m.byCouncil[c] {
			l = append(l, PetitionName(p.State.Council, p.State.ID))
		}
		write([]any{c, l})
	}
}

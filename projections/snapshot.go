package projections

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// snapshot is the serialised model.
type snapshot struct {
	Version   int
	Position  uint64
	Councils  []tdomain.Council
	Children  map[string][]string
	Petitions map[string]*Petition            // by resource name
	Order     map[string][]string             // council code → petition resource names in drafting order
	Books     map[string]map[[32]byte]snapSig // by petition resource name
	Unknown   int
	Recorded  []timeAt
	Mech      mechanisms
	Erased    [][32]byte
}

type snapSig struct {
	Status   uint8
	Province string
	Position uint64
}

// snapshotVersion 5: petitions and signature books keyed by resource
// name (version 4 keyed them by id; such a snapshot is refused and the
// model rebuilt from the log).
const snapshotVersion = 5

// WriteSnapshot writes the model and its position.
func (m *Model) WriteSnapshot(w io.Writer) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := snapshot{Version: snapshotVersion, Position: m.position, Children: m.children, Petitions: m.petitions,
		Order: map[string][]string{}, Books: map[string]map[[32]byte]snapSig{}, Unknown: m.unknown, Recorded: m.recorded, Mech: m.mech}
	for _, c := range m.councils {
		s.Councils = append(s.Councils, *c)
	}
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
			sb[k] = snapSig{Status: v.status, Province: v.province, Position: v.position}
		}
		s.Books[pid] = sb
	}
	bw := bufio.NewWriter(w)
	if err := gob.NewEncoder(bw).Encode(&s); err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	return bw.Flush()
}

// ReadSnapshot replaces the model's content with a snapshot's.
func (m *Model) ReadSnapshot(r io.Reader) error {
	var s snapshot
	if err := gob.NewDecoder(bufio.NewReader(r)).Decode(&s); err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("projections: snapshot version %d, this build reads %d", s.Version, snapshotVersion)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.position, m.unknown, m.recorded = s.Position, s.Unknown, s.Recorded
	m.mech = s.Mech
	if m.mech.Bodies == nil {
		m.mech = newMechanisms()
	}
	m.councils = map[string]*tdomain.Council{}
	for i := range s.Councils {
		c := s.Councils[i]
		m.councils[c.Code] = &c
	}
	m.children = s.Children
	if m.children == nil {
		m.children = map[string][]string{}
	}
	m.petitions = s.Petitions
	if m.petitions == nil {
		m.petitions = map[string]*Petition{}
	}
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
			b.sigs[k] = signature{status: v.Status, province: m.intern(v.Province), position: v.Position}
			b.order = append(b.order, k)
		}
		sort.Slice(b.order, func(i, j int) bool { return b.sigs[b.order[i]].position < b.sigs[b.order[j]].position })
		m.books[name] = b
		if i := strings.LastIndex(name, "/"); i >= 0 {
			m.indexID(name[i+1:], name)
		}
	}
	close(m.advanced)
	m.advanced = make(chan struct{})
	return nil
}

// SaveSnapshot writes a snapshot to path atomically (temporary file,
// fsync, rename).
func (m *Model) SaveSnapshot(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := m.WriteSnapshot(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadSnapshot reads a snapshot file; a missing file is not an error (the
// model stays empty and is rebuilt from the log).
func (m *Model) LoadSnapshot(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	return true, m.ReadSnapshot(f)
}

// Digest is a hash of the model's whole content in a canonical order: two
// models built from the same events have the same digest, however they
// were built (from zero, or from a snapshot and the rest).
func (m *Model) Digest() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h := sha256.New()
	enc := json.NewEncoder(h)
	write := func(v any) { _ = enc.Encode(v) }
	write(m.position)
	codes := make([]string, 0, len(m.councils))
	for c := range m.councils {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		write(m.councils[c])
		kids := append([]string(nil), m.children[c]...)
		sort.Strings(kids)
		write(kids)
	}
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
	for _, group := range []map[string][]StoredEvent{histories(m.mech.Bodies), histories(m.mech.Consultations), histories(m.mech.Surveys)} {
		keys := make([]string, 0, len(group))
		for k := range group {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			write([]any{k, group[k]})
		}
	}
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
	return hex.EncodeToString(h.Sum(nil))
}

// histories returns each case's stored events, for the digest: the states
// are folds of them.
func histories[T interface{ history() []StoredEvent }](m map[string]T) map[string][]StoredEvent {
	out := make(map[string][]StoredEvent, len(m))
	for k, v := range m {
		out[k] = v.history()
	}
	return out
}

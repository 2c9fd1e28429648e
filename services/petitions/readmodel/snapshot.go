package readmodel

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"sort"
	"strings"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
)

// The model's section of the snapshot file is, since issue 17, sectionMagic,
// a gob head (the petitions without their signature changes, the drafting
// order, the erased keys, the province table and the order of what
// follows) and then the signature books and the signature changes in a
// compact binary form: a million signatures are the bulk of a large log's
// snapshot, and gob decodes each 32-byte key byte by byte through
// reflection (about 10 s of a restart at 1 M events on the shared
// machine). Sections written before (one gob of snapshot) are still read.
const sectionMagic = "\x00petitions-section-2\n"

// snapshotHead is the gob part of the section.
type snapshotHead struct {
	Petitions map[string]*Petition // Signatures empty: they follow in binary
	Order     map[string][]string
	Erased    [][32]byte
	Levels    bool
	// Provinces is the table the binary part's province indexes point in
	// (index 0 is "").
	Provinces []string
	// Books are the petition names of the books, and Changes of the
	// petitions with signature changes, in the binary part's order.
	Books   []string
	Changes []string
}

// snapshot is the model's section as sections before issue 17 held it (one
// gob).
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
	h := snapshotHead{Petitions: make(map[string]*Petition, len(m.petitions)), Order: map[string][]string{}, Levels: true, Provinces: []string{""}}
	provinces := map[string]uint64{"": 0}
	province := func(s string) uint64 {
		i, ok := provinces[s]
		if !ok {
			i = uint64(len(h.Provinces))
			provinces[s] = i
			h.Provinces = append(h.Provinces, s)
		}
		return i
	}
	sigs := 0
	for name, p := range m.petitions {
		c := *p
		c.Signatures = nil
		h.Petitions[name] = &c
		if len(p.Signatures) > 0 {
			h.Changes = append(h.Changes, name)
			sigs += len(p.Signatures)
		}
	}
	for k := range m.erased {
		h.Erased = append(h.Erased, k)
	}
	for code, list := range m.byCouncil {
		for _, p := range list {
			h.Order[code] = append(h.Order[code], PetitionName(p.State.Council, p.State.ID))
		}
	}
	for name, b := range m.books {
		h.Books = append(h.Books, name)
		sigs += len(b.order)
	}
	sort.Strings(h.Books)
	sort.Strings(h.Changes)
	bin := make([]byte, 0, 48*sigs+16)
	for _, name := range h.Books {
		b := m.books[name]
		bin = binary.AppendUvarint(bin, uint64(len(b.order)))
		for _, k := range b.order {
			v := b.sigs[k]
			bin = append(bin, k[:]...)
			bin = append(bin, v.status)
			bin = binary.AppendVarint(bin, int64(v.assurance))
			bin = binary.AppendUvarint(bin, province(v.province))
			bin = binary.AppendUvarint(bin, v.position)
		}
	}
	for _, name := range h.Changes {
		list := m.petitions[name].Signatures
		bin = binary.AppendUvarint(bin, uint64(len(list)))
		var pos uint64
		var at int64
		for _, c := range list {
			bin = binary.AppendVarint(bin, int64(c.Position-pos))
			bin = binary.AppendVarint(bin, c.OccurredAt-at)
			bin = append(bin, byte(c.Delta))
			bin = binary.AppendUvarint(bin, province(c.Province))
			bin = binary.AppendVarint(bin, int64(c.Assurance))
			pos, at = c.Position, c.OccurredAt
		}
	}
	var head bytes.Buffer
	if err := gob.NewEncoder(&head).Encode(&h); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(sectionMagic)+binary.MaxVarintLen64+head.Len()+len(bin))
	out = append(out, sectionMagic...)
	out = binary.AppendUvarint(out, uint64(head.Len()))
	out = append(out, head.Bytes()...)
	return append(out, bin...), nil
}

// Restore replaces the model with an encoded one.
func (m *Petitions) Restore(data []byte) error {
	if rest, ok := bytes.CutPrefix(data, []byte(sectionMagic)); ok {
		return m.restore(rest)
	}
	return m.restoreGob(data)
}

// errSection: the binary part of a section is cut short or malformed.
var errSection = errors.New("petitions read model: the snapshot's section is damaged")

// sectionReader reads the binary part of a section.
type sectionReader struct {
	b   []byte
	err error
}

func (r *sectionReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sectionReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sectionReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *sectionReader) key() (k [32]byte) {
	if len(r.b) < 32 {
		r.fail()
		return k
	}
	copy(k[:], r.b)
	r.b = r.b[32:]
	return k
}

// count reads a number of records that each take at least min bytes.
func (r *sectionReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *sectionReader) fail() {
	if r.err == nil {
		r.err = errSection
	}
	r.b = nil
}

// restore reads a section written by Snapshot (after its magic).
func (m *Petitions) restore(data []byte) error {
	hl, n := binary.Uvarint(data)
	if n <= 0 || hl > uint64(len(data)-n) {
		return errSection
	}
	var h snapshotHead
	if err := gob.NewDecoder(bytes.NewReader(data[n : n+int(hl)])).Decode(&h); err != nil {
		return err
	}
	if !h.Levels {
		return errors.New("petitions read model: the snapshot predates the counts by level of assurance")
	}
	if len(h.Provinces) == 0 || h.Provinces[0] != "" {
		return errSection
	}
	r := &sectionReader{b: data[n+int(hl):]}
	interned := make(map[string]string, len(h.Provinces))
	for _, p := range h.Provinces[1:] {
		interned[p] = p
	}
	province := func() string {
		i := r.uvarint()
		if i >= uint64(len(h.Provinces)) {
			r.fail()
			return ""
		}
		return h.Provinces[i]
	}
	books := make(map[string]*signatureBook, len(h.Books))
	for _, name := range h.Books {
		count := r.count(36)
		b := &signatureBook{sigs: make(map[[32]byte]signature, count), order: make([][32]byte, 0, count)}
		for range count {
			k := r.key()
			s := signature{status: r.byte(), assurance: petitionseventsv1.SignatureAssurance(r.varint()), province: province(), position: r.uvarint()}
			if r.err != nil {
				return r.err
			}
			if _, dup := b.sigs[k]; dup {
				return errSection
			}
			b.sigs[k] = s
			b.order = append(b.order, k)
		}
		books[name] = b
	}
	for _, name := range h.Changes {
		p := h.Petitions[name]
		if p == nil {
			return errSection
		}
		count := r.count(5)
		p.Signatures = make([]SignatureChange, count)
		var pos uint64
		var at int64
		for i := range p.Signatures {
			pos += uint64(r.varint())
			at += r.varint()
			p.Signatures[i] = SignatureChange{Position: pos, OccurredAt: at, Delta: int8(r.byte()), Province: province(),
				Assurance: petitionseventsv1.SignatureAssurance(r.varint())}
		}
		if r.err != nil {
			return r.err
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return errSection
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.install(h.Petitions, h.Order, h.Erased)
	m.provinces = interned
	m.books = books
	for name := range books {
		if i := strings.LastIndex(name, "/"); i >= 0 {
			m.indexID(name[i+1:], name)
		}
	}
	return nil
}

// install takes the petitions, their drafting order and the erased keys of
// a snapshot, and indexes them. Lock held.
func (m *Petitions) install(petitions map[string]*Petition, order map[string][]string, erased [][32]byte) {
	m.petitions = petitions
	if m.petitions == nil {
		m.petitions = map[string]*Petition{}
	}
	m.provinces = map[string]string{}
	m.streams = make(map[string]*Petition, len(m.petitions))
	m.byID = map[string][]string{}
	m.byCouncil = map[string][]*Petition{}
	for code, names := range order {
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
	m.erased = make(map[[32]byte]struct{}, len(erased))
	for _, k := range erased {
		m.erased[k] = struct{}{}
	}
}

// restoreGob reads a section of the format before issue 17 (one gob).
func (m *Petitions) restoreGob(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	if !s.Levels && (len(s.Petitions) > 0 || len(s.Books) > 0) {
		return errors.New("petitions read model: the snapshot predates the counts by level of assurance")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.install(s.Petitions, s.Order, s.Erased)
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

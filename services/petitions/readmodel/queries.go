package readmodel

import (
	"maps"
	"sort"
	"strings"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Petition returns a copy of a petition by its whole resource name
// ("communes/50910113/petitions/<id>"). A petition addressed under another
// council's name is not found, whatever its id.
func (m *Petitions) Petition(name string) (Petition, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.petitions[name]
	if !ok {
		return Petition{}, false
	}
	return p.copy(), true
}

// PetitionsWithID returns the resource names of the petitions (in any
// council) whose id is id.
func (m *Petitions) PetitionsWithID(id string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for _, name := range m.byID[id] {
		if m.petitions[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

func (p *Petition) copy() Petition {
	c := *p
	c.Timeline = append([]TimelineEntry(nil), p.Timeline...)
	c.ByProvince = make(map[string]int32, len(p.ByProvince))
	for k, v := range p.ByProvince {
		c.ByProvince[k] = v
	}
	c.ByAssurance = maps.Clone(p.ByAssurance)
	return c
}

// PetitionFilter selects petitions of a council.
type PetitionFilter struct {
	State   petitionseventsv1.PetitionState // UNSPECIFIED: any
	Overdue bool                            // only overdue ones
	Now     time.Time                       // clock for Overdue
}

// Petitions returns the council's petitions that match, newest first.
func (m *Petitions) Petitions(councilCode string, f PetitionFilter) []Petition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	list := m.byCouncil[councilCode]
	var out []Petition
	for i := len(list) - 1; i >= 0; i-- {
		p := list[i]
		if f.State != petitionseventsv1.PetitionState_PETITION_STATE_UNSPECIFIED && p.State.Status != f.State {
			continue
		}
		if f.Overdue && !p.State.Overdue(f.Now) {
			continue
		}
		out = append(out, p.copy())
	}
	return out
}

// Erased tells whether the person of a signer key had their data erased
// (law 09-08), as far as the model has read the log.
func (m *Petitions) Erased(signerKey string) bool {
	key, err := decodeKey(signerKey)
	if err != nil {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.erased[key]
	return ok
}

// SignatureStatus says whether a signer key has signed a petition (by
// resource name).
func (m *Petitions) SignatureStatus(petition, signerKey string) petitionsv1.SignatureStatus {
	key, err := decodeKey(signerKey)
	if err != nil {
		return petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.books[petition]
	if b == nil {
		return petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED
	}
	return statusOf(b.sigs[key].status)
}

func statusOf(s uint8) petitionsv1.SignatureStatus {
	switch s {
	case sigValid:
		return petitionsv1.SignatureStatus_SIGNATURE_STATUS_VALID
	case sigWithdrawn:
		return petitionsv1.SignatureStatus_SIGNATURE_STATUS_WITHDRAWN
	case sigStruck:
		return petitionsv1.SignatureStatus_SIGNATURE_STATUS_STRUCK
	}
	return petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED
}

// FindSignature resolves a signature reference (a prefix of at least 12 hex
// characters of the signer key) to the full key. It reports false when no
// key or more than one matches. The petition is named in full.
func (m *Petitions) FindSignature(petition, ref string) (string, petitionsv1.SignatureStatus, bool) {
	ref = strings.ToLower(ref)
	if len(ref) < 12 || len(ref) > 64 {
		return "", 0, false
	}
	if len(ref) == 64 {
		st := m.SignatureStatus(petition, ref)
		return ref, st, st != petitionsv1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.books[petition]
	if b == nil {
		return "", 0, false
	}
	found, n := "", 0
	var st uint8
	for k, s := range b.sigs {
		h := hexKey(k)
		if strings.HasPrefix(h, ref) {
			found, st = h, s.status
			n++
		}
	}
	return found, statusOf(st), n == 1
}

func hexKey(k [32]byte) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 64)
	for i, c := range k {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(b)
}

// Figures are a council's petition figures at a moment.
type Figures struct {
	ByState         map[string]int32
	DepositedTotal  int32
	Overdue         int32
	MedianDays      float64
	AcceptanceRate  float64
	Decided         int32
	ValidSignatures int64
	// ValidByAssurance splits ValidSignatures by level of assurance.
	ValidByAssurance map[petitionseventsv1.SignatureAssurance]int64
	decisionDays     []float64
	admissible       int32
}

// PetitionFigures computes a council's figures against the clock now.
func (m *Petitions) PetitionFigures(code string, now time.Time) Figures {
	return m.PetitionFiguresAt(code, AsOf{Now: now})
}

func (m *Petitions) figures(code string, now time.Time) Figures {
	f := Figures{ByState: map[string]int32{}}
	for _, p := range m.byCouncil[code] {
		f.add(p, now)
	}
	return f
}

func (f *Figures) add(p *Petition, now time.Time) {
	st := &p.State
	// A petition never opened for signatures nor deposited is its agent's
	// draft: the public figures do not count it.
	if !st.Public() {
		return
	}
	f.ByState[pdomain.StateName(st.Status)]++
	f.ValidSignatures += int64(p.Valid)
	for level, n := range p.ByAssurance {
		f.addLevel(level, int64(n))
	}
	if st.ReceivedAt.IsZero() {
		return
	}
	f.DepositedTotal++
	if st.Overdue(now) {
		f.Overdue++
	}
	if st.Decided() {
		f.Decided++
		f.decisionDays = append(f.decisionDays, st.DecidedAt.Sub(st.ReceivedAt).Hours()/24)
		if st.Decision == petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE {
			f.admissible++
		}
	}
}

func (f *Figures) addLevel(level petitionseventsv1.SignatureAssurance, n int64) {
	if f.ValidByAssurance == nil {
		f.ValidByAssurance = map[petitionseventsv1.SignatureAssurance]int64{}
	}
	f.ValidByAssurance[level] += n
}

// Merge adds another council's figures (for a roll-up); Finish then
// computes the median and the rate of the sum.
func (f *Figures) Merge(o Figures) {
	for k, v := range o.ByState {
		f.ByState[k] += v
	}
	f.DepositedTotal += o.DepositedTotal
	f.Overdue += o.Overdue
	f.Decided += o.Decided
	f.ValidSignatures += o.ValidSignatures
	for level, n := range o.ValidByAssurance {
		f.addLevel(level, n)
	}
	f.decisionDays = append(f.decisionDays, o.decisionDays...)
	f.admissible += o.admissible
}

// Finish computes the median days to a decision and the acceptance rate.
func (f *Figures) Finish() {
	if len(f.decisionDays) > 0 {
		d := append([]float64(nil), f.decisionDays...)
		sort.Float64s(d)
		if n := len(d); n%2 == 1 {
			f.MedianDays = d[n/2]
		} else {
			f.MedianDays = (d[n/2-1] + d[n/2]) / 2
		}
	}
	if f.Decided > 0 {
		f.AcceptanceRate = float64(f.admissible) / float64(f.Decided)
	}
}

// SignatureEntry is one signature of a petition, for staff listings.
type SignatureEntry struct {
	SignerKey string
	Status    petitionsv1.SignatureStatus
	Province  string
	// Position of the SignatureAdded event (where the encrypted name is).
	Position uint64
}

// Signatures returns a page of a petition's signatures in the order they
// were recorded, and how many there are. The petition is named in full.
func (m *Petitions) Signatures(petition string, offset, limit int) ([]SignatureEntry, int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.books[petition]
	if b == nil {
		return nil, 0
	}
	total := len(b.order)
	offset = min(max(offset, 0), total)
	end := min(offset+limit, total)
	out := make([]SignatureEntry, 0, end-offset)
	for _, k := range b.order[offset:end] {
		s := b.sigs[k]
		out = append(out, SignatureEntry{SignerKey: hexKey(k), Status: statusOf(s.status), Province: s.province, Position: s.position})
	}
	return out, total
}

// Package readmodel is the programmes context's read model: the communes'
// action programmes (law 113-14 arts. 78-82) from the
// programme.<code>.<year> streams, and the satisfaction forms' tallies
// from the surveyforms.<code>.<id> streams. The projections runner feeds
// it (Apply); the programme service, the public pages and the regional
// dashboard query it, as of any past position or time.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
)

// AsOf chooses the past a query looks at (projections.AsOf).
type AsOf = projections.AsOf

// Programme is a programme as the model holds it: its state now and its
// stored events, to fold it again as of a past time.
type Programme struct {
	State   domain.State
	History []projections.StoredEvent
}

// FormsPart is one part of an import of forms, already tallied: the forms
// themselves stay in the log.
type FormsPart struct {
	Import     string // resource name
	Position   uint64
	OccurredAt int64 // Unix nanoseconds
	RecordedAt int64
	Tally      Tally
}

// Programmes is the read model. Programmes are keyed by full resource
// name ("communes/50910113/programmes/2021"), so a name under another
// council resolves to nothing. Safe for concurrent use.
type Programmes struct {
	reg *es.Registry

	mu sync.RWMutex
	s  state
}

type state struct {
	Programmes map[string]*Programme // resource name → programme
	Names      map[string]string     // stream → resource name
	ByCouncil  map[string][]string   // commune code → programme names, in mandate order
	Forms      map[string][]FormsPart
}

func emptyState() state {
	return state{Programmes: map[string]*Programme{}, Names: map[string]string{}, ByCouncil: map[string][]string{}, Forms: map[string][]FormsPart{}}
}

// New returns an empty model; reg decodes stored events for as-of folds.
func New(reg *es.Registry) *Programmes { return &Programmes{reg: reg, s: emptyState()} }

// Name is the model's section in the snapshot file.
func (m *Programmes) Name() string { return "programmes" }

// Apply applies a programme or forms event; it ignores other streams.
func (m *Programmes) Apply(e *eventstore.Event, payload proto.Message) error {
	switch cat, _, _ := strings.Cut(e.Stream, "."); cat {
	case domain.ProgrammeCategory:
		m.mu.Lock()
		defer m.mu.Unlock()
		m.applyProgramme(e, payload)
	case domain.SurveyFormsCategory:
		p, ok := payload.(*eventsv1.SurveyFormsImported)
		code := domain.StreamCouncil(e.Stream)
		if !ok || domain.CouncilCode(p.GetCouncil()) != code || !strings.HasPrefix(p.GetCouncil(), "communes/") {
			return nil
		}
		part := FormsPart{Import: domain.ImportName(p.GetCouncil(), p.GetImportId()), Position: e.Position,
			OccurredAt: e.OccurredAt.UnixNano(), RecordedAt: e.RecordedAt.UnixNano(), Tally: NewTally()}
		for _, f := range p.GetForms() {
			part.Tally.Add(f)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.s.Forms[code] = append(m.s.Forms[code], part)
	}
	return nil
}

func (m *Programmes) applyProgramme(e *eventstore.Event, payload proto.Message) {
	name, ok := m.s.Names[e.Stream]
	if !ok {
		d, first := payload.(*eventsv1.ProgrammeDrafted)
		if !first || domain.CouncilCode(d.GetCouncil()) != domain.StreamCouncil(e.Stream) || len(d.GetMandateStart()) < 4 ||
			domain.ProgrammeStream(domain.CouncilCode(d.GetCouncil()), d.GetMandateStart()[:4]) != e.Stream {
			return
		}
		name = domain.ProgrammeName(d.GetCouncil(), d.GetMandateStart()[:4])
		m.s.Names[e.Stream] = name
		m.s.Programmes[name] = &Programme{}
		code := domain.StreamCouncil(e.Stream)
		m.s.ByCouncil[code] = append(m.s.ByCouncil[code], name)
		sort.Strings(m.s.ByCouncil[code])
	}
	p := m.s.Programmes[name]
	p.State = domain.Evolve(p.State, es.RecordedFrom(e, payload))
	p.History = append(p.History, projections.Stored(e))
}

// snapshot is the model's snapshot section: the programmes' stored events
// (their states are folded again on restore: they hold protobuf messages,
// which gob does not encode) and the rest as it is.
type snapshot struct {
	Histories map[string][]projections.StoredEvent
	Names     map[string]string
	ByCouncil map[string][]string
	Forms     map[string][]FormsPart
}

// Snapshot encodes the model.
func (m *Programmes) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	snap := snapshot{Histories: map[string][]projections.StoredEvent{}, Names: m.s.Names, ByCouncil: m.s.ByCouncil, Forms: m.s.Forms}
	for name, p := range m.s.Programmes {
		snap.Histories[name] = p.History
	}
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&snap)
	return buf.Bytes(), err
}

// Restore replaces the model with an encoded one.
func (m *Programmes) Restore(data []byte) error {
	var snap snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&snap); err != nil {
		return err
	}
	s := emptyState()
	for name, h := range snap.Histories {
		s.Programmes[name] = &Programme{History: h, State: m.fold(h, AsOf{})}
	}
	for k, v := range snap.Names {
		s.Names[k] = v
	}
	for k, v := range snap.ByCouncil {
		s.ByCouncil[k] = v
	}
	for k, v := range snap.Forms {
		s.Forms[k] = v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	return nil
}

func (m *Programmes) fold(history []projections.StoredEvent, a AsOf) domain.State {
	var st domain.State
	for _, h := range history {
		in, stop := a.Visible(h)
		if stop {
			break
		}
		if !in {
			continue
		}
		if p, err := m.reg.Decode(h.Type, h.Version, h.Payload); err == nil {
			st = domain.Evolve(st, domain.Recorded{ID: h.ID, Payload: p, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		}
	}
	return st
}

func (m *Programmes) at(p *Programme, a AsOf) (domain.State, bool) {
	if a.Latest() {
		return p.State, p.State.Exists
	}
	st := m.fold(p.History, a)
	return st, st.Exists
}

// Programme returns a programme by its full resource name.
func (m *Programmes) Programme(name string, a AsOf) (domain.State, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.s.Programmes[name]
	if !ok {
		return domain.State{}, false
	}
	return m.at(p, a)
}

// Programmes returns a commune's programmes, newest mandate first.
func (m *Programmes) Programmes(code string, a AsOf) []domain.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []domain.State
	names := m.s.ByCouncil[code]
	for i := len(names) - 1; i >= 0; i-- {
		if st, ok := m.at(m.s.Programmes[names[i]], a); ok {
			out = append(out, st)
		}
	}
	return out
}

// Latest returns the programme of a commune's latest mandate, as of a.
func (m *Programmes) Latest(code string, a AsOf) (domain.State, bool) {
	ps := m.Programmes(code, a)
	if len(ps) == 0 {
		return domain.State{}, false
	}
	return ps[0], true
}

// Forms returns the tally of a commune's imported forms as of a.
func (m *Programmes) Forms(code string, a AsOf) Tally {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := NewTally()
	for _, p := range m.s.Forms[code] {
		h := projections.StoredEvent{Position: p.Position}
		h.OccurredAt = unixNano(p.OccurredAt)
		if in, _ := a.Visible(h); in {
			t.Merge(p.Tally)
		}
	}
	return t
}

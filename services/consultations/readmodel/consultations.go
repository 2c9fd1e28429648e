// Package readmodel is the consultations context's read model: the
// consultation requests of the councils' participation mechanisms (law
// 113-14, arts. 119-120) and the satisfaction surveys' results, from the
// consultation.<code>.<id> and survey.<code>.<id> streams. The projections
// runner feeds it (Apply); the consultations service, the audit trail and
// the status figures query it.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
)

// AsOf chooses the past a query looks at (projections.AsOf).
type AsOf = projections.AsOf

// Consultation is a consultation request as the read model holds it.
type Consultation struct {
	State   cdomain.State
	History []projections.StoredEvent
}

// Survey is a satisfaction survey's results.
type Survey struct {
	State   cdomain.SurveyState
	History []projections.StoredEvent
}

// Consultations is the read model. Each case is keyed by its full resource
// name ("communes/50910101/consultations/{id}",
// "communes/50910101/surveys/{id}"), never by an id alone, so a name that
// borrows another council's id, or another level's prefix, resolves to
// nothing (DESIGN.md "Authorization: by resource, in one place"). It is
// safe for concurrent use.
type Consultations struct {
	reg *es.Registry

	mu sync.RWMutex
	s  state
}

// state is the model's content (and its snapshot section).
type state struct {
	Consultations map[string]*Consultation // resource name → consultation
	Surveys       map[string]*Survey       // resource name → survey
	// Names maps an event stream to the resource name its first event
	// gave it; later events of the stream carry no council.
	Names     map[string]string
	ByCouncil map[string]*councilCases
}

type councilCases struct {
	Consultations []string // resource names, in request order
	Surveys       []string
}

func emptyState() state {
	return state{Consultations: map[string]*Consultation{}, Surveys: map[string]*Survey{}, Names: map[string]string{}, ByCouncil: map[string]*councilCases{}}
}

// New returns an empty model; reg decodes stored events for as-of folds.
func New(reg *es.Registry) *Consultations { return &Consultations{reg: reg, s: emptyState()} }

// Name is the model's section in the snapshot file.
func (m *Consultations) Name() string { return "consultations" }

// Apply applies a consultation or survey event; it ignores other streams.
func (m *Consultations) Apply(e *eventstore.Event, payload proto.Message) error {
	switch cat, _, _ := strings.Cut(e.Stream, "."); cat {
	case cdomain.ConsultationCategory:
		m.mu.Lock()
		defer m.mu.Unlock()
		m.applyConsultation(e, payload)
	case cdomain.SurveyCategory:
		m.mu.Lock()
		defer m.mu.Unlock()
		m.applySurvey(e, payload)
	}
	return nil
}

func (m *Consultations) council(code string) *councilCases {
	c := m.s.ByCouncil[code]
	if c == nil {
		c = &councilCases{}
		m.s.ByCouncil[code] = c
	}
	return c
}

// named returns the resource name of a stream whose first event named it,
// or records name for it when first (the creating event) is true. A
// creating event whose name disagrees with the stream (another council's
// code) is not applied. Lock held.
func (m *Consultations) named(stream, name, council string, first bool) (string, bool) {
	if n, ok := m.s.Names[stream]; ok {
		return n, true
	}
	if !first || name == "" {
		return "", false
	}
	if _, code, found := strings.Cut(council, "/"); !found || code != cdomain.StreamCouncil(stream) {
		return "", false
	}
	m.s.Names[stream] = name
	return name, true
}

// applyConsultation: stream consultation.<council code>.<id>.
func (m *Consultations) applyConsultation(e *eventstore.Event, payload proto.Message) {
	req, first := payload.(*consultationseventsv1.ConsultationRequested)
	var name string
	if first {
		name = cdomain.ConsultationName(req.GetCouncil(), req.GetConsultationId())
	}
	name, ok := m.named(e.Stream, name, req.GetCouncil(), first)
	if !ok {
		return
	}
	c := m.s.Consultations[name]
	if c == nil {
		c = &Consultation{}
		m.s.Consultations[name] = c
		cc := m.council(cdomain.StreamCouncil(e.Stream))
		cc.Consultations = append(cc.Consultations, name)
	}
	c.State = cdomain.Evolve(c.State, cdomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	c.History = append(c.History, projections.Stored(e))
}

// applySurvey: stream survey.<council code>.<id>.
func (m *Consultations) applySurvey(e *eventstore.Event, payload proto.Message) {
	rec, first := payload.(*consultationseventsv1.SurveyResultsRecorded)
	var name string
	if first {
		name = cdomain.SurveyName(rec.GetCouncil(), rec.GetSurveyId())
	}
	name, ok := m.named(e.Stream, name, rec.GetCouncil(), first)
	if !ok {
		return
	}
	s := m.s.Surveys[name]
	if s == nil {
		s = &Survey{}
		m.s.Surveys[name] = s
		cc := m.council(cdomain.StreamCouncil(e.Stream))
		cc.Surveys = append(cc.Surveys, name)
	}
	s.State = cdomain.EvolveSurvey(s.State, cdomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	s.History = append(s.History, projections.Stored(e))
}

// Snapshot encodes the model.
func (m *Consultations) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&m.s)
	return buf.Bytes(), err
}

// Restore replaces the model with an encoded one.
func (m *Consultations) Restore(data []byte) error {
	var s state
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	e := emptyState()
	if s.Consultations == nil {
		s.Consultations = e.Consultations
	}
	if s.Surveys == nil {
		s.Surveys = e.Surveys
	}
	if s.Names == nil {
		s.Names = e.Names
	}
	if s.ByCouncil == nil {
		s.ByCouncil = e.ByCouncil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	return nil
}

// Digest writes each consultation's, then each survey's, stored events by
// resource name (the states are folds of them).
func (m *Consultations) Digest(write func(any)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	keys := make([]string, 0, len(m.s.Consultations))
	for k := range m.s.Consultations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		write([]any{k, m.s.Consultations[k].History})
	}
	keys = keys[:0]
	for k := range m.s.Surveys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		write([]any{k, m.s.Surveys[k].History})
	}
}

func (m *Consultations) consultationAt(c *Consultation, a AsOf) (cdomain.State, bool) {
	if a.Latest() {
		return c.State, true
	}
	var st cdomain.State
	for _, h := range c.History {
		in, stop := a.Visible(h)
		if stop {
			break
		}
		if !in {
			continue
		}
		if p, err := m.reg.Decode(h.Type, h.Version, h.Payload); err == nil {
			st = cdomain.Evolve(st, cdomain.Recorded{ID: h.ID, Payload: p, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		}
	}
	return st, st.Exists
}

// Consultation returns a consultation by its full resource name
// ("communes/50910101/consultations/{id}").
func (m *Consultations) Consultation(name string, a AsOf) (cdomain.State, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.s.Consultations[name]
	if !ok {
		return cdomain.State{}, false
	}
	return m.consultationAt(c, a)
}

// Consultations returns a council's consultations, newest first.
func (m *Consultations) Consultations(code string, a AsOf) []cdomain.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []cdomain.State
	if c := m.s.ByCouncil[code]; c != nil {
		for i := len(c.Consultations) - 1; i >= 0; i-- {
			if st, ok := m.consultationAt(m.s.Consultations[c.Consultations[i]], a); ok {
				out = append(out, st)
			}
		}
	}
	return out
}

// Figures are a council's consultation and survey figures.
type Figures struct {
	Open, Answered, Expired, Withdrawn int
	Workshops, Participants            int
	PWomen, PYouth, PDisability        int
	SurveyResponses                    int
	scoreSum                           float64
	MeanSatisfaction                   float64
}

// Rates of the participants.
func (f Figures) WomenRate() float64      { return share(f.PWomen, f.Participants) }
func (f Figures) YouthRate() float64      { return share(f.PYouth, f.Participants) }
func (f Figures) DisabilityRate() float64 { return share(f.PDisability, f.Participants) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// FiguresAt returns a council's consultation and survey figures as of a.
func (m *Consultations) FiguresAt(code string, a AsOf) Figures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var f Figures
	c := m.s.ByCouncil[code]
	if c == nil {
		return f
	}
	for _, id := range c.Consultations {
		st, ok := m.consultationAt(m.s.Consultations[id], a)
		if !ok {
			continue
		}
		switch st.StateAt(a.Now) {
		case consultationseventsv1.ConsultationState_CONSULTATION_STATE_ANSWERED:
			f.Answered++
		case consultationseventsv1.ConsultationState_CONSULTATION_STATE_EXPIRED:
			f.Expired++
		case consultationseventsv1.ConsultationState_CONSULTATION_STATE_WITHDRAWN:
			f.Withdrawn++
		default:
			f.Open++
		}
		for _, w := range st.Workshops {
			f.Workshops++
			f.Participants += int(w.GetParticipants())
			f.PWomen += int(w.GetWomen())
			f.PYouth += int(w.GetYouth())
			f.PDisability += int(w.GetDisability())
		}
	}
	for _, id := range c.Surveys {
		s := m.s.Surveys[id]
		for _, h := range s.History {
			if in, _ := a.Visible(h); !in {
				continue
			}
			for i, n := range s.State.ScoreCounts {
				f.SurveyResponses += int(n)
				f.scoreSum += float64(i+1) * float64(n)
			}
			break
		}
	}
	f.finish()
	return f
}

// Merge adds another council's figures (for a roll-up).
func (f *Figures) Merge(o Figures) {
	f.Open += o.Open
	f.Answered += o.Answered
	f.Expired += o.Expired
	f.Withdrawn += o.Withdrawn
	f.Workshops += o.Workshops
	f.Participants += o.Participants
	f.PWomen += o.PWomen
	f.PYouth += o.PYouth
	f.PDisability += o.PDisability
	f.SurveyResponses += o.SurveyResponses
	f.scoreSum += o.scoreSum
	f.finish()
}

func (f *Figures) finish() {
	f.MeanSatisfaction = 0
	if f.SurveyResponses > 0 {
		f.MeanSatisfaction = f.scoreSum / float64(f.SurveyResponses)
	}
}

// Exists reports whether name is the full resource name of a consultation
// or a survey.
func (m *Consultations) Exists(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts) != 4 {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch parts[2] {
	case "consultations":
		_, ok := m.s.Consultations[name]
		return ok
	case "surveys":
		_, ok := m.s.Surveys[name]
		return ok
	}
	return false
}

// CaseHistory returns the events of a consultation or a survey, named in
// full, with the state after each. It reports false for any other name,
// and for one that puts a case under another council.
func (m *Consultations) CaseHistory(name string) ([]projections.HistoryEntry, bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 {
		return nil, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch parts[2] {
	case "consultations":
		c, ok := m.s.Consultations[name]
		if !ok || c.State.Council != parts[0]+"/"+parts[1] {
			return nil, false
		}
		var out []projections.HistoryEntry
		var st cdomain.State
		for _, h := range c.History {
			payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
			if err != nil {
				continue
			}
			st = cdomain.Evolve(st, cdomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
			out = append(out, projections.HistoryEntry{StoredEvent: h, StateAfter: cdomain.StateName(st.StateAt(h.RecordedAt)), Summary: h.Type})
		}
		return out, true
	case "surveys":
		s, ok := m.s.Surveys[name]
		if !ok || s.State.Council != parts[0]+"/"+parts[1] {
			return nil, false
		}
		var out []projections.HistoryEntry
		for _, h := range s.History {
			out = append(out, projections.HistoryEntry{StoredEvent: h, StateAfter: fmt.Sprintf("%d responses", s.State.Responses), Summary: h.Type})
		}
		return out, true
	}
	return nil, false
}

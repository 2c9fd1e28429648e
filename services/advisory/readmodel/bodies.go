// Package readmodel is the advisory context's read model: the advisory
// bodies (law 113-14, art. 120; their members, meetings and opinions) from
// the body.<code>.<id> streams. The projections runner feeds it (Apply);
// the advisory service, the audit trail and the status figures query it.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
)

// AsOf chooses the past a query looks at (projections.AsOf).
type AsOf = projections.AsOf

// Body is an advisory body as the read model holds it. States are
// immutable values (the domain's Evolve copies what it changes), so a Body
// handed to a reader never changes under it.
type Body struct {
	State   adomain.State
	History []projections.StoredEvent
}

// Bodies is the read model. Bodies are keyed by their full resource name
// ("communes/50910101/advisoryBodies/equity-gender"), never by an id alone,
// so a name that borrows another council's id, or another level's prefix,
// resolves to nothing (DESIGN.md "Authorization: by resource, in one
// place"). It is safe for concurrent use.
type Bodies struct {
	reg *es.Registry

	mu sync.RWMutex
	s  state
}

// state is the model's content (and its snapshot section).
type state struct {
	Bodies map[string]*Body // resource name → body
	// Names maps an event stream ("body.<code>.<id>") to the resource name
	// its first event gave it; later events of the stream carry no council.
	Names     map[string]string
	ByCouncil map[string][]string // council code → body resource names, in set-up order
}

// New returns an empty model; reg decodes stored events for as-of folds.
func New(reg *es.Registry) *Bodies {
	return &Bodies{reg: reg, s: state{Bodies: map[string]*Body{}, Names: map[string]string{}, ByCouncil: map[string][]string{}}}
}

// Name is the model's section in the snapshot file.
func (m *Bodies) Name() string { return "advisory" }

// Apply applies a body event (stream body.<council code>.<body id>); it
// ignores other streams.
func (m *Bodies) Apply(e *eventstore.Event, payload proto.Message) error {
	if cat, _, _ := strings.Cut(e.Stream, "."); cat != adomain.BodyCategory {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	setUp, first := payload.(*advisoryeventsv1.BodySetUp)
	var name string
	if first {
		name = setUp.GetCouncil() + "/advisoryBodies/" + setUp.GetBodyId()
	}
	name, ok := m.named(e.Stream, name, setUp.GetCouncil(), first)
	if !ok {
		return nil
	}
	b := m.s.Bodies[name]
	if b == nil {
		b = &Body{}
		m.s.Bodies[name] = b
		code := adomain.StreamCouncil(e.Stream)
		m.s.ByCouncil[code] = append(m.s.ByCouncil[code], name)
	}
	b.State = adomain.Evolve(b.State, adomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	b.History = append(b.History, projections.Stored(e))
	return nil
}

// named returns the resource name of a stream whose first event named it,
// or records name for it when first (the creating event) is true. A
// creating event whose name disagrees with the stream (another council's
// code) is not applied. Lock held.
func (m *Bodies) named(stream, name, council string, first bool) (string, bool) {
	if n, ok := m.s.Names[stream]; ok {
		return n, true
	}
	if !first || name == "" {
		return "", false
	}
	if _, code, found := strings.Cut(council, "/"); !found || code != adomain.StreamCouncil(stream) {
		return "", false
	}
	m.s.Names[stream] = name
	return name, true
}

// Snapshot encodes the model.
func (m *Bodies) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&m.s)
	return buf.Bytes(), err
}

// Restore replaces the model with an encoded one.
func (m *Bodies) Restore(data []byte) error {
	var s state
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	if s.Bodies == nil {
		s.Bodies = map[string]*Body{}
	}
	if s.Names == nil {
		s.Names = map[string]string{}
	}
	if s.ByCouncil == nil {
		s.ByCouncil = map[string][]string{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	return nil
}

// Digest writes each body's stored events, by resource name (the states
// are folds of them).
func (m *Bodies) Digest(write func(any)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	keys := make([]string, 0, len(m.s.Bodies))
	for k := range m.s.Bodies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		write([]any{k, m.s.Bodies[k].History})
	}
}

func (m *Bodies) bodyAt(b *Body, a AsOf) (adomain.State, bool) {
	if a.Latest() {
		return b.State, true
	}
	var st adomain.State
	for _, h := range b.History {
		in, stop := a.Visible(h)
		if stop {
			break
		}
		if !in {
			continue
		}
		if p, err := m.reg.Decode(h.Type, h.Version, h.Payload); err == nil {
			st = adomain.Evolve(st, adomain.Recorded{ID: h.ID, Payload: p, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		}
	}
	return st, st.Exists
}

// Body returns a body by its full resource name
// ("communes/50910101/advisoryBodies/equity-gender").
func (m *Bodies) Body(name string, a AsOf) (adomain.State, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.s.Bodies[name]
	if !ok {
		return adomain.State{}, false
	}
	return m.bodyAt(b, a)
}

// Bodies returns a council's bodies, in set-up order.
func (m *Bodies) Bodies(code string, a AsOf) []adomain.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []adomain.State
	for _, id := range m.s.ByCouncil[code] {
		if st, ok := m.bodyAt(m.s.Bodies[id], a); ok {
			out = append(out, st)
		}
	}
	return out
}

// Figures are a council's advisory figures.
type Figures struct {
	Bodies, Members, Women, Youth, Disability, Meetings int
	OpinionsAdopted, OpinionsAnswered                   int
	ResponsesFully, ResponsesPartly, ResponsesNot       int
	responseDays                                        []float64
	MedianDaysToResponse                                float64
	WorkingBody                                         bool
}

// Shares of the members.
func (f Figures) WomenShare() float64      { return share(f.Women, f.Members) }
func (f Figures) YouthShare() float64      { return share(f.Youth, f.Members) }
func (f Figures) DisabilityShare() float64 { return share(f.Disability, f.Members) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// FiguresAt returns a council's advisory figures as of a.
func (m *Bodies) FiguresAt(code string, a AsOf) Figures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var f Figures
	for _, id := range m.s.ByCouncil[code] {
		st, ok := m.bodyAt(m.s.Bodies[id], a)
		if !ok {
			continue
		}
		f.Bodies++
		members, women, youth, disability, _, _, _ := adomain.Composition(st)
		f.Members += members
		f.Women += women
		f.Youth += youth
		f.Disability += disability
		if members > 0 {
			f.WorkingBody = true
		}
		f.Meetings += len(st.Meetings)
		for _, op := range st.Opinions {
			if !op.AdoptedAt.IsZero() {
				f.OpinionsAdopted++
			}
			if op.State == advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED {
				f.OpinionsAnswered++
				f.responseDays = append(f.responseDays, adomain.DaysToResponse(op))
				switch op.Response {
				case advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY:
					f.ResponsesFully++
				case advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY:
					f.ResponsesPartly++
				case advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_NOT:
					f.ResponsesNot++
				}
			}
		}
	}
	f.finish()
	return f
}

// Merge adds another council's figures (for a roll-up).
func (f *Figures) Merge(o Figures) {
	f.Bodies += o.Bodies
	f.Members += o.Members
	f.Women += o.Women
	f.Youth += o.Youth
	f.Disability += o.Disability
	f.Meetings += o.Meetings
	f.OpinionsAdopted += o.OpinionsAdopted
	f.OpinionsAnswered += o.OpinionsAnswered
	f.ResponsesFully += o.ResponsesFully
	f.ResponsesPartly += o.ResponsesPartly
	f.ResponsesNot += o.ResponsesNot
	f.responseDays = append(f.responseDays, o.responseDays...)
	f.WorkingBody = f.WorkingBody || o.WorkingBody
	f.finish()
}

func (f *Figures) finish() {
	f.MedianDaysToResponse = 0
	if n := len(f.responseDays); n > 0 {
		d := append([]float64(nil), f.responseDays...)
		sort.Float64s(d)
		if n%2 == 1 {
			f.MedianDaysToResponse = d[n/2]
		} else {
			f.MedianDaysToResponse = (d[n/2-1] + d[n/2]) / 2
		}
	}
}

// Exists reports whether name is the full resource name of an advisory
// body or of one of its opinions.
func (m *Bodies) Exists(name string) bool {
	parts := strings.Split(name, "/")
	m.mu.RLock()
	defer m.mu.RUnlock()
	switch {
	case len(parts) == 4 && parts[2] == "advisoryBodies":
		_, ok := m.s.Bodies[name]
		return ok
	case len(parts) == 6 && parts[2] == "advisoryBodies" && parts[4] == "opinions":
		b, ok := m.s.Bodies[strings.Join(parts[:4], "/")]
		if !ok {
			return false
		}
		_, ok = b.State.Opinions[parts[5]]
		return ok
	}
	return false
}

// CaseHistory returns the events of a body, or of an opinion (its body's
// events about it), named in full, with the state after each. It reports
// false for any other name, and for one that puts a body under another
// council.
func (m *Bodies) CaseHistory(name string) ([]projections.HistoryEntry, bool) {
	parts := strings.Split(name, "/")
	if (len(parts) != 4 && len(parts) != 6) || parts[2] != "advisoryBodies" {
		return nil, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.s.Bodies[strings.Join(parts[:4], "/")]
	if !ok || b.State.Council != parts[0]+"/"+parts[1] {
		return nil, false
	}
	opinion := ""
	if len(parts) == 6 {
		if parts[4] != "opinions" {
			return nil, false
		}
		opinion = parts[5]
		if _, ok := b.State.Opinions[opinion]; !ok {
			return nil, false
		}
	}
	var out []projections.HistoryEntry
	var st adomain.State
	for _, h := range b.History {
		payload, err := m.reg.Decode(h.Type, h.Version, h.Payload)
		if err != nil {
			continue
		}
		st = adomain.Evolve(st, adomain.Recorded{ID: h.ID, Payload: payload, OccurredAt: h.OccurredAt, RecordedAt: h.RecordedAt, Actor: h.Actor})
		if opinion != "" {
			if opinionOf(payload) != opinion {
				continue
			}
			out = append(out, projections.HistoryEntry{StoredEvent: h, StateAfter: adomain.OpinionStateName(st.Opinions[opinion].State), Summary: h.Type})
			continue
		}
		members, _, _, _, _, _, _ := adomain.Composition(st)
		out = append(out, projections.HistoryEntry{StoredEvent: h, StateAfter: fmt.Sprintf("%d members, %d meetings, %d opinions", members, len(st.Meetings), len(st.Opinions)), Summary: h.Type})
	}
	return out, true
}

// opinionOf returns the opinion an advisory event is about, if any.
func opinionOf(p any) string {
	switch e := p.(type) {
	case *advisoryeventsv1.OpinionDrafted:
		return e.GetOpinionId()
	case *advisoryeventsv1.OpinionAdopted:
		return e.GetOpinionId()
	case *advisoryeventsv1.OpinionTransmitted:
		return e.GetOpinionId()
	case *advisoryeventsv1.CouncilResponded:
		return e.GetOpinionId()
	}
	return ""
}

package projections

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Body is an advisory body as the read model holds it. States are
// immutable values (the domain's Evolve copies what it changes), so a Body
// handed to a reader never changes under it.
type Body struct {
	State   adomain.State
	History []StoredEvent
}

// Consultation is a consultation request as the read model holds it.
type Consultation struct {
	State   cdomain.State
	History []StoredEvent
}

// Survey is a satisfaction survey's results.
type Survey struct {
	State   cdomain.SurveyState
	History []StoredEvent
}

// mechanisms are the read models of advisory bodies, consultations and
// surveys. Each is keyed by its full resource name
// ("communes/50910101/advisoryBodies/equity-gender",
// "communes/50910101/consultations/{id}", "communes/50910101/surveys/{id}"),
// never by an id alone, so a name that borrows another council's id, or
// another level's prefix, resolves to nothing (DESIGN.md "Authorization: by
// resource, in one place").
//
// Snapshot version 5 also holds them so; a version 4 snapshot (keyed by
// stream id) is refused and the model rebuilt from the log.
type mechanisms struct {
	Bodies        map[string]*Body         // resource name → body
	Consultations map[string]*Consultation // resource name → consultation
	Surveys       map[string]*Survey       // resource name → survey
	// Names maps an event stream ("body.<code>.<id>") to the resource name
	// its first event gave it; later events of the stream carry no council.
	Names     map[string]string
	ByCouncil map[string]*councilMechanisms
}

type councilMechanisms struct {
	Bodies        []string // resource names, in set-up order
	Consultations []string
	Surveys       []string
}

func newMechanisms() mechanisms {
	return mechanisms{Bodies: map[string]*Body{}, Consultations: map[string]*Consultation{}, Surveys: map[string]*Survey{},
		Names: map[string]string{}, ByCouncil: map[string]*councilMechanisms{}}
}

func (m *Model) council(code string) *councilMechanisms {
	c := m.mech.ByCouncil[code]
	if c == nil {
		c = &councilMechanisms{}
		m.mech.ByCouncil[code] = c
	}
	return c
}

func stored(e *eventstore.Event) StoredEvent {
	return StoredEvent{ID: e.ID, Type: e.Type, Version: e.SchemaVersion, Payload: e.Payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt,
		Actor: e.Actor, Position: e.Position, Revision: e.Revision, Hash: e.Hash, PrevHash: e.PrevHash}
}

// streamCode returns the council code of a body, consultation or survey
// stream (the formats are the contexts' domain/streams.go).
func streamCode(stream string) string {
	if code := adomain.StreamCouncil(stream); code != "" {
		return code
	}
	return cdomain.StreamCouncil(stream)
}

// named returns the resource name of a stream whose first event named it,
// or records name for it when first (the creating event) is true. A
// creating event whose name disagrees with the stream (another council's
// code) is not applied.
func (m *Model) named(stream, name, council string, first bool) (string, bool) {
	if n, ok := m.mech.Names[stream]; ok {
		return n, true
	}
	if !first || name == "" {
		return "", false
	}
	if _, code, found := strings.Cut(council, "/"); !found || code != streamCode(stream) {
		return "", false
	}
	m.mech.Names[stream] = name
	return name, true
}

// applyBody: stream body.<council code>.<body id>.
func (m *Model) applyBody(e *eventstore.Event, payload proto.Message) {
	setUp, first := payload.(*advisoryeventsv1.BodySetUp)
	var name string
	if first {
		name = setUp.GetCouncil() + "/advisoryBodies/" + setUp.GetBodyId()
	}
	name, ok := m.named(e.Stream, name, setUp.GetCouncil(), first)
	if !ok {
		return
	}
	b := m.mech.Bodies[name]
	if b == nil {
		b = &Body{}
		m.mech.Bodies[name] = b
		code := streamCode(e.Stream)
		m.council(code).Bodies = append(m.council(code).Bodies, name)
	}
	b.State = adomain.Evolve(b.State, adomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	b.History = append(b.History, stored(e))
}

// applyConsultation: stream consultation.<council code>.<id>.
func (m *Model) applyConsultation(e *eventstore.Event, payload proto.Message) {
	req, first := payload.(*consultationseventsv1.ConsultationRequested)
	var name string
	if first {
		name = cdomain.ConsultationName(req.GetCouncil(), req.GetConsultationId())
	}
	name, ok := m.named(e.Stream, name, req.GetCouncil(), first)
	if !ok {
		return
	}
	c := m.mech.Consultations[name]
	if c == nil {
		c = &Consultation{}
		m.mech.Consultations[name] = c
		code := streamCode(e.Stream)
		m.council(code).Consultations = append(m.council(code).Consultations, name)
	}
	c.State = cdomain.Evolve(c.State, cdomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	c.History = append(c.History, stored(e))
}

// applySurvey: stream survey.<council code>.<id>.
func (m *Model) applySurvey(e *eventstore.Event, payload proto.Message) {
	rec, first := payload.(*consultationseventsv1.SurveyResultsRecorded)
	var name string
	if first {
		name = cdomain.SurveyName(rec.GetCouncil(), rec.GetSurveyId())
	}
	name, ok := m.named(e.Stream, name, rec.GetCouncil(), first)
	if !ok {
		return
	}
	s := m.mech.Surveys[name]
	if s == nil {
		s = &Survey{}
		m.mech.Surveys[name] = s
		code := streamCode(e.Stream)
		m.council(code).Surveys = append(m.council(code).Surveys, name)
	}
	s.State = cdomain.EvolveSurvey(s.State, cdomain.Recorded{ID: e.ID, Payload: payload, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt, Actor: e.Actor})
	s.History = append(s.History, stored(e))
}

// visible says whether a stored event counts as of a.
func visible(h StoredEvent, a AsOf) (include, stop bool) {
	if a.Position > 0 && h.Position > a.Position {
		return false, true
	}
	if !a.ValidTime.IsZero() && h.OccurredAt.After(a.ValidTime) {
		return false, false
	}
	return true, false
}

func (m *Model) bodyAt(b *Body, a AsOf) (adomain.State, bool) {
	if a.Latest() {
		return b.State, true
	}
	var st adomain.State
	for _, h := range b.History {
		in, stop := visible(h, a)
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

func (m *Model) consultationAt(c *Consultation, a AsOf) (cdomain.State, bool) {
	if a.Latest() {
		return c.State, true
	}
	var st cdomain.State
	for _, h := range c.History {
		in, stop := visible(h, a)
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

// Body returns a body by its full resource name
// ("communes/50910101/advisoryBodies/equity-gender").
func (m *Model) Body(name string, a AsOf) (adomain.State, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.mech.Bodies[name]
	if !ok {
		return adomain.State{}, false
	}
	return m.bodyAt(b, a)
}

// Bodies returns a council's bodies, in set-up order.
func (m *Model) Bodies(code string, a AsOf) []adomain.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []adomain.State
	if c := m.mech.ByCouncil[code]; c != nil {
		for _, id := range c.Bodies {
			if st, ok := m.bodyAt(m.mech.Bodies[id], a); ok {
				out = append(out, st)
			}
		}
	}
	return out
}

// Consultation returns a consultation by its full resource name
// ("communes/50910101/consultations/{id}").
func (m *Model) Consultation(name string, a AsOf) (cdomain.State, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.mech.Consultations[name]
	if !ok {
		return cdomain.State{}, false
	}
	return m.consultationAt(c, a)
}

// Consultations returns a council's consultations, newest first.
func (m *Model) Consultations(code string, a AsOf) []cdomain.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []cdomain.State
	if c := m.mech.ByCouncil[code]; c != nil {
		for i := len(c.Consultations) - 1; i >= 0; i-- {
			if st, ok := m.consultationAt(m.mech.Consultations[c.Consultations[i]], a); ok {
				out = append(out, st)
			}
		}
	}
	return out
}

// MechanismFigures are a council's advisory and consultation figures.
type MechanismFigures struct {
	Bodies, Members, Women, Youth, Disability, Meetings int
	OpinionsAdopted, OpinionsAnswered                   int
	ResponsesFully, ResponsesPartly, ResponsesNot       int
	responseDays                                        []float64
	MedianDaysToResponse                                float64
	WorkingBody                                         bool

	Open, Answered, Expired, Withdrawn int
	Workshops, Participants            int
	PWomen, PYouth, PDisability        int
	SurveyResponses                    int
	scoreSum                           float64
	MeanSatisfaction                   float64
}

// Shares of the members and participants.
func (f MechanismFigures) WomenShare() float64      { return share(f.Women, f.Members) }
func (f MechanismFigures) YouthShare() float64      { return share(f.Youth, f.Members) }
func (f MechanismFigures) DisabilityShare() float64 { return share(f.Disability, f.Members) }
func (f MechanismFigures) WomenRate() float64       { return share(f.PWomen, f.Participants) }
func (f MechanismFigures) YouthRate() float64       { return share(f.PYouth, f.Participants) }
func (f MechanismFigures) DisabilityRate() float64  { return share(f.PDisability, f.Participants) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// mechanismFigures computes a council's figures as of a. Lock held.
func (m *Model) mechanismFigures(code string, a AsOf) MechanismFigures {
	var f MechanismFigures
	c := m.mech.ByCouncil[code]
	if c == nil {
		return f
	}
	for _, id := range c.Bodies {
		st, ok := m.bodyAt(m.mech.Bodies[id], a)
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
	for _, id := range c.Consultations {
		st, ok := m.consultationAt(m.mech.Consultations[id], a)
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
		s := m.mech.Surveys[id]
		for _, h := range s.History {
			if in, _ := visible(h, a); !in {
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

func (f *MechanismFigures) merge(o MechanismFigures) {
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

func (f *MechanismFigures) finish() {
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
	f.MeanSatisfaction = 0
	if f.SurveyResponses > 0 {
		f.MeanSatisfaction = f.scoreSum / float64(f.SurveyResponses)
	}
}

// MechanismFiguresAt returns a council's advisory and consultation figures
// as of a.
func (m *Model) MechanismFiguresAt(code string, a AsOf) MechanismFigures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.mechanismFigures(code, a)
}

// MechanismRollupAt returns the figures of every council under code
// (ordered by code), keyed by code, and their sum with the parent's own.
func (m *Model) MechanismRollupAt(code string, a AsOf) (map[string]MechanismFigures, MechanismFigures) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]MechanismFigures{code: m.mechanismFigures(code, a)}
	total := out[code]
	m.walk(code, func(c *tdomain.Council) {
		f := m.mechanismFigures(c.Code, a)
		out[c.Code] = f
		total.merge(f)
	})
	return out, total
}

func (b *Body) history() []StoredEvent         { return b.History }
func (c *Consultation) history() []StoredEvent { return c.History }
func (s *Survey) history() []StoredEvent       { return s.History }

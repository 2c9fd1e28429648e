// Package domain is the advisory-body aggregate: pure Decide and Evolve
// functions holding the rules of law 113-14 art. 120 (and law 112-14 art.
// 111, law 111-14 art. 117) and of the council's internal rules that the
// rulebook stands for. No I/O, no clock, no randomness: time and ids come
// in with each command.
package domain

import (
	"maps"
	"slices"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the advisory area's registered event types.
var EventTypes = []es.Type{
	{Name: "advisory.BodySetUp", Version: 1, Sample: &advisoryeventsv1.BodySetUp{}},
	{Name: "advisory.MemberJoined", Version: 1, Sample: &advisoryeventsv1.MemberJoined{}},
	{Name: "advisory.MemberLeft", Version: 1, Sample: &advisoryeventsv1.MemberLeft{}},
	{Name: "advisory.BureauRoleAssigned", Version: 1, Sample: &advisoryeventsv1.BureauRoleAssigned{}},
	{Name: "advisory.MeetingHeld", Version: 1, Sample: &advisoryeventsv1.MeetingHeld{}},
	{Name: "advisory.OpinionDrafted", Version: 1, Sample: &advisoryeventsv1.OpinionDrafted{}},
	{Name: "advisory.OpinionAdopted", Version: 1, Sample: &advisoryeventsv1.OpinionAdopted{}},
	{Name: "advisory.OpinionTransmitted", Version: 1, Sample: &advisoryeventsv1.OpinionTransmitted{}},
	{Name: "advisory.CouncilResponded", Version: 1, Sample: &advisoryeventsv1.CouncilResponded{}},
}

// Recorded is an event of the stream as Evolve sees it.
type Recorded = es.Recorded

// Event is what Decide produces: a payload and when it happened in the
// world (zero: when recorded).
type Event = es.Decided

// State is one advisory body (stream "body.<council code>.<body id>") as
// its events left it. Evolve never changes the maps or slices of the state
// it is given, so an earlier state stays valid after a later one is folded.
type State struct {
	Exists            bool
	ID                string
	Council           string
	Kind              advisoryeventsv1.BodyKind
	Name              string
	DecisionDate      string
	DecisionReference string
	QuorumPercent     int

	Members     map[string]Member
	MemberOrder []string
	Meetings    map[string]Meeting
	Opinions    map[string]Opinion
	// OpinionOrder lists opinion ids in the order they were drafted.
	OpinionOrder []string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Member is a member of the body, past or present.
type Member struct {
	Member     *advisoryeventsv1.Member
	BureauRole advisoryeventsv1.BureauRole
	Active     bool
	JoinedAt   time.Time
	LeftAt     time.Time
	LeftReason string
	// Replaces is the member this one replaced, if any.
	Replaces string
}

// Meeting is a meeting of the body.
type Meeting struct {
	ID              string
	Attendees       []string
	QuorumReached   bool
	MembersInOffice int
	At              time.Time
}

// Opinion is an opinion of the body.
type Opinion struct {
	ID            string
	Title         string
	Consultation  string
	Text          string
	State         advisoryeventsv1.OpinionState
	MeetingID     string
	VotesFor      int
	VotesAgainst  int
	Abstentions   int
	DraftedAt     time.Time
	AdoptedAt     time.Time
	TransmittedAt time.Time
	RespondedAt   time.Time
	Response      advisoryeventsv1.CouncilResponse
	Reasons       string
}

// Level returns the level of the body's council.
func (s *State) Level() Level { return LevelOf(s.Council) }

// Active returns the ids of the members in office, in the order they
// joined.
func (s *State) Active() []string {
	var ids []string
	for _, id := range s.MemberOrder {
		if s.Members[id].Active {
			ids = append(ids, id)
		}
	}
	return ids
}

// Holders returns the members in office who hold role, in the order they
// joined.
func (s *State) Holders(role advisoryeventsv1.BureauRole) []string {
	var ids []string
	for _, id := range s.MemberOrder {
		if m := s.Members[id]; m.Active && m.BureauRole == role {
			ids = append(ids, id)
		}
	}
	return ids
}

// Evolve applies one recorded event.
func Evolve(s State, e Recorded) State {
	s.UpdatedAt = e.RecordedAt
	switch p := e.Payload.(type) {
	case *advisoryeventsv1.BodySetUp:
		s.Exists = true
		s.ID, s.Council, s.Kind, s.Name = p.GetBodyId(), p.GetCouncil(), p.GetKind(), p.GetName()
		s.DecisionDate, s.DecisionReference = p.GetDecisionDate(), p.GetDecisionReference()
		s.QuorumPercent = int(p.GetQuorumPercent())
		if s.QuorumPercent == 0 {
			s.QuorumPercent = DefaultQuorumPercent
		}
		s.CreatedAt = e.RecordedAt
	case *advisoryeventsv1.MemberJoined:
		id := p.GetMember().GetMemberId()
		s.Members = maps.Clone(s.Members)
		if s.Members == nil {
			s.Members = map[string]Member{}
		}
		s.Members[id] = Member{Member: p.GetMember(), Active: true, JoinedAt: e.OccurredAt, Replaces: p.GetReplaces()}
		s.MemberOrder = append(slices.Clip(s.MemberOrder), id)
	case *advisoryeventsv1.MemberLeft:
		m, ok := s.Members[p.GetMemberId()]
		if !ok {
			break
		}
		// Leaving the body ends any office in its bureau.
		m.Active, m.LeftAt, m.LeftReason = false, e.OccurredAt, p.GetReason()
		m.BureauRole = advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED
		s.Members = maps.Clone(s.Members)
		s.Members[p.GetMemberId()] = m
	case *advisoryeventsv1.BureauRoleAssigned:
		m, ok := s.Members[p.GetMemberId()]
		if !ok {
			break
		}
		m.BureauRole = p.GetRole()
		s.Members = maps.Clone(s.Members)
		s.Members[p.GetMemberId()] = m
	case *advisoryeventsv1.MeetingHeld:
		s.Meetings = maps.Clone(s.Meetings)
		if s.Meetings == nil {
			s.Meetings = map[string]Meeting{}
		}
		s.Meetings[p.GetMeetingId()] = Meeting{
			ID: p.GetMeetingId(), Attendees: p.GetAttendees(), QuorumReached: p.GetQuorumReached(),
			MembersInOffice: int(p.GetMembersInOffice()), At: e.OccurredAt,
		}
	case *advisoryeventsv1.OpinionDrafted:
		s.Opinions = maps.Clone(s.Opinions)
		if s.Opinions == nil {
			s.Opinions = map[string]Opinion{}
		}
		s.Opinions[p.GetOpinionId()] = Opinion{
			ID: p.GetOpinionId(), Title: p.GetTitle(), Consultation: p.GetConsultation(), Text: p.GetText(),
			State: advisoryeventsv1.OpinionState_OPINION_STATE_DRAFT, DraftedAt: e.OccurredAt,
		}
		s.OpinionOrder = append(slices.Clip(s.OpinionOrder), p.GetOpinionId())
	case *advisoryeventsv1.OpinionAdopted:
		s = withOpinion(s, p.GetOpinionId(), func(o *Opinion) {
			o.State = advisoryeventsv1.OpinionState_OPINION_STATE_ADOPTED
			o.MeetingID = p.GetMeetingId()
			o.VotesFor, o.VotesAgainst, o.Abstentions = int(p.GetVotesFor()), int(p.GetVotesAgainst()), int(p.GetAbstentions())
			o.AdoptedAt = e.OccurredAt
		})
	case *advisoryeventsv1.OpinionTransmitted:
		s = withOpinion(s, p.GetOpinionId(), func(o *Opinion) {
			o.State = advisoryeventsv1.OpinionState_OPINION_STATE_TRANSMITTED
			o.TransmittedAt = e.OccurredAt
		})
	case *advisoryeventsv1.CouncilResponded:
		s = withOpinion(s, p.GetOpinionId(), func(o *Opinion) {
			o.State = advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED
			o.Response, o.Reasons = p.GetResponse(), p.GetReasons()
			o.RespondedAt = e.OccurredAt
		})
	}
	return s
}

// withOpinion returns s with opinion id changed by f, on a copy of the
// opinions map.
func withOpinion(s State, id string, f func(*Opinion)) State {
	o, ok := s.Opinions[id]
	if !ok {
		return s
	}
	f(&o)
	s.Opinions = maps.Clone(s.Opinions)
	s.Opinions[id] = o
	return s
}

package domain

import (
	"fmt"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Context is what every command is decided with.
type Context = es.Context

// Command is one act on an advisory body.
type Command interface{ isCommand() }

// SetUp records the council's decision setting up a body. ID may be empty
// (it is the kind's id, see BodyID); QuorumPercent 0 takes the rulebook's
// DefaultQuorumPercent.
type SetUp struct {
	ID                string
	Council           string
	Kind              advisoryeventsv1.BodyKind
	Name              string
	DecisionDate      string
	DecisionReference string
	QuorumPercent     int
}

// AddMember records a member joining, possibly in place of a member in
// office, who then leaves.
type AddMember struct {
	Member   *advisoryeventsv1.Member
	Replaces string
}

// RemoveMember records a member leaving (resignation, end of term).
type RemoveMember struct {
	MemberID string
	Reason   string
}

// AssignBureauRole gives a member in office an office in the bureau;
// BUREAU_ROLE_UNSPECIFIED takes away the office the member holds.
type AssignBureauRole struct {
	MemberID string
	Role     advisoryeventsv1.BureauRole
}

// RecordMeeting records a meeting and who attended. A zero At means now.
type RecordMeeting struct {
	MeetingID string
	Attendees []string
	At        time.Time
}

// DraftOpinion starts an opinion, on a consultation request or (empty
// Consultation) on the body's own initiative.
type DraftOpinion struct {
	OpinionID    string
	Title        string
	Consultation string
	Text         string
}

// AdoptOpinion records the vote adopting an opinion at a meeting.
type AdoptOpinion struct {
	OpinionID string
	MeetingID string
	For       int
	Against   int
	Abstain   int
}

// TransmitOpinion records that an adopted opinion was sent to the council.
// A zero At means now.
type TransmitOpinion struct {
	OpinionID string
	At        time.Time
}

// Respond records how the council took a transmitted opinion into account.
// A zero At means now.
type Respond struct {
	OpinionID string
	Response  advisoryeventsv1.CouncilResponse
	Reasons   string
	At        time.Time
}

func (SetUp) isCommand()            {}
func (AddMember) isCommand()        {}
func (RemoveMember) isCommand()     {}
func (AssignBureauRole) isCommand() {}
func (RecordMeeting) isCommand()    {}
func (DraftOpinion) isCommand()     {}
func (AdoptOpinion) isCommand()     {}
func (TransmitOpinion) isCommand()  {}
func (Respond) isCommand()          {}

// Field limits.
const (
	MaxName  = 200
	MaxTitle = 200
	MaxShort = 500
	MaxText  = 20000
	// clockSkew tolerates clocks a little ahead when checking "not in the
	// future".
	clockSkew = 5 * time.Minute
	// dateSkew: a calendar date has begun somewhere on Earth once UTC is
	// 14 hours short of its midnight, so a date is "after today" only
	// beyond that, whatever the council's time zone.
	dateSkew = 14 * time.Hour
)

var (
	idPattern           = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	councilPattern      = regexp.MustCompile(`^(communes|provinces|regions)/[A-Za-z0-9_-]{1,64}$`)
	consultationPattern = regexp.MustCompile(`^((?:communes|provinces|regions)/[A-Za-z0-9_-]{1,64})/consultations/[A-Za-z0-9_-]{1,64}$`)
)

// Decide decides one command against the body's state.
func Decide(s State, c Command, ctx Context) ([]Event, error) {
	if _, setUp := c.(SetUp); !setUp && !s.Exists {
		return nil, fault.New(fault.NotFound, ReasonBodyNotFound, "no such advisory body")
	}
	switch c := c.(type) {
	case SetUp:
		return decideSetUp(s, c, ctx)
	case AddMember:
		return decideAddMember(s, c)
	case RemoveMember:
		if err := requireText("reason", c.Reason, MaxShort, "say why the member leaves"); err != nil {
			return nil, err
		}
		if _, err := activeMember(s, "member_id", c.MemberID); err != nil {
			return nil, err
		}
		return one(&advisoryeventsv1.MemberLeft{MemberId: c.MemberID, Reason: strings.TrimSpace(c.Reason)}, time.Time{}), nil
	case AssignBureauRole:
		return decideBureauRole(s, c)
	case RecordMeeting:
		return decideMeeting(s, c, ctx)
	case DraftOpinion:
		return decideDraft(s, c)
	case AdoptOpinion:
		return decideAdopt(s, c)
	case TransmitOpinion:
		return decideTransmit(s, c, ctx)
	case Respond:
		return decideRespond(s, c, ctx)
	}
	return nil, fmt.Errorf("advisory: unknown command %T", c)
}

func one(p proto.Message, at time.Time) []Event {
	return []Event{{Payload: p, OccurredAt: at}}
}

func decideSetUp(s State, c SetUp, ctx Context) ([]Event, error) {
	if s.Exists {
		// The same set-up again is a retry: nothing more to record.
		quorum := c.QuorumPercent
		if quorum == 0 {
			quorum = DefaultQuorumPercent
		}
		if c.Council == s.Council && c.Kind == s.Kind && strings.TrimSpace(c.Name) == s.Name && c.DecisionDate == s.DecisionDate &&
			strings.TrimSpace(c.DecisionReference) == s.DecisionReference && quorum == s.QuorumPercent {
			return nil, nil
		}
		return nil, fault.New(fault.AlreadyExists, ReasonBodyExists, "the council already has its %s body, set up on %s", s.ID, s.DecisionDate)
	}
	if !councilPattern.MatchString(c.Council) {
		return nil, fault.Field("parent", "a council resource name: communes/{code}, provinces/{code} or regions/{code}")
	}
	level := LevelOf(c.Council)
	if BodyID(c.Kind) == "" {
		return nil, fault.Field("kind", "must be BODY_KIND_EQUITY_GENDER, BODY_KIND_YOUTH or BODY_KIND_ECONOMIC")
	}
	// Which bodies a council sets up is the law's: the equity and gender
	// body for communes (law 113-14 art. 120) and provinces (law 112-14
	// art. 111); that body, youth and economic questions for regions (law
	// 111-14 art. 117).
	if !KindAllowed(level, c.Kind) {
		return nil, fault.Rule(RuleKindNotAllowed, Article(level, RuleKindNotAllowed),
			"%s set up only %s bodies, not %s", level, kindNames(KindsFor(level)), kindName(c.Kind))
	}
	id := BodyID(c.Kind)
	if c.ID != "" && c.ID != id {
		return nil, fault.Field("body_id", "a body's id is its kind: %q", id)
	}
	if err := requireText("display_name", c.Name, MaxName, "name the body"); err != nil {
		return nil, err
	}
	day, err := time.Parse(time.DateOnly, c.DecisionDate)
	if err != nil {
		return nil, fault.Field("decision_date", "a date YYYY-MM-DD")
	}
	if day.After(ctx.Now.Add(dateSkew)) {
		return nil, fault.Field("decision_date", "%s is after today", c.DecisionDate)
	}
	if err := requireText("decision_reference", c.DecisionReference, MaxShort, "give the reference of the council's decision"); err != nil {
		return nil, err
	}
	quorum := c.QuorumPercent
	if quorum == 0 {
		quorum = DefaultQuorumPercent
	}
	if quorum < 1 || quorum > 100 {
		return nil, fault.Field("quorum_percent", "1-100, or 0 for the rulebook's default (%d)", DefaultQuorumPercent)
	}
	return one(&advisoryeventsv1.BodySetUp{
		BodyId: id, Council: c.Council, Kind: c.Kind, Name: strings.TrimSpace(c.Name),
		DecisionDate: c.DecisionDate, DecisionReference: strings.TrimSpace(c.DecisionReference),
		QuorumPercent: int32(quorum),
	}, time.Time{}), nil
}

func decideAddMember(s State, c AddMember) ([]Event, error) {
	m := c.Member
	if m == nil {
		return nil, fault.Field("member", "required")
	}
	id := m.GetMemberId()
	if !idPattern.MatchString(id) {
		return nil, fault.Field("member.member_id", "1-64 letters, digits, '-' or '_'")
	}
	// An id names one person for the body's whole history: composition
	// figures and past attendance would be wrong if it were reused.
	if old, ok := s.Members[id]; ok {
		// The same member added again (a retry) is already recorded.
		retry := proto.Clone(m).(*advisoryeventsv1.Member)
		retry.Affiliation = strings.TrimSpace(retry.GetAffiliation())
		if old.Active && old.Replaces == c.Replaces && proto.Equal(old.Member, retry) {
			return nil, nil
		}
		if old.Active {
			return nil, fault.New(fault.AlreadyExists, ReasonMemberExists, "member %s is already in office", id)
		}
		return nil, fault.New(fault.AlreadyExists, ReasonMemberExists, "member id %s was used by a member who left; ids are never reused", id)
	}
	switch m.GetSex() {
	case advisoryeventsv1.Sex_SEX_FEMALE, advisoryeventsv1.Sex_SEX_MALE:
	default:
		return nil, fault.Field("member.sex", "FEMALE or MALE")
	}
	switch m.GetAgeBand() {
	case advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, advisoryeventsv1.AgeBand_AGE_BAND_ADULT, advisoryeventsv1.AgeBand_AGE_BAND_SENIOR:
	default:
		return nil, fault.Field("member.age_band", "YOUTH, ADULT or SENIOR")
	}
	if !utf8.ValidString(m.GetAffiliation()) || utf8.RuneCountInString(m.GetAffiliation()) > MaxShort {
		return nil, fault.Field("member.affiliation", "at most %d characters of text", MaxShort)
	}
	joined := proto.Clone(m).(*advisoryeventsv1.Member)
	joined.Affiliation = strings.TrimSpace(joined.GetAffiliation())
	if c.Replaces == "" {
		return one(&advisoryeventsv1.MemberJoined{Member: joined}, time.Time{}), nil
	}
	// The member replaced leaves, with their office if they held one; the
	// newcomer takes no office until one is assigned.
	if _, err := activeMember(s, "replaces", c.Replaces); err != nil {
		return nil, err
	}
	return []Event{
		{Payload: &advisoryeventsv1.MemberLeft{MemberId: c.Replaces, Reason: "replaced by " + id}},
		{Payload: &advisoryeventsv1.MemberJoined{Member: joined, Replaces: c.Replaces}},
	}, nil
}

func decideBureauRole(s State, c AssignBureauRole) ([]Event, error) {
	limit, known := BureauLimits[c.Role]
	if !known && c.Role != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED {
		return nil, fault.Field("role", "must be BUREAU_ROLE_PRESIDENT, BUREAU_ROLE_VICE_PRESIDENT, BUREAU_ROLE_RAPPORTEUR, BUREAU_ROLE_DEPUTY_RAPPORTEUR, or BUREAU_ROLE_UNSPECIFIED to leave the bureau")
	}
	m, err := activeMember(s, "member_id", c.MemberID)
	if err != nil {
		return nil, err
	}
	if m.BureauRole == c.Role {
		if c.Role == advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED {
			return nil, fault.New(fault.FailedPrecondition, ReasonWrongState, "member %s holds no office", c.MemberID)
		}
		return nil, fault.New(fault.FailedPrecondition, ReasonWrongState, "member %s is already %s", c.MemberID, roleName(c.Role))
	}
	if c.Role != advisoryeventsv1.BureauRole_BUREAU_ROLE_UNSPECIFIED {
		// The bureau's offices and how many hold each are the council's
		// internal rules' (law 113-14 art. 120 (check)); the rulebook holds
		// one commune's.
		if holders := s.Holders(c.Role); len(holders) >= limit {
			level := s.Level()
			return nil, fault.Rule(RuleBureauRoleTaken, Article(level, RuleBureauRoleTaken),
				"the bureau has %d %s office(s), held by %s", limit, roleName(c.Role), strings.Join(holders, ", "))
		}
	}
	return one(&advisoryeventsv1.BureauRoleAssigned{MemberId: c.MemberID, Role: c.Role}, time.Time{}), nil
}

func decideMeeting(s State, c RecordMeeting, ctx Context) ([]Event, error) {
	if !idPattern.MatchString(c.MeetingID) {
		return nil, fault.Field("meeting_id", "1-64 letters, digits, '-' or '_'")
	}
	if old, ok := s.Meetings[c.MeetingID]; ok {
		// The same meeting recorded again (a retry) is already recorded.
		if slices.Equal(old.Attendees, c.Attendees) && (c.At.IsZero() || c.At.Equal(old.At)) {
			return nil, nil
		}
		return nil, fault.New(fault.AlreadyExists, ReasonMeetingExists, "meeting %s is already recorded, with other facts", c.MeetingID)
	}
	if len(c.Attendees) == 0 {
		return nil, fault.Field("attendees", "name the members present")
	}
	seen := make(map[string]bool, len(c.Attendees))
	for _, id := range c.Attendees {
		if seen[id] {
			return nil, fault.Field("attendees", "%q is listed twice", id)
		}
		seen[id] = true
		m, ok := s.Members[id]
		if !ok {
			return nil, fault.New(fault.NotFound, ReasonMemberNotFound, "no member %s in this body", id)
		}
		if !m.Active {
			return nil, fault.Field("attendees", "%q is not a member in office", id)
		}
	}
	if err := notFuture("meet_time", c.At, ctx.Now); err != nil {
		return nil, err
	}
	// The quorum is a share of the members in office when the body meets
	// (council's internal rules, law 113-14 art. 120 (check)); computed in
	// integers so that 50 % of 21 needs 11, not 10.
	inOffice := len(s.Active())
	reached := len(c.Attendees)*100 >= s.QuorumPercent*inOffice
	return one(&advisoryeventsv1.MeetingHeld{
		MeetingId: c.MeetingID, Attendees: append([]string(nil), c.Attendees...),
		QuorumReached: reached, MembersInOffice: int32(inOffice),
	}, c.At), nil
}

func decideDraft(s State, c DraftOpinion) ([]Event, error) {
	if !idPattern.MatchString(c.OpinionID) {
		return nil, fault.Field("opinion_id", "1-64 letters, digits, '-' or '_'")
	}
	if _, ok := s.Opinions[c.OpinionID]; ok {
		return nil, fault.New(fault.AlreadyExists, ReasonOpinionExists, "opinion %s already exists", c.OpinionID)
	}
	if err := requireText("title", c.Title, MaxTitle, "give the opinion's subject"); err != nil {
		return nil, err
	}
	if err := requireText("text", c.Text, MaxText, "give the draft's text"); err != nil {
		return nil, err
	}
	// A referral is a consultation request of the body's own council; an
	// empty consultation is the body's own initiative.
	if c.Consultation != "" {
		match := consultationPattern.FindStringSubmatch(c.Consultation)
		if match == nil {
			return nil, fault.Field("consultation", "a consultation resource name: {communes|provinces|regions}/{code}/consultations/{id}")
		}
		if match[1] != s.Council {
			return nil, fault.Field("consultation", "%s is not a consultation of %s", c.Consultation, s.Council)
		}
	}
	return one(&advisoryeventsv1.OpinionDrafted{
		OpinionId: c.OpinionID, Title: strings.TrimSpace(c.Title), Consultation: c.Consultation, Text: strings.TrimSpace(c.Text),
	}, time.Time{}), nil
}

func decideAdopt(s State, c AdoptOpinion) ([]Event, error) {
	for _, v := range []struct {
		field string
		n     int
	}{{"votes_for", c.For}, {"votes_against", c.Against}, {"abstentions", c.Abstain}} {
		if v.n < 0 {
			return nil, fault.Field(v.field, "cannot be negative")
		}
	}
	if c.MeetingID == "" {
		return nil, fault.Field("meeting_id", "name the meeting that voted")
	}
	op, err := opinion(s, c.OpinionID)
	if err != nil {
		return nil, err
	}
	if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_DRAFT {
		return nil, wrongState(op, "adopt")
	}
	mt, ok := s.Meetings[c.MeetingID]
	if !ok {
		return nil, fault.New(fault.NotFound, ReasonMeetingNotFound, "no meeting %s: record the meeting first", c.MeetingID)
	}
	level := s.Level()
	// Working rules come from the council's internal rules (law 113-14
	// art. 120 (check)): a meeting without its quorum adopts nothing, only
	// members present vote, and an opinion needs more votes for than
	// against.
	if !mt.QuorumReached {
		return nil, fault.Rule(RuleQuorum, Article(level, RuleQuorum),
			"meeting %s had %d of %d members in office present, short of its quorum of %d%%",
			mt.ID, len(mt.Attendees), mt.MembersInOffice, s.QuorumPercent)
	}
	if votes := c.For + c.Against + c.Abstain; votes > len(mt.Attendees) {
		return nil, fault.Rule(RuleVotesExceedAttendance, Article(level, RuleVotesExceedAttendance),
			"%d votes (%d for, %d against, %d abstaining) but %d members present at meeting %s",
			votes, c.For, c.Against, c.Abstain, len(mt.Attendees), mt.ID)
	}
	if c.For <= c.Against {
		return nil, fault.Rule(RuleMajority, Article(level, RuleMajority),
			"%d for and %d against: an opinion needs more votes for than against", c.For, c.Against)
	}
	return one(&advisoryeventsv1.OpinionAdopted{
		OpinionId: c.OpinionID, MeetingId: c.MeetingID,
		VotesFor: int32(c.For), VotesAgainst: int32(c.Against), Abstentions: int32(c.Abstain),
	}, mt.At), nil
}

func decideTransmit(s State, c TransmitOpinion, ctx Context) ([]Event, error) {
	op, err := opinion(s, c.OpinionID)
	if err != nil {
		return nil, err
	}
	if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_ADOPTED {
		return nil, wrongState(op, "transmit")
	}
	if err := notFuture("transmit_time", c.At, ctx.Now); err != nil {
		return nil, err
	}
	if !c.At.IsZero() && c.At.Before(op.AdoptedAt) {
		return nil, fault.Field("transmit_time", "before the opinion was adopted (%s)", op.AdoptedAt.Format(time.RFC3339))
	}
	return one(&advisoryeventsv1.OpinionTransmitted{OpinionId: c.OpinionID}, c.At), nil
}

func decideRespond(s State, c Respond, ctx Context) ([]Event, error) {
	op, err := opinion(s, c.OpinionID)
	if err != nil {
		return nil, err
	}
	// The law does not oblige the council to follow an opinion; what it
	// answers, once, is what makes it accountable (DOMAIN.md §3).
	if op.State == advisoryeventsv1.OpinionState_OPINION_STATE_RESPONDED {
		return nil, fault.New(fault.FailedPrecondition, ReasonAlreadyResponded,
			"the council already responded to opinion %s on %s", op.ID, op.RespondedAt.Format(time.DateOnly))
	}
	if op.State != advisoryeventsv1.OpinionState_OPINION_STATE_TRANSMITTED {
		return nil, wrongState(op, "respond to")
	}
	switch c.Response {
	case advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY, advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY, advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_NOT:
	default:
		return nil, fault.Field("response", "FULLY, PARTLY or NOT")
	}
	if err := requireText("reasons", c.Reasons, MaxText, "give the council's reasons"); err != nil {
		return nil, err
	}
	if err := notFuture("response_time", c.At, ctx.Now); err != nil {
		return nil, err
	}
	at := c.At
	if at.IsZero() {
		at = ctx.Now
	}
	if at.Before(op.TransmittedAt) {
		return nil, fault.Field("response_time", "before the opinion was transmitted (%s)", op.TransmittedAt.Format(time.RFC3339))
	}
	return one(&advisoryeventsv1.CouncilResponded{OpinionId: c.OpinionID, Response: c.Response, Reasons: strings.TrimSpace(c.Reasons)}, c.At), nil
}

// activeMember returns member id, who must be in office.
func activeMember(s State, field, id string) (Member, error) {
	if id == "" {
		return Member{}, fault.Field(field, "name the member")
	}
	m, ok := s.Members[id]
	if !ok {
		return Member{}, fault.New(fault.NotFound, ReasonMemberNotFound, "no member %s in this body", id)
	}
	if !m.Active {
		return Member{}, fault.New(fault.FailedPrecondition, ReasonMemberNotActive, "member %s left the body (%s)", id, m.LeftReason)
	}
	return m, nil
}

func opinion(s State, id string) (Opinion, error) {
	op, ok := s.Opinions[id]
	if !ok {
		return Opinion{}, fault.New(fault.NotFound, ReasonOpinionNotFound, "no opinion %q in this body", id)
	}
	return op, nil
}

func wrongState(op Opinion, act string) error {
	return fault.New(fault.FailedPrecondition, ReasonWrongState, "cannot %s opinion %s: it is %s", act, op.ID, OpinionStateName(op.State))
}

func requireText(field, v string, max int, missing string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return fault.Field(field, "%s", missing)
	}
	if !utf8.ValidString(v) {
		return fault.Field(field, "not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fault.Field(field, "%d characters, at most %d", n, max)
	}
	return nil
}

func notFuture(field string, t, now time.Time) error {
	if !t.IsZero() && t.After(now.Add(clockSkew)) {
		return fault.Field(field, "cannot be in the future")
	}
	return nil
}

// OpinionStateName returns a state's short name ("ADOPTED").
func OpinionStateName(st advisoryeventsv1.OpinionState) string {
	return strings.TrimPrefix(st.String(), "OPINION_STATE_")
}

func roleName(r advisoryeventsv1.BureauRole) string {
	return strings.TrimPrefix(r.String(), "BUREAU_ROLE_")
}

func kindName(k advisoryeventsv1.BodyKind) string {
	return strings.TrimPrefix(k.String(), "BODY_KIND_")
}

func kindNames(ks []advisoryeventsv1.BodyKind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = kindName(k)
	}
	return strings.Join(names, ", ")
}

package domain

import (
	"fmt"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Context is what every command is decided with.
type Context = es.Context

// Command is one act on a consultation.
type Command interface{ isCommand() }

// Request records a consultation request: the council asks an advisory
// body (Body, its resource name) or the public (Body empty) for its view
// on a subject by a deadline ("YYYY-MM-DD").
type Request struct {
	ID          string
	Council     string
	Requester   consultationseventsv1.Requester
	Committee   string
	Body        string
	SubjectKind consultationseventsv1.SubjectKind
	SubjectRef  string
	Title       string
	Deadline    string
}

// Acknowledge records that the addressee acknowledged the request.
type Acknowledge struct{}

// RecordWorkshop records a workshop of a public consultation.
type RecordWorkshop struct {
	Workshop *consultationseventsv1.WorkshopHeld
}

// CompletePhase ends the next phase of an action-programme consultation.
type CompletePhase struct{ Phase consultationseventsv1.Phase }

// Answer records the view given: a body's adopted opinion (its resource
// name) or the synthesis of a public consultation.
type Answer struct {
	Opinion   string
	Synthesis string
}

// Withdraw withdraws the request.
type Withdraw struct{ Reason string }

func (Request) isCommand()        {}
func (Acknowledge) isCommand()    {}
func (RecordWorkshop) isCommand() {}
func (CompletePhase) isCommand()  {}
func (Answer) isCommand()         {}
func (Withdraw) isCommand()       {}

// Field limits.
const (
	MaxTitle     = 200
	MaxShort     = 500
	MaxSynthesis = 10000
	MaxReason    = 10000
)

// phaseOrder is the order of an action programme's preparation (decree
// 2.16.301): launch meeting, diagnosis workshops, presentation of the
// diagnosis and ranking of priorities, programming, adoption.
var phaseOrder = []consultationseventsv1.Phase{
	consultationseventsv1.Phase_PHASE_LAUNCH,
	consultationseventsv1.Phase_PHASE_DIAGNOSIS,
	consultationseventsv1.Phase_PHASE_PRIORITIES,
	consultationseventsv1.Phase_PHASE_PROGRAMMING,
	consultationseventsv1.Phase_PHASE_ADOPTION,
}

// open are the states in which a consultation awaits its answer.
var open = []consultationseventsv1.ConsultationState{
	consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED,
	consultationseventsv1.ConsultationState_CONSULTATION_STATE_ACKNOWLEDGED,
	consultationseventsv1.ConsultationState_CONSULTATION_STATE_IN_PROGRESS,
}

// Decide decides one command against the consultation's state.
func Decide(s State, c Command, ctx Context) ([]Event, error) {
	if _, isRequest := c.(Request); !isRequest && !s.Exists {
		return nil, fault.New(fault.NotFound, "CONSULTATION_NOT_FOUND", "no such consultation")
	}
	switch c := c.(type) {
	case Request:
		return decideRequest(s, c, ctx)
	case Acknowledge:
		if err := requireOpen(s, ctx, "acknowledge", consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED); err != nil {
			return nil, err
		}
		return one(&consultationseventsv1.ConsultationAcknowledged{}), nil
	case RecordWorkshop:
		return decideWorkshop(s, c, ctx)
	case CompletePhase:
		return decidePhase(s, c, ctx)
	case Answer:
		return decideAnswer(s, c, ctx)
	case Withdraw:
		reason := strings.TrimSpace(c.Reason)
		if err := text("reason", reason, MaxReason); err != nil {
			return nil, err
		}
		// An expired request may still be withdrawn: it closes the case.
		if !slices.Contains(open, s.Status) {
			return nil, wrongState(s, ctx, "withdraw")
		}
		return one(&consultationseventsv1.ConsultationWithdrawn{Reason: reason}), nil
	}
	return nil, fmt.Errorf("consultations: unknown command %T", c)
}

func one(p proto.Message) []Event { return []Event{{Payload: p}} }

func decideRequest(s State, c Request, ctx Context) ([]Event, error) {
	if s.Exists {
		return nil, fault.New(fault.AlreadyExists, "CONSULTATION_EXISTS", "consultation %s already exists", c.ID)
	}
	if c.ID == "" {
		return nil, fmt.Errorf("consultations: request without an id")
	}
	if !councilPattern.MatchString(c.Council) {
		return nil, fault.Field("parent", "%q is not a council: want communes/{code}, provinces/{code} or regions/{code}", c.Council)
	}
	committee := strings.TrimSpace(c.Committee)
	switch c.Requester {
	case consultationseventsv1.Requester_REQUESTER_COMMITTEE:
		if err := text("committee", committee, MaxShort); err != nil {
			return nil, fault.Field("committee", "name the standing committee that asks (1-%d characters)", MaxShort)
		}
	case consultationseventsv1.Requester_REQUESTER_PRESIDENT, consultationseventsv1.Requester_REQUESTER_BUREAU:
		if committee != "" {
			return nil, fault.Field("committee", "only a committee's request names a committee")
		}
	default:
		return nil, fault.Field("requester", "PRESIDENT, BUREAU or COMMITTEE")
	}
	if c.Body != "" {
		// A council consults its own advisory bodies.
		if !bodyPattern.MatchString(c.Body) || !strings.HasPrefix(c.Body, c.Council+"/advisoryBodies/") {
			return nil, fault.Field("body", "%q is not an advisory body of %s: want %s/advisoryBodies/{body}", c.Body, c.Council, c.Council)
		}
	}
	ref := strings.TrimSpace(c.SubjectRef)
	switch c.SubjectKind {
	case consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION:
		if !petitionPattern.MatchString(ref) {
			return nil, fault.Field("subject_ref", "name the petition: {communes|provinces|regions}/{code}/petitions/{petition}")
		}
		// A council consults on a petition addressed to it, not another
		// council's.
		if !strings.HasPrefix(ref, c.Council+"/petitions/") {
			return nil, fault.Field("subject_ref", "%q is not a petition of %s: want %s/petitions/{petition}", ref, c.Council, c.Council)
		}
	case consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET, consultationseventsv1.SubjectKind_SUBJECT_KIND_OTHER:
		if utf8.RuneCountInString(ref) > MaxShort {
			return nil, fault.Field("subject_ref", "at most %d characters", MaxShort)
		}
	default:
		return nil, fault.Field("subject_kind", "must be SUBJECT_KIND_ACTION_PROGRAMME, SUBJECT_KIND_BUDGET, SUBJECT_KIND_PETITION or SUBJECT_KIND_OTHER")
	}
	title := strings.TrimSpace(c.Title)
	if err := text("title", title, MaxTitle); err != nil {
		return nil, err
	}
	day, err := parseDay(c.Deadline)
	if err != nil {
		return nil, fault.Field("deadline", "a date YYYY-MM-DD")
	}
	if day.Before(today(ctx.Now)) {
		return nil, fault.Field("deadline", "%s is in the past", c.Deadline)
	}
	return one(&consultationseventsv1.ConsultationRequested{
		ConsultationId: c.ID, Council: c.Council, Requester: c.Requester, Committee: committee,
		Body: c.Body, SubjectKind: c.SubjectKind, SubjectRef: ref, Title: title, Deadline: c.Deadline,
	}), nil
}

func decideWorkshop(s State, c RecordWorkshop, ctx Context) ([]Event, error) {
	w := c.Workshop
	if w == nil {
		return nil, fault.Field("workshop", "required")
	}
	if !idPattern.MatchString(w.GetWorkshopId()) {
		return nil, fault.Field("workshop.workshop_id", "1-64 of A-Z, a-z, 0-9, '_' or '-'")
	}
	day, err := parseDay(w.GetDate())
	if err != nil {
		return nil, fault.Field("workshop.date", "a date YYYY-MM-DD")
	}
	if day.After(today(ctx.Now)) {
		return nil, fault.Field("workshop.date", "%s is in the future", w.GetDate())
	}
	place, theme := strings.TrimSpace(w.GetPlace()), strings.TrimSpace(w.GetTheme())
	if err := text("workshop.place", place, MaxShort); err != nil {
		return nil, err
	}
	if err := text("workshop.theme", theme, MaxShort); err != nil {
		return nil, err
	}
	if w.GetParticipants() <= 0 {
		return nil, fault.Field("workshop.participants", "at least one participant")
	}
	if w.GetContributions() < 0 {
		return nil, fault.Field("workshop.contributions", "cannot be negative")
	}
	if err := requireOpen(s, ctx, "record a workshop", open...); err != nil {
		return nil, err
	}
	level := s.Level()
	// Workshops gather citizens and associations; an advisory body gives
	// its view through an opinion instead (law 113-14 art. 119).
	if !s.Public() {
		return nil, fault.Rule(RuleWorkshopsArePublic, Article(level, RuleWorkshopsArePublic),
			"workshops belong to public consultations; %s answers with an opinion", s.Body)
	}
	for _, held := range s.Workshops {
		if held.GetWorkshopId() == w.GetWorkshopId() {
			// The same workshop recorded again (a retry) is already
			// recorded; other facts under its id are refused.
			retry := proto.Clone(w).(*consultationseventsv1.WorkshopHeld)
			retry.Place, retry.Theme = place, theme
			if proto.Equal(held, retry) {
				return nil, nil
			}
			return nil, fault.New(fault.AlreadyExists, "WORKSHOP_EXISTS", "workshop %s is already recorded, with other facts", w.GetWorkshopId())
		}
	}
	// Participation is reported by sex, youth and disability, each a share
	// of the participants (law 113-14 art. 119: the mechanisms' records).
	var bad []string
	for _, f := range []struct {
		name string
		n    int32
	}{{"women", w.GetWomen()}, {"youth", w.GetYouth()}, {"disability", w.GetDisability()}} {
		if f.n < 0 || f.n > w.GetParticipants() {
			bad = append(bad, fmt.Sprintf("%s %d", f.name, f.n))
		}
	}
	if len(bad) > 0 {
		return nil, fault.Rule(RuleParticipantCounts, Article(level, RuleParticipantCounts),
			"each count must be between 0 and the %d participants: %s", w.GetParticipants(), strings.Join(bad, ", "))
	}
	held := proto.Clone(w).(*consultationseventsv1.WorkshopHeld)
	held.Place, held.Theme = place, theme
	return one(held), nil
}

func decidePhase(s State, c CompletePhase, ctx Context) ([]Event, error) {
	if !slices.Contains(phaseOrder, c.Phase) {
		return nil, fault.Field("phase", "LAUNCH, DIAGNOSIS, PRIORITIES, PROGRAMMING or ADOPTION")
	}
	if err := requireOpen(s, ctx, "complete a phase", open...); err != nil {
		return nil, err
	}
	level := s.Level()
	// Phases are those of the action programme's preparation (law 113-14
	// arts. 78-82, decree 2.16.301).
	if s.SubjectKind != consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME {
		return nil, fault.Rule(RuleNotActionProgramme, Article(level, RuleNotActionProgramme),
			"only an action-programme consultation has phases")
	}
	// The phases follow one another: launch, diagnosis, priorities,
	// programming, adoption (decree 2.16.301).
	if len(s.Phases) >= len(phaseOrder) {
		return nil, fault.Rule(RulePhaseOrder, Article(level, RulePhaseOrder),
			"every phase is completed; %s cannot be completed again", PhaseName(c.Phase))
	}
	if expected := phaseOrder[len(s.Phases)]; c.Phase != expected {
		return nil, fault.Rule(RulePhaseOrder, Article(level, RulePhaseOrder),
			"the next phase is %s, not %s", PhaseName(expected), PhaseName(c.Phase))
	}
	// The diagnosis is made in workshops in neighbourhoods and villages
	// with associations and citizens (decree 2.16.301).
	if c.Phase == consultationseventsv1.Phase_PHASE_DIAGNOSIS && len(s.Workshops) == 0 {
		return nil, fault.Rule(RuleDiagnosisWorkshop, Article(level, RuleDiagnosisWorkshop),
			"record at least one diagnosis workshop before completing DIAGNOSIS")
	}
	return one(&consultationseventsv1.PhaseCompleted{Phase: c.Phase}), nil
}

func decideAnswer(s State, c Answer, ctx Context) ([]Event, error) {
	synthesis := strings.TrimSpace(c.Synthesis)
	if s.Public() {
		if c.Opinion != "" {
			return nil, fault.Field("opinion", "a public consultation is answered by a synthesis, not an opinion")
		}
		if err := text("synthesis", synthesis, MaxSynthesis); err != nil {
			return nil, err
		}
	} else {
		// The body asked answers with one of its own opinions.
		if !bodyOf(c.Opinion, s.Body) {
			return nil, fault.Field("opinion", "name an opinion of %s: %s/opinions/{opinion}", s.Body, s.Body)
		}
		if synthesis != "" {
			return nil, fault.Field("synthesis", "an advisory body answers with an opinion, not a synthesis")
		}
	}
	if err := requireOpen(s, ctx, "answer", open...); err != nil {
		return nil, err
	}
	// A public action-programme consultation ends with the programme's
	// adoption in an ordinary session (law 113-14 art. 78-82, decree
	// 2.16.301). A body asked about the draft answers with its opinion
	// before adoption, so the rule does not apply to it.
	if s.SubjectKind == consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME && s.Public() &&
		!slices.Contains(s.Phases, consultationseventsv1.Phase_PHASE_ADOPTION) {
		return nil, fault.Rule(RulePACNotAdopted, Article(s.Level(), RulePACNotAdopted),
			"complete the ADOPTION phase before publishing the synthesis (%d of %d phases completed)", len(s.Phases), len(phaseOrder))
	}
	return one(&consultationseventsv1.ConsultationAnswered{Opinion: c.Opinion, Synthesis: synthesis}), nil
}

// requireOpen refuses an act on an expired request (CONSULTATION_EXPIRED)
// or outside the allowed states (WRONG_STATE).
func requireOpen(s State, ctx Context, act string, allowed ...consultationseventsv1.ConsultationState) error {
	// The request lapses at the end of its deadline day (law 113-14 art.
	// 119: the council asks for a view by a deadline).
	if s.Expired(ctx.Now) {
		return fault.Rule(RuleExpired, Article(s.Level(), RuleExpired),
			"cannot %s: the deadline %s has passed", act, s.DeadlineDay)
	}
	if !slices.Contains(allowed, s.Status) {
		return wrongState(s, ctx, act)
	}
	return nil
}

func wrongState(s State, ctx Context, act string) error {
	return fault.New(fault.FailedPrecondition, "WRONG_STATE", "cannot %s: the consultation is %s", act, StateName(s.StateAt(ctx.Now)))
}

// text checks a required, trimmed text of at most max characters.
func text(field, v string, max int) error {
	if v == "" {
		return fault.Field(field, "required")
	}
	if !utf8.ValidString(v) {
		return fault.Field(field, "not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return fault.Field(field, "%d characters, at most %d", n, max)
	}
	return nil
}

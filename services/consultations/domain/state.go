// Package domain is the consultation aggregate: pure Decide and Evolve
// functions holding the rules of dialogue and consultation (law 113-14 art.
// 119 and the matching articles of laws 112-14 and 111-14), of the action
// programme's preparation (law 113-14 arts. 78-82, decree 2.16.301), and a
// small survey aggregate for citizen satisfaction surveys. No I/O, no
// clock, no randomness: time and ids come in with each command.
package domain

import (
	"slices"
	"strings"
	"time"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the consultations area's registered event types.
var EventTypes = []es.Type{
	{Name: "consultations.ConsultationRequested", Version: 1, Sample: &consultationseventsv1.ConsultationRequested{}},
	{Name: "consultations.ConsultationAcknowledged", Version: 1, Sample: &consultationseventsv1.ConsultationAcknowledged{}},
	{Name: "consultations.PhaseCompleted", Version: 1, Sample: &consultationseventsv1.PhaseCompleted{}},
	{Name: "consultations.WorkshopHeld", Version: 1, Sample: &consultationseventsv1.WorkshopHeld{}},
	{Name: "consultations.ConsultationAnswered", Version: 1, Sample: &consultationseventsv1.ConsultationAnswered{}},
	{Name: "consultations.ConsultationWithdrawn", Version: 1, Sample: &consultationseventsv1.ConsultationWithdrawn{}},
	{Name: "consultations.SurveyResultsRecorded", Version: 1, Sample: &consultationseventsv1.SurveyResultsRecorded{}},
}

// Recorded is an event of the stream as Evolve sees it.
type Recorded = es.Recorded

// Event is what Decide produces: a payload and when it happened in the
// world (zero: when recorded).
type Event = es.Decided

// State is a consultation as its events left it.
type State struct {
	Exists      bool
	ID          string
	Council     string
	Requester   consultationseventsv1.Requester
	Committee   string
	Body        string // empty: a public consultation
	SubjectKind consultationseventsv1.SubjectKind
	SubjectRef  string
	Title       string
	// Deadline is the end of the deadline day: the next day, 00:00 UTC.
	Deadline time.Time
	// DeadlineDay is the deadline as requested, "YYYY-MM-DD".
	DeadlineDay string
	// Status is the stored state; it is never EXPIRED (see StateAt).
	Status           consultationseventsv1.ConsultationState
	Workshops        []*consultationseventsv1.WorkshopHeld
	Phases           []consultationseventsv1.Phase
	Opinion          string
	Synthesis        string
	WithdrawalReason string
	CreatedAt        time.Time
	AnsweredAt       time.Time
	UpdatedAt        time.Time
}

// Level returns the level of the council that asks.
func (s State) Level() Level { return LevelOf(s.Council) }

// Name returns the consultation's resource name.
func (s State) Name() string { return ConsultationName(s.Council, s.ID) }

// Public reports whether the public, not an advisory body, is asked.
func (s State) Public() bool { return s.Body == "" }

// Expired reports whether, at now, the deadline day is over and the
// request was neither answered nor withdrawn.
func (s State) Expired(now time.Time) bool {
	if !s.Exists || s.Deadline.IsZero() {
		return false
	}
	switch s.Status {
	case consultationseventsv1.ConsultationState_CONSULTATION_STATE_ANSWERED, consultationseventsv1.ConsultationState_CONSULTATION_STATE_WITHDRAWN:
		return false
	}
	return !now.Before(s.Deadline)
}

// StateAt returns the state shown at now: EXPIRED when Expired(now), else
// Status.
func (s State) StateAt(now time.Time) consultationseventsv1.ConsultationState {
	if s.Expired(now) {
		return consultationseventsv1.ConsultationState_CONSULTATION_STATE_EXPIRED
	}
	return s.Status
}

// Evolve applies one recorded event.
func Evolve(s State, e Recorded) State {
	s.UpdatedAt = e.RecordedAt
	switch p := e.Payload.(type) {
	case *consultationseventsv1.ConsultationRequested:
		s.Exists = true
		s.ID, s.Council = p.GetConsultationId(), p.GetCouncil()
		s.Requester, s.Committee, s.Body = p.GetRequester(), p.GetCommittee(), p.GetBody()
		s.SubjectKind, s.SubjectRef, s.Title = p.GetSubjectKind(), p.GetSubjectRef(), p.GetTitle()
		s.DeadlineDay = p.GetDeadline()
		s.Deadline, _ = endOfDay(p.GetDeadline())
		s.Status = consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED
		s.CreatedAt = e.RecordedAt
	case *consultationseventsv1.ConsultationAcknowledged:
		s.Status = consultationseventsv1.ConsultationState_CONSULTATION_STATE_ACKNOWLEDGED
	case *consultationseventsv1.WorkshopHeld:
		// Clip so that states folded from a common past never share the
		// slice's backing array.
		s.Workshops = append(slices.Clip(s.Workshops), p)
		s.Status = underWay(s.Status)
	case *consultationseventsv1.PhaseCompleted:
		s.Phases = append(slices.Clip(s.Phases), p.GetPhase())
		s.Status = underWay(s.Status)
	case *consultationseventsv1.ConsultationAnswered:
		s.Opinion, s.Synthesis = p.GetOpinion(), p.GetSynthesis()
		s.AnsweredAt = e.OccurredAt
		s.Status = consultationseventsv1.ConsultationState_CONSULTATION_STATE_ANSWERED
	case *consultationseventsv1.ConsultationWithdrawn:
		s.WithdrawalReason = p.GetReason()
		s.Status = consultationseventsv1.ConsultationState_CONSULTATION_STATE_WITHDRAWN
	}
	return s
}

// underWay moves a requested or acknowledged consultation to IN_PROGRESS.
func underWay(st consultationseventsv1.ConsultationState) consultationseventsv1.ConsultationState {
	switch st {
	case consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED, consultationseventsv1.ConsultationState_CONSULTATION_STATE_ACKNOWLEDGED:
		return consultationseventsv1.ConsultationState_CONSULTATION_STATE_IN_PROGRESS
	}
	return st
}

// endOfDay returns the end of day "YYYY-MM-DD": the next day, 00:00 UTC
// (Africa/Casablanca wall time is not modelled).
func endOfDay(day string) (time.Time, error) {
	t, err := parseDay(day)
	if err != nil {
		return time.Time{}, err
	}
	return t.AddDate(0, 0, 1), nil
}

// parseDay parses "YYYY-MM-DD" as 00:00 UTC of that day.
func parseDay(day string) (time.Time, error) {
	return time.Parse(time.DateOnly, day)
}

// today returns 00:00 UTC of now's day.
func today(now time.Time) time.Time {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// StateName returns a state's short name ("IN_PROGRESS").
func StateName(st consultationseventsv1.ConsultationState) string {
	return strings.TrimPrefix(st.String(), "CONSULTATION_STATE_")
}

// PhaseName returns a phase's short name ("DIAGNOSIS").
func PhaseName(p consultationseventsv1.Phase) string {
	return strings.TrimPrefix(p.String(), "PHASE_")
}

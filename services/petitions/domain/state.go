// Package domain is the petition aggregate: pure Decide and Evolve
// functions holding the rules of law 113-14 arts. 121-125 (and the matching
// articles of laws 112-14 and 111-14). No I/O, no clock, no randomness:
// time, ids and the rulebook's numbers come in with each command.
package domain

import (
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the petitions area's registered event types.
var EventTypes = []es.Type{
	{Name: "petitions.PetitionDrafted", Version: 1, Sample: &petitionseventsv1.PetitionDrafted{}},
	{Name: "petitions.PetitionOpenedForSignatures", Version: 1, Sample: &petitionseventsv1.PetitionOpenedForSignatures{}},
	{Name: "petitions.PetitionDeposited", Version: 1, Sample: &petitionseventsv1.PetitionDeposited{}},
	{Name: "petitions.PetitionReferredToBureau", Version: 1, Sample: &petitionseventsv1.PetitionReferredToBureau{}},
	{Name: "petitions.AdmissibilityDecided", Version: 1, Sample: &petitionseventsv1.AdmissibilityDecided{}},
	{Name: "petitions.PetitionScheduled", Version: 1, Sample: &petitionseventsv1.PetitionScheduled{}},
	{Name: "petitions.PetitionReferredToCommittee", Version: 1, Sample: &petitionseventsv1.PetitionReferredToCommittee{}},
	{Name: "petitions.CommitteeReportRecorded", Version: 1, Sample: &petitionseventsv1.CommitteeReportRecorded{}},
	{Name: "petitions.PetitionDeliberated", Version: 1, Sample: &petitionseventsv1.PetitionDeliberated{}},
	{Name: "petitions.AgentNotified", Version: 1, Sample: &petitionseventsv1.AgentNotified{}},
	{Name: "petitions.PetitionWithdrawn", Version: 1, Sample: &petitionseventsv1.PetitionWithdrawn{}},
	{Name: "petitions.PetitionClosed", Version: 1, Sample: &petitionseventsv1.PetitionClosed{}},
	{Name: "petitions.RecordCorrected", Version: 1, Sample: &petitionseventsv1.RecordCorrected{}},
	{Name: "petitions.ReceiptIssued", Version: 1, Sample: &petitionseventsv1.ReceiptIssued{}},
	{Name: "petitions.SignatureAdded", Version: 1, Sample: &petitionseventsv1.SignatureAdded{}},
	{Name: "petitions.SignatureWithdrawn", Version: 1, Sample: &petitionseventsv1.SignatureWithdrawn{}},
	{Name: "petitions.SignatureStruck", Version: 1, Sample: &petitionseventsv1.SignatureStruck{}},
	{Name: "petitions.SignerListViewed", Version: 1, Sample: &petitionseventsv1.SignerListViewed{}},
	{Name: "petitions.PersonDataErased", Version: 1, Sample: &petitionseventsv1.PersonDataErased{}},
	{Name: "petitions.NationalIdBound", Version: 1, Sample: &petitionseventsv1.NationalIdBound{}},
	{Name: "petitions.AccountBound", Version: 1, Sample: &petitionseventsv1.AccountBound{}},
	{Name: "petitions.PetitionSubmittedForModeration", Version: 1, Sample: &petitionseventsv1.PetitionSubmittedForModeration{}},
	{Name: "petitions.PetitionModerationCleared", Version: 1, Sample: &petitionseventsv1.PetitionModerationCleared{}},
	{Name: "petitions.PetitionModerationRefused", Version: 1, Sample: &petitionseventsv1.PetitionModerationRefused{}},
	{Name: "petitions.PetitionAmended", Version: 1, Sample: &petitionseventsv1.PetitionAmended{}},
	{Name: "petitions.PetitionDocumentAttached", Version: 1, Sample: &petitionseventsv1.PetitionDocumentAttached{}},
	{Name: "petitions.PetitionDocumentErased", Version: 1, Sample: &petitionseventsv1.PetitionDocumentErased{}},
}

// Recorded is an event of the stream as Evolve sees it.
type Recorded = es.Recorded

// Event is what Decide produces: a payload and when it happened in the
// world (zero: when recorded).
type Event = es.Decided

// State is a petition as its events left it.
type State struct {
	Exists      bool
	ID          string
	Council     string
	Kind        petitionseventsv1.PetitionerKind
	Title       string
	Request     string
	Reasons     string
	Association *petitionseventsv1.Association
	Agent       string
	Status      petitionseventsv1.PetitionState
	// Published: the petition was cleared by moderation (or, in logs from
	// before moderation, opened for signatures) or deposited. Until then it
	// is its agent's draft, shown only to the agent and to the council's
	// staff.
	Published bool

	// Moderation before collection (moderation.go). Zero for a petition
	// that never went through moderation (every petition of a log from
	// before it), and then left out of the read models' JSON digest, so
	// such a log replays to the very same digest.
	SubmittedAt        time.Time                          `json:",omitzero"`
	ModerationDeadline time.Time                          `json:",omitzero"`
	ModerationGround   petitionseventsv1.ModerationGround `json:",omitzero"`
	ModerationReasons  string                             `json:",omitzero"`
	ModerationArticle  string                             `json:",omitzero"`
	ModeratedBy        string                             `json:",omitzero"`
	ModeratedAt        time.Time                          `json:",omitzero"`
	// Attachments are the attached supporting documents (documents.go);
	// Documents above are the labels listed at deposit.
	Attachments []Document `json:",omitzero"`

	ReceiptNumber  string
	ReceivedAt     time.Time
	DepositChannel petitionseventsv1.DepositChannel
	Deadline       time.Time
	DeadlineMonths int
	Documents      []string

	Decision         petitionseventsv1.Admissibility
	Checklist        *petitionseventsv1.Checklist
	DecisionReasons  string
	DecidedAt        time.Time
	DecidedBy        string
	DecisionNotified time.Time

	Session             string
	Committee           string
	CommitteeReport     string
	Outcome             petitionseventsv1.DeliberationOutcome
	OutcomeSummary      string
	OutcomeReference    string
	DeliberatedAt       time.Time
	OutcomeNotified     time.Time
	WithdrawalReason    string
	ClosingNote         string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	EventIDs            map[string]string // event id → type, for corrections
	Corrections         []*petitionseventsv1.RecordCorrected
	ValidAtDeposit      int32
	ThresholdAtDecision int32
}

// Public reports whether the petition may be shown to the public: it was
// opened for signatures or deposited. A draft never opened (even one
// withdrawn since) is not listed publicly nor in open data.
func (s *State) Public() bool { return s.Exists && s.Published }

// Level returns the level of the council the petition addresses.
func (s *State) Level() Level { return LevelOf(s.Council) }

// Decided reports whether the bureau has decided admissibility.
func (s *State) Decided() bool {
	return s.Decision != petitionseventsv1.Admissibility_ADMISSIBILITY_UNSPECIFIED
}

// Overdue reports whether, at now, the decision deadline has passed without
// a notified decision (law 113-14 art. 125: the president notifies a
// reasoned decision within the deadline).
func (s *State) Overdue(now time.Time) bool {
	if s.Deadline.IsZero() || !s.DecisionNotified.IsZero() {
		return false
	}
	switch s.Status {
	case petitionseventsv1.PetitionState_PETITION_STATE_WITHDRAWN, petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED, petitionseventsv1.PetitionState_PETITION_STATE_CLOSED:
		// Withdrawn, or examined by the council: nothing is awaited.
		return false
	}
	return now.After(s.Deadline)
}

// Evolve applies one recorded event.
func Evolve(s State, e Recorded) State {
	if s.EventIDs == nil {
		s.EventIDs = map[string]string{}
	}
	s.EventIDs[e.ID] = string(e.Payload.ProtoReflect().Descriptor().Name())
	s.UpdatedAt = e.RecordedAt
	if next, ok := evolveModeration(s, e); ok {
		return next
	}
	switch p := e.Payload.(type) {
	case *petitionseventsv1.PetitionDrafted:
		s.Exists = true
		s.ID, s.Council, s.Kind = p.GetPetitionId(), p.GetCouncil(), p.GetKind()
		s.Title, s.Request, s.Reasons = p.GetTitle(), p.GetRequest(), p.GetReasons()
		s.Association, s.Agent = p.GetAssociation(), p.GetAgent()
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_DRAFT
		s.CreatedAt = e.RecordedAt
	case *petitionseventsv1.PetitionOpenedForSignatures:
		// Logs from before moderation: opened straight to signatures, and
		// so they stay.
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING
		s.Published = true
	case *petitionseventsv1.PetitionDeposited:
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED
		s.Published = true
		s.ReceiptNumber = p.GetReceiptNumber()
		s.ReceivedAt = p.GetReceivedAt().AsTime()
		s.DepositChannel = p.GetChannel()
		s.Deadline = p.GetDecisionDeadline().AsTime()
		s.DeadlineMonths = monthsBetween(s.ReceivedAt, s.Deadline)
		s.Documents = p.GetDocuments()
		s.ValidAtDeposit = p.GetValidSignatures()
	case *petitionseventsv1.PetitionReferredToBureau:
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW
	case *petitionseventsv1.AdmissibilityDecided:
		s.Decision, s.Checklist, s.DecisionReasons = p.GetDecision(), p.GetChecklist(), p.GetReasons()
		s.DecidedAt, s.DecidedBy = e.OccurredAt, e.Actor.Subject
		s.ThresholdAtDecision = p.GetThreshold()
		if p.GetDecision() == petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE {
			s.Status = petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE
		} else {
			s.Status = petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE
		}
	case *petitionseventsv1.PetitionScheduled:
		s.Session = p.GetSession()
		if s.Status != petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE {
			s.Status = petitionseventsv1.PetitionState_PETITION_STATE_SCHEDULED
		}
	case *petitionseventsv1.PetitionReferredToCommittee:
		s.Committee = p.GetCommittee()
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE
	case *petitionseventsv1.CommitteeReportRecorded:
		s.CommitteeReport = p.GetSummary()
	case *petitionseventsv1.PetitionDeliberated:
		s.Outcome, s.OutcomeSummary, s.OutcomeReference = p.GetOutcome(), p.GetSummary(), p.GetReference()
		s.DeliberatedAt = e.OccurredAt
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED
	case *petitionseventsv1.AgentNotified:
		switch p.GetSubject() {
		case petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY:
			s.DecisionNotified = e.OccurredAt
		case petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME:
			s.OutcomeNotified = e.OccurredAt
		}
	case *petitionseventsv1.PetitionWithdrawn:
		s.WithdrawalReason = p.GetReason()
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_WITHDRAWN
	case *petitionseventsv1.PetitionClosed:
		s.ClosingNote = p.GetNote()
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_CLOSED
	case *petitionseventsv1.PetitionDocumentAttached:
		s.Attachments = append(s.Attachments, Document{ID: p.GetDocumentId(), Kind: p.GetKind(), FileName: p.GetFileName(), SHA256: p.GetSha256(),
			Size: p.GetSize(), MediaType: p.GetMediaType(), PersonalData: p.GetPersonalData(), Object: p.GetObject(),
			Sealed: p.GetSealed(), KeyID: p.GetKeyId(), AttachedBy: e.Actor.Subject, AttachedAt: e.OccurredAt})
	case *petitionseventsv1.PetitionDocumentErased:
		for i := range s.Attachments {
			if s.Attachments[i].ID == p.GetDocumentId() {
				s.Attachments[i].Erased, s.Attachments[i].ErasedAt = true, e.OccurredAt
			}
		}
	case *petitionseventsv1.RecordCorrected:
		s.Corrections = append(s.Corrections, p)
		applyCorrection(&s, p)
	}
	return s
}

// applyCorrection makes a correction take effect in the state; the
// corrected event itself stays in the log unchanged.
func applyCorrection(s *State, c *petitionseventsv1.RecordCorrected) {
	switch c.GetField() {
	case "received_at":
		if t, err := time.Parse(time.RFC3339, c.GetValue()); err == nil {
			s.ReceivedAt = t.UTC()
			s.Deadline = AddMonths(s.ReceivedAt, s.DeadlineMonths)
		}
	case "receipt_number":
		s.ReceiptNumber = c.GetValue()
	case "title":
		s.Title = c.GetValue()
	case "request":
		s.Request = c.GetValue()
	case "reasons":
		s.Reasons = c.GetValue()
	case "committee":
		s.Committee = c.GetValue()
	case "committee_report":
		s.CommitteeReport = c.GetValue()
	case "outcome_summary":
		s.OutcomeSummary = c.GetValue()
	case "decision_reasons":
		s.DecisionReasons = c.GetValue()
	}
}

// CorrectableFields lists what a correction may change.
var CorrectableFields = []string{"received_at", "receipt_number", "title", "request", "reasons", "committee", "committee_report", "outcome_summary", "decision_reasons"}

func monthsBetween(from, to time.Time) int {
	for m := 0; m < 24; m++ {
		if !AddMonths(from, m).Before(to) {
			return m
		}
	}
	return 0
}

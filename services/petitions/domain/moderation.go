package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Moderation before collection (issue 18): a petition the agent opens to
// online signatures is first screened by its council's staff (or the
// council's moderator) and becomes public only once cleared. A refusal
// names its ground (the constants of Constitution art. 1; a request outside
// the council's powers; insulting or personal content) with reasons the
// agent reads; the agent may amend the text and submit it again. Petitions
// opened before moderation existed (PetitionOpenedForSignatures in older
// logs) stay collecting and public, as they were.

// Moderate clears (Clear) or refuses a petition awaiting moderation.
type Moderate struct {
	Clear   bool
	Ground  petitionseventsv1.ModerationGround
	Reasons string
	Note    string
}

// Amend changes the text of a draft or of a refused petition (its agent).
type Amend struct {
	Title, Request, Reasons string
}

func (Moderate) isCommand() {}
func (Amend) isCommand()    {}

// RuleModerationReasons: a refusal by moderation must give reasons the
// agent can act on.
const RuleModerationReasons = "MODERATION_REASONS_REQUIRED"

// ModerationArticle names the text a refusal's ground comes from.
func ModerationArticle(level Level, g petitionseventsv1.ModerationGround) string {
	switch g {
	case petitionseventsv1.ModerationGround_MODERATION_GROUND_EXCLUDED_SUBJECT, petitionseventsv1.ModerationGround_MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS:
		// The petition chapter's first article: a request within the
		// council's powers, nothing touching the constants of art. 1.
		return Article(level, RuleExcludedSubject)
	case petitionseventsv1.ModerationGround_MODERATION_GROUND_INSULTING_OR_PERSONAL:
		return "law 09-08 (personal data); the council's moderation policy"
	}
	return ""
}

func decideOpen(s State, c OpenForSignatures, ctx Context) ([]Event, error) {
	if err := requireAgent(s, ctx, "open it to signatures"); err != nil {
		return nil, err
	}
	if err := requireState(s, "open to signatures", petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED); err != nil {
		return nil, err
	}
	if c.ModerationDays <= 0 {
		return nil, fmt.Errorf("petitions: rulebook gives no moderation deadline")
	}
	return one(&petitionseventsv1.PetitionSubmittedForModeration{
		ModerationDeadline: timestamppb.New(ctx.Now.UTC().AddDate(0, 0, c.ModerationDays)),
	}, time.Time{}), nil
}

func decideModerate(s State, c Moderate, ctx Context) ([]Event, error) {
	if err := requireState(s, "moderate", petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(c.Note) > MaxShort {
		return nil, fault.Field("note", "at most %d characters", MaxShort)
	}
	if c.Clear {
		if c.Ground != petitionseventsv1.ModerationGround_MODERATION_GROUND_UNSPECIFIED {
			return nil, fault.Field("ground", "a cleared petition has no refusal ground")
		}
		return one(&petitionseventsv1.PetitionModerationCleared{Note: strings.TrimSpace(c.Note)}, time.Time{}), nil
	}
	art := ModerationArticle(s.Level(), c.Ground)
	if art == "" {
		return nil, fault.Field("ground", "name the ground: MODERATION_GROUND_EXCLUDED_SUBJECT, MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS or MODERATION_GROUND_INSULTING_OR_PERSONAL")
	}
	reasons := strings.TrimSpace(c.Reasons)
	if utf8.RuneCountInString(reasons) > MaxReasons {
		return nil, fault.Field("reasons", "at most %d characters", MaxReasons)
	}
	if utf8.RuneCountInString(reasons) < MinDecisionReasons {
		return nil, fault.Rule(RuleModerationReasons, Article(s.Level(), RuleModerationReasons),
			"a refusal tells the agent why, so the petition can be amended (reasons of at least %d characters)", MinDecisionReasons)
	}
	return one(&petitionseventsv1.PetitionModerationRefused{Ground: c.Ground, Reasons: reasons, Article: art}, time.Time{}), nil
}

func decideAmend(s State, c Amend, ctx Context) ([]Event, error) {
	if err := requireAgent(s, ctx, "amend it"); err != nil {
		return nil, err
	}
	if err := requireState(s, "amend", petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED); err != nil {
		return nil, err
	}
	if err := validateText(c.Title, c.Request, c.Reasons); err != nil {
		return nil, err
	}
	return one(&petitionseventsv1.PetitionAmended{Title: strings.TrimSpace(c.Title), Request: strings.TrimSpace(c.Request), Reasons: strings.TrimSpace(c.Reasons)}, time.Time{}), nil
}

// ModerationOverdue reports whether, at now, the petition has waited for
// moderation past its deadline.
func (s *State) ModerationOverdue(now time.Time) bool {
	return s.Status == petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION && !s.ModerationDeadline.IsZero() && now.After(s.ModerationDeadline)
}

// evolveModeration applies the moderation events; ok is false for others.
func evolveModeration(s State, e Recorded) (State, bool) {
	switch p := e.Payload.(type) {
	case *petitionseventsv1.PetitionSubmittedForModeration:
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION
		s.SubmittedAt, s.ModerationDeadline = e.OccurredAt, p.GetModerationDeadline().AsTime()
		s.ModerationGround, s.ModerationReasons, s.ModerationArticle = 0, "", ""
		s.ModeratedBy, s.ModeratedAt = "", time.Time{}
	case *petitionseventsv1.PetitionModerationCleared:
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING
		s.Published = true
		s.ModeratedBy, s.ModeratedAt = e.Actor.Subject, e.OccurredAt
	case *petitionseventsv1.PetitionModerationRefused:
		s.Status = petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED
		s.ModerationGround, s.ModerationReasons, s.ModerationArticle = p.GetGround(), p.GetReasons(), p.GetArticle()
		s.ModeratedBy, s.ModeratedAt = e.Actor.Subject, e.OccurredAt
	case *petitionseventsv1.PetitionAmended:
		s.Title, s.Request, s.Reasons = p.GetTitle(), p.GetRequest(), p.GetReasons()
	default:
		return s, false
	}
	return s, true
}

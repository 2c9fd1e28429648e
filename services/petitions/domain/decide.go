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
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Context is what every command is decided with.
type Context = es.Context

// Command is one act on a petition.
type Command interface{ isCommand() }

// Draft drafts a new petition.
type Draft struct {
	ID          string
	Council     string
	Kind        petitionseventsv1.PetitionerKind
	Title       string
	Request     string
	Reasons     string
	Association *petitionseventsv1.Association
	// Language is the agent's language for notifications ("ar", "fr",
	// "en"; empty is Arabic).
	Language string
}

// OpenForSignatures submits a draft (or a petition refused by moderation)
// to the council's moderation; ModerationDays is the rulebook's moderation
// deadline.
type OpenForSignatures struct{ ModerationDays int }

// Deposit records the deposit; the receipt number comes from the council's
// receipt ledger and DeadlineMonths from the rulebook.
type Deposit struct {
	ReceivedAt      time.Time
	Channel         petitionseventsv1.DepositChannel
	Documents       []string
	ReceiptNumber   string
	DeadlineMonths  int
	ValidSignatures int
}

// ReferToBureau starts the admissibility review.
type ReferToBureau struct{}

// Tally is the signature count a decision is made on.
type Tally struct {
	Valid      int
	ByProvince map[string]int
	// ByAssurance counts the valid signatures by level of assurance
	// (assurance.go); needed only when the rulebook counts some levels.
	ByAssurance map[petitionseventsv1.SignatureAssurance]int
}

// DecideAdmissibility is the bureau's decision. Threshold, ProvinceMinimum
// and Provinces come from the rulebook and the territory.
type DecideAdmissibility struct {
	Decision        petitionseventsv1.Admissibility
	Checklist       *petitionseventsv1.Checklist
	Reasons         string
	Signatures      Tally
	Threshold       int
	ProvinceMinimum int
	Provinces       []string
	// CountedAssurance is the rulebook's levels that count toward the
	// threshold; nil counts all.
	CountedAssurance []petitionseventsv1.SignatureAssurance
}

// Schedule puts an admissible petition on an ordinary session. An empty
// Session means the next one whose agenda is still open. SessionMonths and
// MarginDays come from the rulebook in force: the agenda of a session is
// fixed MarginDays before the first day of its month.
type Schedule struct {
	Session       string
	SessionMonths []time.Month
	MarginDays    int
}

// ReferToCommittee sends the petition to a standing committee.
type ReferToCommittee struct{ Committee string }

// RecordCommitteeReport records the committee's report.
type RecordCommitteeReport struct {
	Summary string
	At      time.Time
}

// RecordDeliberation records the council's outcome.
type RecordDeliberation struct {
	Outcome   petitionseventsv1.DeliberationOutcome
	Summary   string
	Reference string
	At        time.Time
}

// NotifyAgent records that the agent was told of a decision.
type NotifyAgent struct {
	Subject   petitionseventsv1.NotificationSubject
	Channel   string
	Reference string
	At        time.Time
}

// Withdraw withdraws the petition (its agent).
type Withdraw struct{ Reason string }

// Close closes the case.
type Close struct{ Note string }

// Correct records a correction of an earlier event.
type Correct struct {
	EventID string
	Field   string
	Value   string
	Reason  string
}

func (Draft) isCommand()                 {}
func (OpenForSignatures) isCommand()     {}
func (Deposit) isCommand()               {}
func (ReferToBureau) isCommand()         {}
func (DecideAdmissibility) isCommand()   {}
func (Schedule) isCommand()              {}
func (ReferToCommittee) isCommand()      {}
func (RecordCommitteeReport) isCommand() {}
func (RecordDeliberation) isCommand()    {}
func (NotifyAgent) isCommand()           {}
func (Withdraw) isCommand()              {}
func (Close) isCommand()                 {}
func (Correct) isCommand()               {}

// Field limits.
const (
	MaxTitle   = 200
	MaxRequest = 5000
	MaxReasons = 10000
	MaxShort   = 500
	// MinDecisionReasons is the shortest written reasons accepted for an
	// inadmissible decision: a word or two is not a reasoned decision.
	MinDecisionReasons = 20
	// AssociationMinYears: an association must have been constituted more
	// than three years before it petitions (law 113-14 art. 124, 112-14 art.
	// 115, 111-14 art. 121).
	AssociationMinYears = 3
	// clockSkew tolerates clocks a little ahead when checking "not in the
	// future".
	clockSkew = 5 * time.Minute
)

var sessionPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// Decide decides one command against the petition's state.
func Decide(s State, c Command, ctx Context) ([]Event, error) {
	if _, isDraft := c.(Draft); !isDraft && !s.Exists {
		return nil, fault.New(fault.NotFound, "PETITION_NOT_FOUND", "no such petition")
	}
	switch c := c.(type) {
	case Draft:
		return decideDraft(s, c, ctx)
	case OpenForSignatures:
		return decideOpen(s, c, ctx)
	case Moderate:
		return decideModerate(s, c, ctx)
	case Amend:
		return decideAmend(s, c, ctx)
	case AttachDocument:
		return decideAttach(s, c, ctx)
	case EraseDocument:
		return decideEraseDocument(s, c, ctx)
	case Deposit:
		return decideDeposit(s, c, ctx)
	case ReferToBureau:
		if err := requireState(s, "refer to the bureau", petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED); err != nil {
			return nil, err
		}
		return one(&petitionseventsv1.PetitionReferredToBureau{}, time.Time{}), nil
	case DecideAdmissibility:
		return decideAdmissibility(s, c)
	case Schedule:
		return decideSchedule(s, c, ctx)
	case ReferToCommittee:
		if strings.TrimSpace(c.Committee) == "" || utf8.RuneCountInString(c.Committee) > MaxShort {
			return nil, fault.Field("committee", "name the standing committee (1-%d characters)", MaxShort)
		}
		if err := requireState(s, "refer to a committee", petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE, petitionseventsv1.PetitionState_PETITION_STATE_SCHEDULED); err != nil {
			return nil, err
		}
		if s.Committee != "" {
			return nil, fault.New(fault.FailedPrecondition, "WRONG_STATE", "the petition was already referred to %s", s.Committee)
		}
		return one(&petitionseventsv1.PetitionReferredToCommittee{Committee: strings.TrimSpace(c.Committee)}, time.Time{}), nil
	case RecordCommitteeReport:
		if strings.TrimSpace(c.Summary) == "" || utf8.RuneCountInString(c.Summary) > MaxReasons {
			return nil, fault.Field("summary", "give the report's summary (1-%d characters)", MaxReasons)
		}
		if err := notFuture("report_time", c.At, ctx.Now); err != nil {
			return nil, err
		}
		if s.Committee == "" || s.Status == petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED || terminal(s) {
			return nil, wrongState(s, "record a committee report (refer it to a committee first)")
		}
		return one(&petitionseventsv1.CommitteeReportRecorded{Summary: c.Summary}, c.At), nil
	case RecordDeliberation:
		return decideDeliberation(s, c, ctx)
	case NotifyAgent:
		return decideNotify(s, c, ctx)
	case Withdraw:
		if err := requireAgent(s, ctx, "withdraw it"); err != nil {
			return nil, err
		}
		if err := requireState(s, "withdraw",
			petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING,
			petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION, petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED,
			petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED, petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW,
			petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE, petitionseventsv1.PetitionState_PETITION_STATE_SCHEDULED,
			petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(c.Reason) > MaxReasons {
			return nil, fault.Field("reason", "at most %d characters", MaxReasons)
		}
		return one(&petitionseventsv1.PetitionWithdrawn{Reason: c.Reason}, time.Time{}), nil
	case Close:
		return decideClose(s, c)
	case Correct:
		return decideCorrect(s, c, ctx)
	}
	return nil, fmt.Errorf("petitions: unknown command %T", c)
}

func one(p proto.Message, at time.Time) []Event {
	return []Event{{Payload: p, OccurredAt: at}}
}

func decideDraft(s State, c Draft, ctx Context) ([]Event, error) {
	if s.Exists {
		return nil, fault.New(fault.AlreadyExists, "PETITION_EXISTS", "petition %s already exists", c.ID)
	}
	level := LevelOf(c.Council)
	if err := validateText(c.Title, c.Request, c.Reasons); err != nil {
		return nil, err
	}
	switch c.Language {
	case "", "ar", "fr", "en":
	default:
		return nil, fault.Field("language", `the agent's language: "ar", "fr" or "en"`)
	}
	switch c.Kind {
	case petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS:
		// The signatories name an agent who carries the petition; here the
		// citizen drafting it is the agent.
		if ctx.Actor.Subject == "" {
			return nil, fault.Rule(RuleAgentRequired, Article(level, RuleAgentRequired), "a citizens' petition needs an identified agent")
		}
		if c.Association != nil {
			return nil, fault.Field("association", "only an association's petition names an association")
		}
	case petitionseventsv1.PetitionerKind_PETITIONER_KIND_ASSOCIATION:
		if err := checkAssociation(level, c.Association, ctx.Now); err != nil {
			return nil, err
		}
	default:
		return nil, fault.Field("kind", "say who files: PETITIONER_KIND_CITIZENS or PETITIONER_KIND_ASSOCIATION")
	}
	return one(&petitionseventsv1.PetitionDrafted{
		PetitionId: c.ID, Council: c.Council, Kind: c.Kind,
		Title: strings.TrimSpace(c.Title), Request: strings.TrimSpace(c.Request), Reasons: strings.TrimSpace(c.Reasons),
		Association: c.Association, Agent: ctx.Actor.Subject, AgentLanguage: c.Language,
	}, time.Time{}), nil
}

func validateText(title, request, reasons string) error {
	for _, f := range []struct {
		name, value string
		max         int
	}{{"title", title, MaxTitle}, {"request", request, MaxRequest}, {"reasons", reasons, MaxReasons}} {
		v := strings.TrimSpace(f.value)
		if v == "" {
			return fault.Field(f.name, "required")
		}
		if !utf8.ValidString(v) {
			return fault.Field(f.name, "not valid UTF-8 text")
		}
		if n := utf8.RuneCountInString(v); n > f.max {
			return fault.Field(f.name, "%d characters, at most %d", n, f.max)
		}
	}
	return nil
}

// checkAssociation checks the association's conditions (law 113-14 art.
// 124; 112-14 art. 115; 111-14 art. 121): constituted in Morocco more than 3 years ago, run
// democratically, in good standing, seat or branch in the territory,
// activity linked to the subject.
func checkAssociation(level Level, a *petitionseventsv1.Association, now time.Time) error {
	if a == nil {
		return fault.Field("association", "an association's petition names the association")
	}
	if strings.TrimSpace(a.GetName()) == "" {
		return fault.Field("association.name", "required")
	}
	if strings.TrimSpace(a.GetRegistrationRef()) == "" {
		return fault.Field("association.registration_ref", "give the legal deposit receipt reference")
	}
	constituted, err := time.Parse("2006-01-02", a.GetConstitutedOn())
	if err != nil {
		return fault.Field("association.constituted_on", "a date YYYY-MM-DD")
	}
	u := now.UTC()
	today := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	// An association is declared to the local authority, which gives a
	// dated receipt at once (dahir 1-58-376 on associations, art. 5, as
	// amended by law 75-00), and has its legal capacity once declared
	// (art. 6): when the receipt's date is given, the 3-year rule of law
	// 113-14 art. 124 (112-14 art. 115, 111-14 art. 121) counts from it.
	since, sinceName := constituted, a.GetConstitutedOn()
	if d := a.GetLegalDepositReceiptDate(); d != "" {
		receipt, err := time.Parse("2006-01-02", d)
		switch {
		case err != nil:
			return fault.Field("association.legal_deposit_receipt_date", "a date YYYY-MM-DD")
		case receipt.After(today):
			return fault.Field("association.legal_deposit_receipt_date", "cannot be in the future")
		case receipt.Before(constituted):
			return fault.Field("association.legal_deposit_receipt_date", "before the constitution date %s", a.GetConstitutedOn())
		}
		since, sinceName = receipt, d+" (legal deposit)"
	}
	if d := a.GetGoverningBodyDecisionDate(); d != "" {
		if t, err := time.Parse("2006-01-02", d); err != nil || t.After(today) {
			return fault.Field("association.governing_body_decision_date", "a date YYYY-MM-DD, not in the future")
		}
	}
	for field, v := range map[string]string{"association.seat_address": a.GetSeatAddress(), "association.representative_title": a.GetRepresentativeTitle(),
		"association.governing_body_decision": a.GetGoverningBodyDecision()} {
		if utf8.RuneCountInString(v) > MaxShort || !utf8.ValidString(v) {
			return fault.Field(field, "at most %d characters of valid text", MaxShort)
		}
	}
	art := Article(level, RuleAssociationConditions)
	var missing []string
	// "More than 3 years" counts whole days: on the third anniversary the
	// association is not yet eligible.
	if !since.AddDate(AssociationMinYears, 0, 0).Before(today) {
		missing = append(missing, fmt.Sprintf("constituted more than %d years ago (since %s)", AssociationMinYears, sinceName))
	}
	if !a.GetDemocraticGovernance() {
		missing = append(missing, "run democratically under its statutes")
	}
	if !a.GetInGoodStanding() {
		missing = append(missing, "in good standing")
	}
	if !a.GetSeatInTerritory() {
		missing = append(missing, "seat or branch in the council's territory")
	}
	if !a.GetActivityLinkedToSubject() {
		missing = append(missing, "activity linked to the subject")
	}
	if len(missing) > 0 {
		return fault.Rule(RuleAssociationConditions, art, "the association does not meet: %s", strings.Join(missing, "; "))
	}
	return nil
}

func decideDeposit(s State, c Deposit, ctx Context) ([]Event, error) {
	level := s.Level()
	if err := requireState(s, "deposit", petitionseventsv1.PetitionState_PETITION_STATE_DRAFT, petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING); err != nil {
		return nil, err
	}
	switch c.Channel {
	case petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE:
		// Online, the agent deposits; staff key in paper deposits.
		if ctx.Actor.Role != "staff" && ctx.Actor.Role != "admin" {
			if err := requireAgent(s, ctx, "deposit it"); err != nil {
				return nil, err
			}
		}
	case petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER:
		if ctx.Actor.Role != "staff" && ctx.Actor.Role != "admin" {
			return nil, fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "only council staff record paper deposits")
		}
	default:
		return nil, fault.Field("channel", "ONLINE or PAPER")
	}
	received := c.ReceivedAt
	if received.IsZero() {
		received = ctx.Now
	}
	// The deposit date is the day the president received the petition,
	// which may precede the day it is keyed in, never follow today.
	if received.After(ctx.Now.Add(clockSkew)) {
		return nil, fault.Rule(RuleDepositDate, Article(level, RuleDepositDate), "the petition cannot have been received in the future (%s)", received.Format(time.RFC3339))
	}
	if c.ReceiptNumber == "" {
		return nil, fmt.Errorf("petitions: deposit without a receipt number")
	}
	if c.DeadlineMonths <= 0 {
		return nil, fmt.Errorf("petitions: rulebook gives no decision deadline")
	}
	for i, d := range c.Documents {
		if strings.TrimSpace(d) == "" || utf8.RuneCountInString(d) > MaxShort {
			return nil, fault.Field(fmt.Sprintf("documents[%d]", i), "1-%d characters", MaxShort)
		}
	}
	received = received.UTC()
	// The president must notify a reasoned decision within the deadline:
	// 3 months for communes (law 113-14 art. 125), 2 for provinces and
	// regions (rulebook).
	deadline := AddMonths(received, c.DeadlineMonths)
	return one(&petitionseventsv1.PetitionDeposited{
		ReceiptNumber:    c.ReceiptNumber,
		ReceivedAt:       timestamppb.New(received),
		Channel:          c.Channel,
		DecisionDeadline: timestamppb.New(deadline),
		Documents:        c.Documents,
		ValidSignatures:  int32(c.ValidSignatures),
	}, received), nil
}

func decideAdmissibility(s State, c DecideAdmissibility) ([]Event, error) {
	level := s.Level()
	// The president refers the deposited petition to the council's bureau,
	// which then decides on its admissibility (law 113-14 art. 125; 112-14
	// art. 116; 111-14 art. 122): no
	// decision straight from the deposit.
	if s.Status == petitionseventsv1.PetitionState_PETITION_STATE_DEPOSITED {
		return nil, fault.Rule(RuleBureauReferral, Article(level, RuleBureauReferral),
			"the petition was deposited but not yet referred to the bureau: refer it to the bureau (referToBureau), then decide")
	}
	if err := requireState(s, "decide admissibility", petitionseventsv1.PetitionState_PETITION_STATE_UNDER_REVIEW); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(c.Reasons) > MaxReasons {
		return nil, fault.Field("reasons", "at most %d characters", MaxReasons)
	}
	cl := c.Checklist
	if cl == nil {
		cl = &petitionseventsv1.Checklist{}
	}
	// The checklist may record which attached document proved which
	// condition; each must name one of this petition's documents.
	if err := checkEvidence(s, cl); err != nil {
		return nil, err
	}
	if missing := missingEvidence(s, cl); len(missing) > 0 {
		return nil, fault.Rule(RuleEvidenceRequired, Article(level, RuleEvidenceRequired),
			"association_conditions_met is checked against the attached documents: name the document that proves %s (checklist.evidence); attach it first if it is missing",
			strings.Join(missing, ", "))
	}
	citizens := s.Kind == petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS
	ev := &petitionseventsv1.AdmissibilityDecided{
		Decision: c.Decision, Checklist: cl, Reasons: strings.TrimSpace(c.Reasons),
		ValidSignatures: int32(c.Signatures.Valid), Threshold: int32(c.Threshold),
	}
	switch c.Decision {
	case petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE:
		// A decision of inadmissibility must be reasoned.
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Reasons)); n < MinDecisionReasons {
			return nil, fault.Rule(RuleReasonsRequired, Article(level, RuleReasonsRequired),
				"an inadmissible decision needs written reasons (at least %d characters)", MinDecisionReasons)
		}
		return one(ev, time.Time{}), nil
	case petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE:
	default:
		return nil, fault.Field("admissibility", "must be ADMISSIBILITY_ADMISSIBLE or ADMISSIBILITY_INADMISSIBLE")
	}
	if citizens {
		// Minimum number of signatures (law 113-14 art. 123; 112-14 art.
		// 114; 111-14 art. 120),
		// counted once per person.
		counted, err := CountedSignatures(c.Signatures, c.CountedAssurance)
		if err != nil {
			return nil, err
		}
		if counted < c.Threshold {
			return nil, fault.Rule(RuleThreshold, Article(level, RuleThreshold),
				"%d valid signatures count toward the threshold%s, %d required for this council", counted, levelsNote(c.CountedAssurance), c.Threshold)
		}
		// Regions: at least 5 % of the required number from each
		// province of the region (law 111-14 art. 120, rulebook share).
		if level == Region && c.ProvinceMinimum > 0 {
			var short []string
			for _, p := range c.Provinces {
				if got := c.Signatures.ByProvince[p]; got < c.ProvinceMinimum {
					short = append(short, fmt.Sprintf("%s has %d", p, got))
				}
			}
			if len(short) > 0 {
				return nil, fault.Rule(RuleProvinceShare, Article(level, RuleProvinceShare),
					"each province needs at least %d signatures: %s", c.ProvinceMinimum, strings.Join(short, ", "))
			}
		}
	}
	var unchecked []string
	if citizens && !cl.GetThresholdMet() {
		unchecked = append(unchecked, "threshold_met")
	}
	if citizens && !cl.GetSignatoriesEligible() {
		unchecked = append(unchecked, "signatories_eligible")
	}
	if !cl.GetAgentDesignated() {
		unchecked = append(unchecked, "agent_designated")
	}
	if !cl.GetWithinCouncilPowers() {
		unchecked = append(unchecked, "within_council_powers")
	}
	if !cl.GetNoExcludedSubject() {
		// Nothing touching the constants of article 1 of the Constitution.
		return nil, fault.Rule(RuleExcludedSubject, Article(level, RuleExcludedSubject),
			"a petition touching the constants of article 1 of the Constitution cannot be admissible")
	}
	if !citizens && !cl.GetAssociationConditionsMet() {
		unchecked = append(unchecked, "association_conditions_met")
	}
	if len(unchecked) > 0 {
		return nil, fault.Rule(RuleChecklistIncomplete, Article(level, RuleChecklistIncomplete),
			"an admissible petition needs every check to hold; not checked: %s", strings.Join(unchecked, ", "))
	}
	return one(ev, time.Time{}), nil
}

func decideSchedule(s State, c Schedule, ctx Context) ([]Event, error) {
	level := s.Level()
	if err := requireState(s, "schedule", petitionseventsv1.PetitionState_PETITION_STATE_ADMISSIBLE, petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE); err != nil {
		return nil, err
	}
	if s.Session != "" {
		return nil, fault.New(fault.FailedPrecondition, "WRONG_STATE", "already scheduled on session %s", s.Session)
	}
	if len(c.SessionMonths) == 0 {
		return nil, fmt.Errorf("petitions: rulebook gives no ordinary-session months")
	}
	// The petition goes to the next ordinary session whose agenda was still
	// open when it was found admissible (law 113-14 art. 125; 112-14 art.
	// 116; 111-14 art. 122), or when it is scheduled, if later.
	ref := ctx.Now
	if s.DecidedAt.After(ref) {
		ref = s.DecidedAt
	}
	session := c.Session
	if session == "" {
		y, m := NextSession(ref, c.SessionMonths, c.MarginDays)
		session = fmt.Sprintf("%04d-%02d", y, int(m))
	}
	if !sessionPattern.MatchString(session) {
		return nil, fault.Field("session", "a month YYYY-MM")
	}
	t, _ := time.Parse("2006-01", session)
	if !slices.Contains(c.SessionMonths, t.Month()) {
		return nil, fault.Rule(RuleOrdinarySession, Article(level, RuleOrdinarySession),
			"%s is not an ordinary-session month (%s)", session, monthNames(c.SessionMonths))
	}
	if t.AddDate(0, 1, 0).Before(ctx.Now) {
		return nil, fault.Field("session", "session %s is over", session)
	}
	if fixed := AgendaFixed(t, c.MarginDays); !ref.Before(fixed) {
		y, m := NextSession(ref, c.SessionMonths, c.MarginDays)
		return nil, fault.Rule(RuleSessionAgendaClosed, Article(level, RuleSessionAgendaClosed),
			"the agenda of session %s was fixed on %s (%d days before the session month): schedule it on %04d-%02d",
			session, fixed.Format("2006-01-02"), c.MarginDays, y, int(m))
	}
	return one(&petitionseventsv1.PetitionScheduled{Session: session}, time.Time{}), nil
}

// AgendaFixed is when the agenda of the session of the month starting at
// monthStart is fixed: marginDays before that first day.
func AgendaFixed(monthStart time.Time, marginDays int) time.Time {
	return monthStart.AddDate(0, 0, -marginDays)
}

// AddMonths adds n calendar months to t; when the target month is shorter
// the result is its last day (received 30 November, 3 months: 28 February),
// where time.AddDate would overflow into March and lengthen the deadline.
func AddMonths(t time.Time, n int) time.Time {
	r := t.AddDate(0, n, 0)
	if r.Day() != t.Day() {
		// Overflowed: go back to the last day of the intended month.
		r = r.AddDate(0, 0, -r.Day())
	}
	return r
}

// NextSession returns the first ordinary-session month whose agenda is
// still open at ref: its first day, less marginDays, is after ref. With no
// margin, a petition found admissible during a session month goes to the
// following session.
func NextSession(ref time.Time, months []time.Month, marginDays int) (int, time.Month) {
	ref = ref.UTC()
	for i := 0; i <= 24; i++ {
		start := time.Date(ref.Year(), ref.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		if slices.Contains(months, start.Month()) && ref.Before(AgendaFixed(start, marginDays)) {
			return start.Year(), start.Month()
		}
	}
	return ref.Year(), ref.Month()
}

func monthNames(ms []time.Month) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return strings.Join(out, ", ")
}

func decideDeliberation(s State, c RecordDeliberation, ctx Context) ([]Event, error) {
	level := s.Level()
	switch c.Outcome {
	case petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_PARTLY_APPROVED, petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_REJECTED:
	default:
		return nil, fault.Field("outcome", "APPROVED, PARTLY_APPROVED or REJECTED")
	}
	if strings.TrimSpace(c.Summary) == "" || utf8.RuneCountInString(c.Summary) > MaxReasons {
		return nil, fault.Field("summary", "give the deliberation's summary (1-%d characters)", MaxReasons)
	}
	if utf8.RuneCountInString(c.Reference) > MaxShort {
		return nil, fault.Field("reference", "at most %d characters", MaxShort)
	}
	if err := notFuture("deliberate_time", c.At, ctx.Now); err != nil {
		return nil, err
	}
	if err := requireState(s, "record the deliberation", petitionseventsv1.PetitionState_PETITION_STATE_SCHEDULED, petitionseventsv1.PetitionState_PETITION_STATE_WITH_COMMITTEE); err != nil {
		return nil, err
	}
	// The council deliberates on the petition after the competent
	// committee has studied it, in the session it was scheduled on.
	if s.CommitteeReport == "" {
		return nil, fault.Rule(RuleCommitteeReport, Article(level, RuleCommitteeReport), "the standing committee's report must be recorded before the council deliberates")
	}
	if s.Session == "" {
		return nil, fault.Rule(RuleOrdinarySession, Article(level, RuleOrdinarySession), "schedule the petition on an ordinary session before recording the deliberation")
	}
	return one(&petitionseventsv1.PetitionDeliberated{Outcome: c.Outcome, Summary: strings.TrimSpace(c.Summary), Reference: c.Reference}, c.At), nil
}

func decideNotify(s State, c NotifyAgent, ctx Context) ([]Event, error) {
	if utf8.RuneCountInString(c.Channel) > MaxShort || utf8.RuneCountInString(c.Reference) > MaxShort {
		return nil, fault.Field("channel", "channel and reference: at most %d characters", MaxShort)
	}
	if strings.TrimSpace(c.Channel) == "" {
		return nil, fault.Field("channel", "say how the agent was told (letter, e-mail, portal)")
	}
	if err := notFuture("notify_time", c.At, ctx.Now); err != nil {
		return nil, err
	}
	switch c.Subject {
	case petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY:
		if !s.Decided() {
			return nil, wrongState(s, "notify a decision before the bureau has decided")
		}
		if !s.DecisionNotified.IsZero() {
			return nil, fault.New(fault.FailedPrecondition, "ALREADY_NOTIFIED", "the decision was already notified on %s", s.DecisionNotified.Format("2006-01-02"))
		}
		if !c.At.IsZero() && c.At.Before(s.DecidedAt) {
			return nil, fault.Field("notify_time", "before the decision")
		}
	case petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME:
		if s.Outcome == petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_UNSPECIFIED {
			return nil, wrongState(s, "notify an outcome before the council has deliberated")
		}
		if !s.OutcomeNotified.IsZero() {
			return nil, fault.New(fault.FailedPrecondition, "ALREADY_NOTIFIED", "the outcome was already notified on %s", s.OutcomeNotified.Format("2006-01-02"))
		}
	default:
		return nil, fault.Field("subject", "must be NOTIFICATION_SUBJECT_ADMISSIBILITY or NOTIFICATION_SUBJECT_OUTCOME")
	}
	return one(&petitionseventsv1.AgentNotified{Subject: c.Subject, Channel: c.Channel, Reference: c.Reference}, c.At), nil
}

func decideClose(s State, c Close) ([]Event, error) {
	level := s.Level()
	if utf8.RuneCountInString(c.Note) > MaxReasons {
		return nil, fault.Field("note", "at most %d characters", MaxReasons)
	}
	// In every case the agent is told the outcome before the case closes.
	switch s.Status {
	case petitionseventsv1.PetitionState_PETITION_STATE_INADMISSIBLE:
		if s.DecisionNotified.IsZero() {
			return nil, fault.Rule(RuleAgentNotified, Article(level, RuleAgentNotified), "notify the agent of the reasoned decision before closing")
		}
	case petitionseventsv1.PetitionState_PETITION_STATE_DELIBERATED:
		if s.OutcomeNotified.IsZero() {
			return nil, fault.Rule(RuleAgentNotified, Article(level, RuleAgentNotified), "notify the agent of the council's outcome before closing")
		}
	default:
		return nil, wrongState(s, "close (only an inadmissible or deliberated petition closes)")
	}
	return one(&petitionseventsv1.PetitionClosed{Note: c.Note}, time.Time{}), nil
}

func decideCorrect(s State, c Correct, ctx Context) ([]Event, error) {
	if _, ok := s.EventIDs[c.EventID]; !ok {
		return nil, fault.Field("corrected_event_id", "no event %q in this petition", c.EventID)
	}
	if !slices.Contains(CorrectableFields, c.Field) {
		return nil, fault.Field("field", "one of %s", strings.Join(CorrectableFields, ", "))
	}
	if strings.TrimSpace(c.Reason) == "" || utf8.RuneCountInString(c.Reason) > MaxReasons {
		return nil, fault.Field("reason", "say why the record is corrected (1-%d characters)", MaxReasons)
	}
	if strings.TrimSpace(c.Value) == "" || utf8.RuneCountInString(c.Value) > MaxRequest {
		return nil, fault.Field("value", "1-%d characters", MaxRequest)
	}
	if c.Field == "received_at" {
		t, err := time.Parse(time.RFC3339, c.Value)
		if err != nil {
			return nil, fault.Field("value", "received_at takes an RFC 3339 time")
		}
		if s.ReceivedAt.IsZero() {
			return nil, wrongState(s, "correct the receipt date of a petition not deposited")
		}
		if t.After(ctx.Now.Add(clockSkew)) {
			return nil, fault.Rule(RuleDepositDate, Article(s.Level(), RuleDepositDate), "the petition cannot have been received in the future")
		}
	}
	return one(&petitionseventsv1.RecordCorrected{CorrectedEventId: c.EventID, Field: c.Field, Value: c.Value, Reason: c.Reason}, time.Time{}), nil
}

func requireAgent(s State, ctx Context, act string) error {
	if ctx.Actor.Subject == "" || ctx.Actor.Subject != s.Agent {
		return fault.Rule(RuleNotAgent, Article(s.Level(), RuleNotAgent), "only the petition's agent may %s", act).WithKind(fault.PermissionDenied)
	}
	return nil
}

func requireState(s State, act string, allowed ...petitionseventsv1.PetitionState) error {
	if slices.Contains(allowed, s.Status) {
		return nil
	}
	return wrongState(s, act)
}

func wrongState(s State, act string) error {
	return fault.New(fault.FailedPrecondition, "WRONG_STATE", "cannot %s: the petition is %s", act, StateName(s.Status))
}

func terminal(s State) bool {
	return s.Status == petitionseventsv1.PetitionState_PETITION_STATE_CLOSED || s.Status == petitionseventsv1.PetitionState_PETITION_STATE_WITHDRAWN
}

func notFuture(field string, t, now time.Time) error {
	if !t.IsZero() && t.After(now.Add(clockSkew)) {
		return fault.Field(field, "cannot be in the future")
	}
	return nil
}

// StateName returns a state's short name ("DEPOSITED").
func StateName(st petitionseventsv1.PetitionState) string {
	return strings.TrimPrefix(st.String(), "PETITION_STATE_")
}

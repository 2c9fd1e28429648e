package domain

import (
	"slices"
	"strings"
	"unicode/utf8"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Env is what a command is decided with: the clock's day, the working-day
// calendar known now, and the rulebook.
type Env struct {
	Today    Day
	Calendar *Calendar
	Rules    Rulebook
}

// Command is one act on a request.
type Command interface{ isCommand() }

// Receive registers a request (art. 14). The receipt number comes from
// the council's ledger; the identity is already sealed.
type Receive struct {
	Name               string
	ReceiptNumber      string
	ReceivedOn         Day
	Channel            ieventsv1.RequestChannel
	RequesterKind      ieventsv1.RequesterKind
	RequesterKey       string
	IdentityCiphertext []byte
	IdentityKeyID      string
	Subject            string
	Urgent             bool
	UrgentReason       string
	// Language the requester is written to in: "ar", "fr", "en", or
	// empty (Arabic).
	Language string
}

// Extend extends the deadline once (art. 16, art. 17).
type Extend struct {
	Reasons string
}

// Give answers in full or in part, or refuses (arts 16, 18).
type Give struct {
	Kind           ieventsv1.AnswerKind
	Exceptions     []ieventsv1.Exception
	Reasons        string
	Information    string
	DocumentSHA256 string
	Link           string
	CostsCentimes  int64
	On             Day
}

// Complain lodges a complaint with the head of the body (art. 19) or the
// commission (art. 20).
type Complain struct {
	Level   ieventsv1.ComplaintLevel
	Grounds string
	On      Day
}

// DecideComplaint records the decision on a complaint.
type DecideComplaint struct {
	Level   ieventsv1.ComplaintLevel
	Outcome ieventsv1.ComplaintOutcome
	Reasons string
	On      Day
}

// Reveal records that the official opened the requester's identity.
type Reveal struct {
	Purpose string
}

// EraseRequester records that the identity's data key was destroyed.
type EraseRequester struct{}

func (Reveal) isCommand()          {}
func (EraseRequester) isCommand()  {}
func (Receive) isCommand()         {}
func (Extend) isCommand()          {}
func (Give) isCommand()            {}
func (Complain) isCommand()        {}
func (DecideComplaint) isCommand() {}

func one(m es.Decided) []es.Decided { return []es.Decided{m} }

// Decide decides one command against a request's state.
func Decide(s State, c Command, env Env) ([]es.Decided, error) {
	if _, receive := c.(Receive); !receive && !s.Exists {
		return nil, fault.New(fault.NotFound, ReasonRequestNotFound, "no such request for information")
	}
	switch c := c.(type) {
	case Receive:
		return decideReceive(s, c, env)
	case Extend:
		return decideExtend(s, c, env)
	case Give:
		return decideGive(s, c, env)
	case Complain:
		return decideComplain(s, c, env)
	case DecideComplaint:
		return decideComplaint(s, c, env)
	case EraseRequester:
		if s.IdentityErased {
			return nil, fault.New(fault.FailedPrecondition, ReasonPersonErased, "the requester's data was already erased")
		}
		return one(es.Decided{Payload: &ieventsv1.RequesterErased{IdentityKeyId: s.IdentityKeyID}}), nil
	case Reveal:
		if s.IdentityErased {
			// Nothing to open: no read is recorded.
			return nil, fault.New(fault.FailedPrecondition, ReasonPersonErased, "the requester's data was erased at their request")
		}
		purpose := strings.TrimSpace(c.Purpose)
		if purpose == "" {
			purpose = "answer the request"
		}
		if utf8.RuneCountInString(purpose) > MaxShort {
			return nil, fault.Field("purpose", "at most %d characters", MaxShort)
		}
		return one(es.Decided{Payload: &ieventsv1.RequesterRevealed{Purpose: purpose}}), nil
	}
	return nil, fault.New(fault.Internal, "INTERNAL", "unknown command %T", c)
}

func decideReceive(s State, c Receive, env Env) ([]es.Decided, error) {
	if s.Exists {
		return nil, fault.New(fault.AlreadyExists, ReasonRequestExists, "request %s is already registered", s.Name)
	}
	if c.Channel == ieventsv1.RequestChannel_REQUEST_CHANNEL_UNSPECIFIED || ieventsv1.RequestChannel_name[int32(c.Channel)] == "" {
		return nil, fault.Field("channel", "say how the request came: PAPER, EMAIL, PORTAL or ONLINE")
	}
	if c.RequesterKind == ieventsv1.RequesterKind_REQUESTER_KIND_UNSPECIFIED || ieventsv1.RequesterKind_name[int32(c.RequesterKind)] == "" {
		// Not verified in the official text: arts 3-4 (who has the right).
		return nil, fault.Field("requester_kind", "say whether a PERSON or a LEGAL_ENTITY asks (law 31-13)")
	}
	subject := strings.TrimSpace(c.Subject)
	if subject == "" || utf8.RuneCountInString(subject) > MaxSubject {
		return nil, fault.Field("subject", "name the information asked for (1-%d characters; %s)", MaxSubject, ArtRequest)
	}
	if c.Urgent && utf8.RuneCountInString(strings.TrimSpace(c.UrgentReason)) < MinReasons {
		return nil, fault.Rule(ReasonUrgentReason, ArtUrgent,
			"an urgent request must say why the information is needed to protect the life, safety or freedom of a person (at least %d characters)", MinReasons)
	}
	if c.ReceivedOn.IsZero() {
		return nil, fault.Field("received_on", "give the day of receipt")
	}
	switch c.Language {
	case "", "ar", "fr", "en":
	default:
		return nil, fault.Field("language", `the language the requester is written to in: "ar", "fr" or "en"`)
	}
	if c.ReceivedOn.After(env.Today) {
		return nil, fault.Rule(ReasonReceiptInFuture, ArtRequest, "the day of receipt %s is after today %s", c.ReceivedOn.Format(DayLayout), env.Today.Format(DayLayout))
	}
	reason := ""
	if c.Urgent {
		reason = strings.TrimSpace(c.UrgentReason)
	}
	return one(es.Decided{Payload: &ieventsv1.RequestReceived{Name: c.Name, ReceiptNumber: c.ReceiptNumber, ReceivedOn: c.ReceivedOn.Format(DayLayout),
		Channel: c.Channel, RequesterKind: c.RequesterKind, RequesterKey: c.RequesterKey, IdentityCiphertext: c.IdentityCiphertext,
		IdentityKeyId: c.IdentityKeyID, Subject: subject, Urgent: c.Urgent, UrgentReason: reason, RequesterLanguage: c.Language}}), nil
}

func requireOpen(s State, act string) error {
	if s.Answered {
		return fault.Rule(ReasonRequestClosed, ArtDeadline, "cannot %s: the request was already answered on %s", act, s.Answer.On.Format(DayLayout))
	}
	return nil
}

func decideExtend(s State, c Extend, env Env) ([]es.Decided, error) {
	if err := requireOpen(s, "extend it"); err != nil {
		return nil, err
	}
	art := ArtDeadline
	if s.Urgent {
		art = ArtUrgent
	}
	if s.Extended {
		return nil, fault.Rule(ReasonAlreadyExtended, art, "the deadline was already extended once, on %s; it can be extended only once", s.ExtendedOn.Format(DayLayout))
	}
	reasons := strings.TrimSpace(c.Reasons)
	if utf8.RuneCountInString(reasons) < MinReasons || utf8.RuneCountInString(reasons) > MaxReasons {
		return nil, fault.Rule(ReasonExtensionReasons, art, "tell the requester why the deadline is extended (%d-%d characters)", MinReasons, MaxReasons)
	}
	if due := s.DueOn(env.Calendar, env.Rules); env.Today.After(due) {
		return nil, fault.Rule(ReasonDeadlinePassed, art, "the deadline passed on %s: an extension is told to the requester before it expires", due.Format(DayLayout))
	}
	return one(es.Decided{Payload: &ieventsv1.RequestExtended{Reasons: reasons, NotifiedOn: env.Today.Format(DayLayout)}}), nil
}

func decideGive(s State, c Give, env Env) ([]es.Decided, error) {
	if err := requireOpen(s, "answer it again"); err != nil {
		return nil, err
	}
	if c.On.IsZero() {
		c.On = env.Today
	}
	if c.On.After(env.Today) || c.On.Before(s.ReceivedOn) {
		return nil, fault.Field("answered_on", "the day of the answer must be between the receipt (%s) and today", s.ReceivedOn.Format(DayLayout))
	}
	if c.CostsCentimes < 0 {
		return nil, fault.Field("costs_centimes", "costs of copying and sending cannot be negative (%s)", ArtFees)
	}
	ex := slices.Clone(c.Exceptions)
	for _, e := range ex {
		if e == ieventsv1.Exception_EXCEPTION_UNSPECIFIED || ieventsv1.Exception_name[int32(e)] == "" {
			return nil, fault.Field("exceptions", "%d is not a ground of %s", e, ArtExceptions)
		}
	}
	slices.Sort(ex)
	ex = slices.Compact(ex)
	reasons := strings.TrimSpace(c.Reasons)
	if utf8.RuneCountInString(reasons) > MaxReasons {
		return nil, fault.Field("reasons", "at most %d characters", MaxReasons)
	}
	given := strings.TrimSpace(c.Information) != "" || c.DocumentSHA256 != "" || strings.TrimSpace(c.Link) != ""
	switch c.Kind {
	case ieventsv1.AnswerKind_ANSWER_KIND_FULL:
		if len(ex) > 0 {
			return nil, fault.Field("exceptions", "a full answer withholds nothing: give no exception, or answer in part")
		}
	case ieventsv1.AnswerKind_ANSWER_KIND_PARTIAL, ieventsv1.AnswerKind_ANSWER_KIND_REFUSED:
		what := "a partial answer"
		if c.Kind == ieventsv1.AnswerKind_ANSWER_KIND_REFUSED {
			what = "a refusal"
		}
		// Not verified in the official text: art. 18. A refusal, in whole or in part, is reasoned in
		// writing and rests on an exception of art. 7.
		if len(ex) == 0 {
			return nil, fault.Rule(ReasonExceptionRequired, ArtExceptions, "%s must name the exception of law 31-13 art. 7 it rests on", what)
		}
		if utf8.RuneCountInString(reasons) < MinReasons {
			return nil, fault.Rule(ReasonRefusalReasons, ArtReasoned, "%s must give its reasons in writing (at least %d characters)", what, MinReasons)
		}
	default:
		return nil, fault.Field("kind", "answer FULL, PARTIAL or REFUSED")
	}
	if c.Kind == ieventsv1.AnswerKind_ANSWER_KIND_REFUSED {
		if given {
			return nil, fault.Field("information", "a refusal gives no information: answer in part instead")
		}
	} else if !given {
		return nil, fault.Field("information", "give the information: a text, a document's SHA-256 or a link")
	}
	if d := c.DocumentSHA256; d != "" && !isHexSHA256(d) {
		return nil, fault.Field("document_sha256", "a document is named by its SHA-256, 64 lower-case hex digits")
	}
	if utf8.RuneCountInString(c.Information) > MaxReasons || utf8.RuneCountInString(c.Link) > MaxShort {
		return nil, fault.Field("information", "the text is at most %d characters, the link %d", MaxReasons, MaxShort)
	}
	return one(es.Decided{Payload: &ieventsv1.RequestAnswered{Kind: c.Kind, Exceptions: ex, Reasons: reasons, Information: c.Information,
		DocumentSha256: c.DocumentSHA256, Link: strings.TrimSpace(c.Link), CostsCentimes: c.CostsCentimes, AnsweredOn: c.On.Format(DayLayout)}}), nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func decideComplain(s State, c Complain, env Env) ([]es.Decided, error) {
	if c.On.IsZero() {
		c.On = env.Today
	}
	if c.On.After(env.Today) {
		return nil, fault.Field("lodged_on", "the day lodged cannot be after today")
	}
	grounds := strings.TrimSpace(c.Grounds)
	if grounds == "" || utf8.RuneCountInString(grounds) > MaxReasons {
		return nil, fault.Field("grounds", "say what the complaint is about (1-%d characters)", MaxReasons)
	}
	if _, dup := s.Complaints[c.Level]; dup {
		return nil, fault.Rule(ReasonComplaintExists, ArtComplaint, "a complaint at this level was already lodged on %s", s.Complaints[c.Level].On.Format(DayLayout))
	}
	day := func(d Day) string { return d.Format(DayLayout) }
	switch c.Level {
	case ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD:
		from, to := s.HeadComplaintWindow(env.Calendar, env.Rules)
		if !s.Answered && !c.On.After(s.DueOn(env.Calendar, env.Rules)) {
			return nil, fault.Rule(ReasonComplaintTooEarly, ArtComplaint,
				"the council has until %s to answer: a complaint of silence to the head of the body can be lodged from %s", day(s.DueOn(env.Calendar, env.Rules)), day(from))
		}
		if c.On.Before(from) {
			return nil, fault.Rule(ReasonComplaintTooEarly, ArtComplaint, "a complaint to the head of the body can be lodged from %s", day(from))
		}
		if c.On.After(to) {
			return nil, fault.Rule(ReasonComplaintTooLate, ArtComplaint,
				"a complaint to the head of the body is lodged within %d working days of the answer or of the expiry of the deadline: the last day was %s", env.Rules.HeadComplaintWorkingDays, day(to))
		}
	case ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION:
		from, to, ok := s.CommissionComplaintWindow(env.Rules)
		if !ok {
			return nil, fault.Rule(ReasonHeadFirst, ArtCommission, "complain to the head of the body first; the commission is seized after the head's answer or silence")
		}
		if c.On.Before(from) {
			return nil, fault.Rule(ReasonComplaintTooEarly, ArtCommission,
				"the head of the body has until %s to answer: the commission can be seized from %s", day(from.AddDate(0, 0, -1)), day(from))
		}
		if c.On.After(to) {
			return nil, fault.Rule(ReasonComplaintTooLate, ArtCommission,
				"the commission is seized within %d days of the head's answer or of the expiry of its deadline: the last day was %s", env.Rules.CommissionComplaintDays, day(to))
		}
	default:
		return nil, fault.Field("level", "complain to the HEAD of the body or to the COMMISSION")
	}
	return one(es.Decided{Payload: &ieventsv1.ComplaintLodged{Level: c.Level, LodgedOn: day(c.On), Grounds: grounds}}), nil
}

func decideComplaint(s State, c DecideComplaint, env Env) ([]es.Decided, error) {
	if c.Level != ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD && c.Level != ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION {
		return nil, fault.Field("level", "name the complaint: HEAD or COMMISSION")
	}
	art := ArtComplaint
	if c.Level == ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION {
		art = ArtCommission
	}
	cp, ok := s.Complaints[c.Level]
	if !ok {
		return nil, fault.Rule(ReasonNoComplaint, art, "no complaint at this level was lodged")
	}
	if cp.Decided {
		return nil, fault.Rule(ReasonComplaintDecided, art, "this complaint was already decided on %s", cp.DecidedOn.Format(DayLayout))
	}
	if c.Outcome == ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UNSPECIFIED || ieventsv1.ComplaintOutcome_name[int32(c.Outcome)] == "" {
		return nil, fault.Field("outcome", "UPHELD, PARTLY_UPHELD or REJECTED")
	}
	if c.On.IsZero() {
		c.On = env.Today
	}
	if c.On.After(env.Today) || c.On.Before(cp.On) {
		return nil, fault.Field("decided_on", "the day decided must be between the day lodged (%s) and today", cp.On.Format(DayLayout))
	}
	reasons := strings.TrimSpace(c.Reasons)
	if reasons == "" || utf8.RuneCountInString(reasons) > MaxReasons {
		return nil, fault.Field("reasons", "give the decision's reasons or reference (1-%d characters)", MaxReasons)
	}
	return one(es.Decided{Payload: &ieventsv1.ComplaintDecided{Level: c.Level, Outcome: c.Outcome, DecidedOn: c.On.Format(DayLayout), Reasons: reasons}}), nil
}

// CorrectHoliday validates an administrator's correction of a holiday of
// year on the calendar known now.
func CorrectHoliday(cal *Calendar, year int, key, date, name, reference string) (*ieventsv1.HolidayCorrected, error) {
	if year < 2000 || year > 2100 {
		return nil, fault.Field("year", "%d is not a year the calendar keeps", year)
	}
	if !cal.Known(year, key) {
		return nil, fault.New(fault.Invalid, ReasonUnknownHoliday, "%q is not a holiday of %d: use a key GetWorkCalendar lists", key, year)
	}
	if date != "" {
		d, err := ParseDay(date)
		if err != nil || d.Year() != year {
			return nil, fault.Field("date", "give a day YYYY-MM-DD of %d", year)
		}
	}
	if strings.TrimSpace(reference) == "" || utf8.RuneCountInString(reference) > MaxShort {
		return nil, fault.Field("reference", "cite the announcement (1-%d characters)", MaxShort)
	}
	return &ieventsv1.HolidayCorrected{Holiday: key, Date: date, Name: strings.TrimSpace(name), Reference: strings.TrimSpace(reference)}, nil
}

// CheckPublication validates a register entry (art. 10).
func CheckPublication(p *ieventsv1.PublicationRecorded, today Day) error {
	if p.GetCategory() == ieventsv1.PublicationCategory_PUBLICATION_CATEGORY_UNSPECIFIED || ieventsv1.PublicationCategory_name[int32(p.GetCategory())] == "" {
		return fault.Field("category", "name a category of %s", ArtProactive)
	}
	if t := strings.TrimSpace(p.GetTitle()); t == "" || utf8.RuneCountInString(t) > MaxShort {
		return fault.Field("title", "say what was published (1-%d characters)", MaxShort)
	}
	d, err := ParseDay(p.GetPublishedOn())
	if err != nil || d.After(today) {
		return fault.Field("published_on", "give the day it was published, YYYY-MM-DD, not after today")
	}
	u := p.GetUrl()
	if u == "" && p.GetDocumentSha256() == "" {
		return fault.Field("url", "say where: a URL or a document's SHA-256")
	}
	if u != "" && !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || utf8.RuneCountInString(u) > MaxShort {
		return fault.Field("url", "a public http(s) URL of at most %d characters", MaxShort)
	}
	if h := p.GetDocumentSha256(); h != "" && !isHexSHA256(h) {
		return fault.Field("document_sha256", "64 lower-case hex digits")
	}
	return nil
}

// Categories returns every category of art. 10 the register tracks.
func Categories() []ieventsv1.PublicationCategory {
	var out []ieventsv1.PublicationCategory
	for v := range ieventsv1.PublicationCategory_name {
		if v != 0 {
			out = append(out, ieventsv1.PublicationCategory(v))
		}
	}
	slices.Sort(out)
	return out
}

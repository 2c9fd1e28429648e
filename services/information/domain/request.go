package domain

import (
	"time"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// State is one request for information as its stream tells it.
type State struct {
	Exists bool
	// Name is "communes/{c}/informationRequests/{r}"; Council its council's
	// resource name.
	Name, Council  string
	ReceiptNumber  string
	ReceivedOn     Day
	Channel        ieventsv1.RequestChannel
	RequesterKind  ieventsv1.RequesterKind
	RequesterKey   string
	IdentitySealed []byte
	IdentityKeyID  string
	// IdentityErased: the identity's data key was destroyed at the
	// requester's request; the sealed identity no longer opens.
	IdentityErased bool
	Subject        string
	Urgent         bool
	UrgentReason   string
	Extended       bool
	ExtensionNote  string
	ExtendedOn     Day
	Answered       bool
	Answer         Answer
	Complaints     map[ieventsv1.ComplaintLevel]Complaint
	LastRecordedAt time.Time
}

// Answer is the council's answer.
type Answer struct {
	Kind           ieventsv1.AnswerKind
	Exceptions     []ieventsv1.Exception
	Reasons        string
	Information    string
	DocumentSHA256 string
	Link           string
	CostsCentimes  int64
	On             Day
}

// Complaint is one step of recourse.
type Complaint struct {
	On        Day
	Grounds   string
	Decided   bool
	Outcome   ieventsv1.ComplaintOutcome
	DecidedOn Day
	Reasons   string
}

// Evolve folds one recorded event into the state.
func Evolve(s State, r es.Recorded) State {
	switch e := r.Payload.(type) {
	case *ieventsv1.RequestReceived:
		on, _ := ParseDay(e.GetReceivedOn())
		s = State{Exists: true, Name: e.GetName(), Council: councilOf(e.GetName()), ReceiptNumber: e.GetReceiptNumber(), ReceivedOn: on,
			Channel: e.GetChannel(), RequesterKind: e.GetRequesterKind(), RequesterKey: e.GetRequesterKey(), Subject: e.GetSubject(),
			IdentitySealed: e.GetIdentityCiphertext(), IdentityKeyID: e.GetIdentityKeyId(),
			Urgent: e.GetUrgent(), UrgentReason: e.GetUrgentReason()}
	case *ieventsv1.RequesterErased:
		s.IdentityErased = true
	case *ieventsv1.RequestExtended:
		s.Extended, s.ExtensionNote = true, e.GetReasons()
		s.ExtendedOn, _ = ParseDay(e.GetNotifiedOn())
	case *ieventsv1.RequestAnswered:
		on, _ := ParseDay(e.GetAnsweredOn())
		s.Answered = true
		s.Answer = Answer{Kind: e.GetKind(), Exceptions: append([]ieventsv1.Exception(nil), e.GetExceptions()...), Reasons: e.GetReasons(),
			Information: e.GetInformation(), DocumentSHA256: e.GetDocumentSha256(), Link: e.GetLink(), CostsCentimes: e.GetCostsCentimes(), On: on}
	case *ieventsv1.ComplaintLodged:
		on, _ := ParseDay(e.GetLodgedOn())
		s.Complaints = cloneComplaints(s.Complaints)
		s.Complaints[e.GetLevel()] = Complaint{On: on, Grounds: e.GetGrounds()}
	case *ieventsv1.ComplaintDecided:
		on, _ := ParseDay(e.GetDecidedOn())
		s.Complaints = cloneComplaints(s.Complaints)
		c := s.Complaints[e.GetLevel()]
		c.Decided, c.Outcome, c.DecidedOn, c.Reasons = true, e.GetOutcome(), on, e.GetReasons()
		s.Complaints[e.GetLevel()] = c
	}
	if !r.RecordedAt.IsZero() {
		s.LastRecordedAt = r.RecordedAt
	}
	return s
}

func cloneComplaints(m map[ieventsv1.ComplaintLevel]Complaint) map[ieventsv1.ComplaintLevel]Complaint {
	out := make(map[ieventsv1.ComplaintLevel]Complaint, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// councilOf returns "communes/{c}" of "communes/{c}/informationRequests/{r}".
func councilOf(name string) string {
	n := 0
	for i := range len(name) {
		if name[i] == '/' {
			n++
			if n == 2 {
				return name[:i]
			}
		}
	}
	return ""
}

// AnswerWorkingDays is the request's own period before any extension: 20
// working days (art. 16), 3 when urgent (art. 17).
func (s State) AnswerWorkingDays(rb Rulebook) int {
	if s.Urgent {
		return rb.UrgentWorkingDays
	}
	return rb.AnswerWorkingDays
}

// ExtensionWorkingDays is the length of the one extension allowed.
func (s State) ExtensionWorkingDays(rb Rulebook) int {
	if s.Urgent {
		return rb.UrgentExtensionWorkingDays
	}
	return rb.ExtensionWorkingDays
}

// DueOn is the last day to answer, on calendar cal: the n-th working day
// after receipt (art. 16), n including the extension if granted.
func (s State) DueOn(cal *Calendar, rb Rulebook) Day {
	n := s.AnswerWorkingDays(rb)
	if s.Extended {
		n += s.ExtensionWorkingDays(rb)
	}
	return cal.AddWorkingDays(s.ReceivedOn, n)
}

// OnTime reports whether the answer came by the due day on cal.
func (s State) OnTime(cal *Calendar, rb Rulebook) bool {
	return s.Answered && !s.Answer.On.After(s.DueOn(cal, rb))
}

// Overdue reports whether, on day today, the request has no answer and its
// due day has passed.
func (s State) Overdue(cal *Calendar, rb Rulebook, today Day) bool {
	return s.Exists && !s.Answered && today.After(s.DueOn(cal, rb))
}

// HeadComplaintWindow is when a complaint to the head of the body may be
// lodged (art. 19): from the answer, or from the day after the deadline
// passed in silence, for 20 working days.
func (s State) HeadComplaintWindow(cal *Calendar, rb Rulebook) (from, to Day) {
	start := s.DueOn(cal, rb)
	from = start.AddDate(0, 0, 1)
	if s.Answered {
		start, from = s.Answer.On, s.Answer.On
	}
	return from, cal.AddWorkingDays(start, rb.HeadComplaintWorkingDays)
}

// HeadDecisionDue is the day the head of the body must answer a
// complaint by (art. 19: 15 days).
func (s State) HeadDecisionDue(rb Rulebook) (Day, bool) {
	c, ok := s.Complaints[ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD]
	if !ok {
		return Day{}, false
	}
	return c.On.AddDate(0, 0, rb.HeadAnswerDays), true
}

// CommissionComplaintWindow is when the commission may be seized
// (art. 20): once the head answered or the head's deadline passed, for 30
// days.
func (s State) CommissionComplaintWindow(rb Rulebook) (from, to Day, ok bool) {
	head, lodged := s.Complaints[ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD]
	if !lodged {
		return Day{}, Day{}, false
	}
	due, _ := s.HeadDecisionDue(rb)
	start, from := due, due.AddDate(0, 0, 1)
	if head.Decided {
		start, from = head.DecidedOn, head.DecidedOn
	}
	return from, start.AddDate(0, 0, rb.CommissionComplaintDays), true
}

// DecisionDue is the day a lodged complaint must be decided by.
func (s State) DecisionDue(level ieventsv1.ComplaintLevel, rb Rulebook) Day {
	c := s.Complaints[level]
	if level == ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION {
		return c.On.AddDate(0, 0, rb.CommissionDecisionDays)
	}
	return c.On.AddDate(0, 0, rb.HeadAnswerDays)
}

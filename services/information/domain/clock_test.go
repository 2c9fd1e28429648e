package domain_test

import (
	"testing"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Law 31-13 art. 16: an answer within 20 working days of receipt. A
// request received on Tuesday 26 May 2026, the day before Eid al-Adha
// (27-28 May), skips the two days of the Eid, the weekends and 1 Muharram
// (17 June): due Friday 26 June, where a count of weekends alone would say
// 23 June.
func TestDueDateAcrossEidAndMuharram(t *testing.T) {
	cal := domain.NewCalendar(nil)
	s := given(received("2026-05-26", false))
	if got := s.DueOn(cal, domain.DefaultRulebook()).Format(domain.DayLayout); got != "2026-06-26" {
		t.Fatalf("due %s, want 2026-06-26", got)
	}
	// The same count without the holidays: only the weekends.
	if got := weekdaysOnly(d(t, "2026-05-26"), 20).Format(domain.DayLayout); got != "2026-06-23" {
		t.Fatalf("control: %s", got)
	}
	for _, tc := range []struct {
		day  string
		work bool
	}{{"2026-05-27", false}, {"2026-05-28", false}, {"2026-05-29", true}, {"2026-05-30", false}, {"2026-06-17", false},
		{"2026-01-14", false}, {"2026-10-30", true}, {"2026-11-06", false}, {"2026-11-18", false}, {"2026-07-30", false}} {
		if got := cal.WorkingDay(d(t, tc.day)); got != tc.work {
			t.Errorf("%s working: %v, want %v", tc.day, got, tc.work)
		}
	}
}

func weekdaysOnly(from domain.Day, n int) domain.Day {
	for n > 0 {
		from = from.AddDate(0, 0, 1)
		if wd := from.Weekday(); wd != 0 && wd != 6 {
			n--
		}
	}
	return from
}

// Art. 16: extendable once by 20 working days, with reasons told to the
// requester before the deadline expires.
func TestSingleExtension(t *testing.T) {
	s := given(received("2026-05-26", false))
	ev := then(t, s, domain.Extend{Reasons: "Les documents sont aux archives provinciales"}, env(t, "2026-06-20"))
	x, ok := ev.(*ieventsv1.RequestExtended)
	if !ok || x.GetNotifiedOn() != "2026-06-20" {
		t.Fatalf("extension: %v", ev)
	}
	s = given(received("2026-05-26", false), x)
	// 20 more working days from 26 June: 24 July (30 July, the Throne day,
	// comes after).
	if got := s.DueOn(domain.NewCalendar(nil), domain.DefaultRulebook()).Format(domain.DayLayout); got != "2026-07-24" {
		t.Fatalf("due after the extension %s, want 2026-07-24", got)
	}
	refused(t, s, domain.Extend{Reasons: "Encore plus de documents à chercher"}, env(t, "2026-07-01"), domain.ReasonAlreadyExtended, domain.ArtDeadline)

	fresh := given(received("2026-05-26", false))
	refused(t, fresh, domain.Extend{Reasons: "trop"}, env(t, "2026-06-01"), domain.ReasonExtensionReasons, domain.ArtDeadline)
	refused(t, fresh, domain.Extend{Reasons: "Les documents sont aux archives"}, env(t, "2026-06-29"), domain.ReasonDeadlinePassed, domain.ArtDeadline)
	// On the due day itself it is still in time.
	then(t, fresh, domain.Extend{Reasons: "Les documents sont aux archives"}, env(t, "2026-06-26"))
}

// Art. 17: an urgent request (life, safety, freedom of a person) within 3
// (working) days, extendable once by 3. Received on Thursday 19 March
// 2026, the eve of Eid al-Fitr (20-21 March): due Wednesday 25 March;
// extended, Monday 30 March.
func TestUrgentRequest(t *testing.T) {
	s := given(received("2026-03-19", true))
	rb := domain.DefaultRulebook()
	cal := domain.NewCalendar(nil)
	if got := s.DueOn(cal, rb).Format(domain.DayLayout); got != "2026-03-25" {
		t.Fatalf("urgent due %s, want 2026-03-25", got)
	}
	x := then(t, s, domain.Extend{Reasons: "Le service technique doit vérifier le plan"}, env(t, "2026-03-24"))
	s = given(received("2026-03-19", true), x)
	if got := s.DueOn(cal, rb).Format(domain.DayLayout); got != "2026-03-30" {
		t.Fatalf("urgent due after the extension %s, want 2026-03-30", got)
	}
	refused(t, s, domain.Extend{Reasons: "Le service technique doit encore vérifier"}, env(t, "2026-03-26"), domain.ReasonAlreadyExtended, domain.ArtUrgent)

	receive := domain.Receive{Name: reqName, ReceiptNumber: "2026/0002", ReceivedOn: d(t, "2026-03-19"), Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_ONLINE,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, Subject: "Plan d'évacuation", Urgent: true}
	refused(t, domain.State{}, receive, env(t, "2026-03-19"), domain.ReasonUrgentReason, domain.ArtUrgent)
	receive.UrgentReason = "Crue annoncée, famille à évacuer"
	ev := then(t, domain.State{}, receive, env(t, "2026-03-19")).(*ieventsv1.RequestReceived)
	if !ev.GetUrgent() || ev.GetUrgentReason() != receive.UrgentReason || ev.GetReceivedOn() != "2026-03-19" {
		t.Fatalf("received: %v", ev)
	}
	receive.ReceivedOn = d(t, "2026-03-20")
	refused(t, domain.State{}, receive, env(t, "2026-03-19"), domain.ReasonReceiptInFuture, domain.ArtRequest)
}

// Overdue: no answer by the due day. The day after it, the request is
// overdue; an answer, even late, ends that and is counted late.
func TestOverdueAndLate(t *testing.T) {
	cal, rb := domain.NewCalendar(nil), domain.DefaultRulebook()
	s := given(received("2026-05-26", false))
	if s.Overdue(cal, rb, d(t, "2026-06-26")) || !s.Overdue(cal, rb, d(t, "2026-06-29")) {
		t.Fatal("overdue only after the due day")
	}
	ans := then(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "Le budget est joint."}, env(t, "2026-06-30"))
	s = given(received("2026-05-26", false), ans)
	if s.Overdue(cal, rb, d(t, "2026-07-01")) || s.OnTime(cal, rb) {
		t.Fatal("a late answer is no longer overdue, and not on time")
	}
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "encore"}, env(t, "2026-07-01"), domain.ReasonRequestClosed, domain.ArtDeadline)
	refused(t, s, domain.Extend{Reasons: "Les documents sont aux archives"}, env(t, "2026-07-01"), domain.ReasonRequestClosed, "")
}

// A correction of a lunar holiday (Eid al-Adha announced a day later)
// moves a due date computed across it.
func TestCalendarCorrectionMovesDueDate(t *testing.T) {
	s := given(received("2026-05-26", false))
	rb := domain.DefaultRulebook()
	moved := domain.NewCalendar([]domain.Correction{
		{Year: 2026, Key: "eid-al-adha-1", Date: d(t, "2026-05-28")},
		{Year: 2026, Key: "eid-al-adha-2", Date: d(t, "2026-05-29")},
	})
	// 27 May becomes a working day and 29 May a holiday: as many working
	// days in the period, still 26 June.
	if got := s.DueOn(moved, rb).Format(domain.DayLayout); got != "2026-06-26" {
		t.Fatalf("due %s after moving the Eid inside the period", got)
	}
	// Moving the second day onto a Saturday gives one working day back.
	onSaturday := domain.NewCalendar([]domain.Correction{{Year: 2026, Key: "eid-al-adha-2", Date: d(t, "2026-05-30")}})
	if got := s.DueOn(onSaturday, rb).Format(domain.DayLayout); got != "2026-06-25" {
		t.Fatalf("due %s with the second day of the Eid on a Saturday, want 2026-06-25", got)
	}
	removed := domain.NewCalendar([]domain.Correction{{Year: 2026, Key: "muharram", Removed: true}})
	if got := s.DueOn(removed, rb).Format(domain.DayLayout); got != "2026-06-25" {
		t.Fatalf("due %s without 1 Muharram, want 2026-06-25", got)
	}
	hs := onSaturday.Holidays(2026)
	for _, h := range hs {
		if h.Key == "eid-al-adha-2" && (!h.Confirmed || h.Date.Format(domain.DayLayout) != "2026-05-30") {
			t.Fatalf("corrected holiday: %+v", h)
		}
	}
	if _, err := domain.CorrectHoliday(domain.NewCalendar(nil), 2026, "eid-al-kabir", "2026-05-28", "", "communiqué"); err == nil {
		t.Fatal("an unknown holiday was corrected")
	}
	if _, err := domain.CorrectHoliday(domain.NewCalendar(nil), 2026, "eid-al-adha-1", "2027-05-28", "", "communiqué"); err == nil {
		t.Fatal("a holiday of 2026 moved into 2027")
	}
}

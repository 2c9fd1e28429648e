package domain_test

import (
	"testing"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Arts 7 and 18: a partial answer or a refusal names the exception of art.
// 7 it rests on and gives its reasons in writing; a full answer withholds
// nothing and gives the information.
func TestAnswersAndRefusals(t *testing.T) {
	s := given(received("2026-05-26", false))
	e := env(t, "2026-06-10")
	private := []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_PRIVATE_LIFE}
	for _, kind := range []ieventsv1.AnswerKind{ieventsv1.AnswerKind_ANSWER_KIND_PARTIAL, ieventsv1.AnswerKind_ANSWER_KIND_REFUSED} {
		info := ""
		if kind == ieventsv1.AnswerKind_ANSWER_KIND_PARTIAL {
			info = "Le budget hors salaires nominatifs."
		}
		refused(t, s, domain.Give{Kind: kind, Reasons: "Les salaires nominatifs sont des données personnelles", Information: info}, e, domain.ReasonExceptionRequired, domain.ArtExceptions)
		refused(t, s, domain.Give{Kind: kind, Exceptions: private, Reasons: "vie privée", Information: info}, e, domain.ReasonRefusalReasons, domain.ArtReasoned)
		ev := then(t, s, domain.Give{Kind: kind, Exceptions: append(private, private...), Reasons: "Les salaires nominatifs sont des données personnelles", Information: info}, e).(*ieventsv1.RequestAnswered)
		if ev.GetKind() != kind || len(ev.GetExceptions()) != 1 || ev.GetAnsweredOn() != "2026-06-10" {
			t.Fatalf("%v: %v", kind, ev)
		}
	}
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Exceptions: private, Information: "x"}, e, "INVALID_ARGUMENT", "")
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL}, e, "INVALID_ARGUMENT", "")
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_REFUSED, Exceptions: private, Reasons: "Données personnelles des agents", Link: "https://x"}, e, "INVALID_ARGUMENT", "")
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, DocumentSHA256: "abc"}, e, "INVALID_ARGUMENT", "")
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x", On: d(t, "2026-05-25")}, e, "INVALID_ARGUMENT", "")
	refused(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x", CostsCentimes: -1}, e, "INVALID_ARGUMENT", "")
	full := then(t, s, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "Le budget est joint.", CostsCentimes: 1500}, e).(*ieventsv1.RequestAnswered)
	s = given(received("2026-05-26", false), full)
	if !s.OnTime(domain.NewCalendar(nil), domain.DefaultRulebook()) || s.Answer.CostsCentimes != 1500 {
		t.Fatalf("full answer on 10 June: %+v", s.Answer)
	}
	refused(t, domain.State{}, domain.Give{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x"}, e, domain.ReasonRequestNotFound, "")
}

// Art. 19: a complaint to the head of the body within 20 working days of
// the answer (or of the deadline's expiry in silence); the head answers
// within 15 days. Art. 20: then to the commission within 30 days of the
// head's answer or of the expiry of the head's deadline.
func TestComplaintDeadlines(t *testing.T) {
	head, commission := ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD, ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION
	rec := received("2026-05-26", false)
	silent := given(rec)
	// In silence: not before the deadline (26 June) has passed.
	refused(t, silent, domain.Complain{Level: head, Grounds: "Pas de réponse"}, env(t, "2026-06-26"), domain.ReasonComplaintTooEarly, domain.ArtComplaint)
	then(t, silent, domain.Complain{Level: head, Grounds: "Pas de réponse"}, env(t, "2026-06-29"))
	// 20 working days after 26 June: 24 July.
	then(t, silent, domain.Complain{Level: head, Grounds: "Pas de réponse"}, env(t, "2026-07-24"))
	refused(t, silent, domain.Complain{Level: head, Grounds: "Pas de réponse"}, env(t, "2026-07-27"), domain.ReasonComplaintTooLate, domain.ArtComplaint)
	refused(t, silent, domain.Complain{Level: commission, Grounds: "Pas de réponse"}, env(t, "2026-06-29"), domain.ReasonHeadFirst, domain.ArtCommission)

	refusal := &ieventsv1.RequestAnswered{Kind: ieventsv1.AnswerKind_ANSWER_KIND_REFUSED, Exceptions: []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_ADMINISTRATIVE_INQUIRY},
		Reasons: "Une enquête administrative est en cours", AnsweredOn: "2026-06-05"}
	s := given(rec, refusal)
	// After a refusal of 5 June: 20 working days (1 Muharram, 17 June,
	// excluded), to 6 July.
	then(t, s, domain.Complain{Level: head, Grounds: "Le refus n'est pas fondé"}, env(t, "2026-06-05"))
	then(t, s, domain.Complain{Level: head, Grounds: "Le refus n'est pas fondé"}, env(t, "2026-07-06"))
	refused(t, s, domain.Complain{Level: head, Grounds: "Le refus n'est pas fondé"}, env(t, "2026-07-07"), domain.ReasonComplaintTooLate, domain.ArtComplaint)
	lodged := then(t, s, domain.Complain{Level: head, Grounds: "Le refus n'est pas fondé"}, env(t, "2026-06-08")).(*ieventsv1.ComplaintLodged)
	s = given(rec, refusal, lodged)
	refused(t, s, domain.Complain{Level: head, Grounds: "encore"}, env(t, "2026-06-09"), domain.ReasonComplaintExists, domain.ArtComplaint)
	if due, _ := s.HeadDecisionDue(domain.DefaultRulebook()); due.Format(domain.DayLayout) != "2026-06-23" {
		t.Fatalf("head's answer due %s, want 2026-06-23 (15 days after 8 June)", due.Format(domain.DayLayout))
	}
	// The head still has time: the commission cannot be seized yet.
	refused(t, s, domain.Complain{Level: commission, Grounds: "Silence du président"}, env(t, "2026-06-23"), domain.ReasonComplaintTooEarly, domain.ArtCommission)
	// The head's silence: from 24 June, for 30 days (to 23 July).
	then(t, s, domain.Complain{Level: commission, Grounds: "Silence du président"}, env(t, "2026-06-24"))
	refused(t, s, domain.Complain{Level: commission, Grounds: "Silence du président"}, env(t, "2026-07-24"), domain.ReasonComplaintTooLate, domain.ArtCommission)

	refused(t, s, domain.DecideComplaint{Level: commission, Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UPHELD, Reasons: "x"}, env(t, "2026-06-20"), domain.ReasonNoComplaint, domain.ArtCommission)
	decided := then(t, s, domain.DecideComplaint{Level: head, Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_REJECTED, Reasons: "Décision 12/2026"}, env(t, "2026-06-15")).(*ieventsv1.ComplaintDecided)
	s = given(rec, refusal, lodged, decided)
	refused(t, s, domain.DecideComplaint{Level: head, Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UPHELD, Reasons: "x"}, env(t, "2026-06-16"), domain.ReasonComplaintDecided, domain.ArtComplaint)
	// After the head's answer of 15 June: at once, and for 30 days (15 July).
	then(t, s, domain.Complain{Level: commission, Grounds: "Le refus est confirmé à tort"}, env(t, "2026-06-15"))
	then(t, s, domain.Complain{Level: commission, Grounds: "Le refus est confirmé à tort"}, env(t, "2026-07-15"))
	refused(t, s, domain.Complain{Level: commission, Grounds: "Le refus est confirmé à tort"}, env(t, "2026-07-16"), domain.ReasonComplaintTooLate, domain.ArtCommission)
}

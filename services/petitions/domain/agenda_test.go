package domain_test

import (
	"strings"
	"testing"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// An admissible petition goes on the agenda of the next ordinary session
// (law 113-14 art. 125; communes sit in February, May and October, art. 33
// (check)).
func TestScheduleNextOrdinarySession_Law113_14_Art125(t *testing.T) {
	given(t, hAdmissible()...).when(domain.Schedule{SessionMonths: communeSessions}, asClerk).
		then(domain.Event{Payload: &petitionseventsv1.PetitionScheduled{Session: "2027-02"}})

	t.Run("a named session", func(t *testing.T) {
		given(t, hAdmissible()...).when(domain.Schedule{Session: "2027-05", SessionMonths: communeSessions}, asClerk).
			then(domain.Event{Payload: &petitionseventsv1.PetitionScheduled{Session: "2027-05"}})
	})
	t.Run("after referral to the committee", func(t *testing.T) {
		h := append(hAdmissible(), withCommittee())
		given(t, h...).when(domain.Schedule{SessionMonths: communeSessions}, asClerk).
			then(domain.Event{Payload: &petitionseventsv1.PetitionScheduled{Session: "2027-02"}})
	})
	for _, tc := range []struct {
		now  string
		want string
	}{
		{"2026-01-10T10:00:00Z", "2026-02"},
		{"2026-02-10T10:00:00Z", "2026-05"},
		{"2026-05-31T10:00:00Z", "2026-10"},
		{"2026-10-01T10:00:00Z", "2027-02"},
		{"2026-12-31T23:00:00Z", "2027-02"},
	} {
		t.Run("next after "+tc.now, func(t *testing.T) {
			y, m := domain.NextSession(date(tc.now), communeSessions, 0)
			if got := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Format("2006-01"); got != tc.want {
				t.Errorf("NextSession(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}

// Only an ordinary-session month takes a petition (law 113-14 art. 125
// (check); sessions art. 33 (check)).
func TestNotOrdinarySession_Law113_14_Art33(t *testing.T) {
	re := given(t, hAdmissible()...).when(domain.Schedule{Session: "2027-03", SessionMonths: communeSessions}, asClerk).
		thenRule(domain.RuleOrdinarySession, fault.FailedPrecondition)
	detailNames(t, re.Detail, "2027-03", "February", "May", "October")
}

// The session is a month, "YYYY-MM", not yet over (input shape for law
// 113-14 art. 125's "next ordinary session"; sessions art. 33 (check)).
func TestScheduleSessionField(t *testing.T) {
	for _, s := range []string{"2027-3", "2027-13", "27-02", "2027-02-01", "février 2027"} {
		t.Run(s, func(t *testing.T) {
			given(t, hAdmissible()...).when(domain.Schedule{Session: s, SessionMonths: communeSessions}, asClerk).thenField("session")
		})
	}
	t.Run("a past session", func(t *testing.T) {
		given(t, hAdmissible()...).when(domain.Schedule{Session: "2026-05", SessionMonths: communeSessions}, asClerk).thenField("session")
	})
}

// Only an admissible petition is scheduled, once (law 113-14 art. 125).
func TestScheduleWrongState_Law113_14_Art125(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"under review", hReview()},
		{"inadmissible", hInadmissible()},
		{"scheduled twice", hScheduled()},
		{"with committee, already scheduled", hWithCommittee()},
		{"deliberated", hDeliberated()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.Schedule{Session: "2027-02", SessionMonths: communeSessions}, asClerk).
				thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// The admissible petition is sent to the competent standing committee,
// which studies it (law 113-14 art. 125).
func TestReferToCommittee_Law113_14_Art125(t *testing.T) {
	given(t, hScheduled()...).when(domain.ReferToCommittee{Committee: "  Commission des services publics "}, asClerk).
		then(domain.Event{Payload: &petitionseventsv1.PetitionReferredToCommittee{Committee: "Commission des services publics"}})
	thenOne[*petitionseventsv1.PetitionReferredToCommittee](given(t, hAdmissible()...).when(domain.ReferToCommittee{Committee: "Commission du budget"}, asClerk))

	for name, c := range map[string]string{"no name": "", "blank": "  ", "oversized": strings.Repeat("c", domain.MaxShort+1)} {
		t.Run(name, func(t *testing.T) {
			given(t, hScheduled()...).when(domain.ReferToCommittee{Committee: c}, asClerk).thenField("committee")
		})
	}
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"under review", hReview()},
		{"inadmissible", hInadmissible()},
		{"referred twice", hWithCommittee()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(domain.ReferToCommittee{Committee: "Commission du budget"}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// The committee reports on what was referred to it (law 113-14 art. 125).
func TestCommitteeReport_Law113_14_Art125(t *testing.T) {
	at := now.Add(-48 * time.Hour)
	given(t, hWithCommittee()...).when(domain.RecordCommitteeReport{Summary: "Avis favorable", At: at}, asClerk).
		then(domain.Event{Payload: &petitionseventsv1.CommitteeReportRecorded{Summary: "Avis favorable"}, OccurredAt: at})

	t.Run("before referral", func(t *testing.T) {
		given(t, hScheduled()...).when(domain.RecordCommitteeReport{Summary: "Avis favorable"}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("after deliberation", func(t *testing.T) {
		given(t, hDeliberated()...).when(domain.RecordCommitteeReport{Summary: "Avis favorable"}, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
	t.Run("no summary", func(t *testing.T) {
		given(t, hWithCommittee()...).when(domain.RecordCommitteeReport{Summary: " "}, asClerk).thenField("summary")
	})
	t.Run("in the future", func(t *testing.T) {
		given(t, hWithCommittee()...).when(domain.RecordCommitteeReport{Summary: "Avis", At: now.Add(time.Hour)}, asClerk).thenField("report_time")
	})
}

// The council deliberates after the committee studied the petition, in an
// ordinary session (law 113-14 art. 125); it must examine the request, not
// grant it.
func TestDeliberation_Law113_14_Art125(t *testing.T) {
	cmd := deliberate()
	given(t, hReported()...).when(cmd, asClerk).then(domain.Event{
		Payload: &petitionseventsv1.PetitionDeliberated{
			Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_PARTLY_APPROVED,
			Summary: "Approuvée en partie", Reference: "PV-2027-02-03",
		},
		OccurredAt: cmd.At,
	})
	t.Run("rejected is an outcome", func(t *testing.T) {
		c := deliberate()
		c.Outcome = petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_REJECTED
		thenOne[*petitionseventsv1.PetitionDeliberated](given(t, hReported()...).when(c, asClerk))
	})
	t.Run("no committee report", func(t *testing.T) {
		given(t, hScheduled()...).when(deliberate(), asClerk).thenRule(domain.RuleCommitteeReport, fault.FailedPrecondition)
		given(t, hWithCommittee()...).when(deliberate(), asClerk).thenRule(domain.RuleCommitteeReport, fault.FailedPrecondition)
	})
	t.Run("no session", func(t *testing.T) {
		h := append(hAdmissible(), withCommittee(), reported())
		given(t, h...).when(deliberate(), asClerk).thenRule(domain.RuleOrdinarySession, fault.FailedPrecondition)
	})
	t.Run("outcome required", func(t *testing.T) {
		c := deliberate()
		c.Outcome = petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_UNSPECIFIED
		given(t, hReported()...).when(c, asClerk).thenField("outcome")
	})
	t.Run("summary required", func(t *testing.T) {
		c := deliberate()
		c.Summary = ""
		given(t, hReported()...).when(c, asClerk).thenField("summary")
	})
	t.Run("in the future", func(t *testing.T) {
		c := deliberate()
		c.At = now.Add(time.Hour)
		given(t, hReported()...).when(c, asClerk).thenField("deliberate_time")
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"admissible, not scheduled", hAdmissible()},
		{"inadmissible", hInadmissible()},
		{"deliberated twice", hDeliberated()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, tc.given...).when(deliberate(), asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// The agenda of a session is fixed some days before it (the rulebook's
// session margin): a petition found admissible within the margin goes to
// the session after (law 113-14 art. 125 "next ordinary session"; the
// margin is the council's internal rules). Provinces sit in January, June
// and September (law 112-14 art. 36).
func TestScheduleSessionMargin(t *testing.T) {
	provinceSessions := []time.Month{time.January, time.June, time.September}
	decidedOn := func(council, at string) []domain.Recorded {
		return []domain.Recorded{draftedIn(council), opened(), deposited(), referred(),
			decided(petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, at)}
	}
	ctxAt := func(at string) domain.Context { return domain.Context{Now: date(at), Actor: clerk} }
	for _, tc := range []struct {
		name, council, decided, now string
		months                      []time.Month
		margin                      int
		want                        string
	}{
		{"province admissible in December goes to January", beniMellalProv, "2026-12-03T10:00:00Z", "2026-12-04T10:00:00Z", provinceSessions, 10, "2027-01"},
		{"province admissible within the margin goes to June", beniMellalProv, "2026-12-25T10:00:00Z", "2026-12-26T10:00:00Z", provinceSessions, 10, "2027-06"},
		{"commune admissible 11 days before February", beniMellal, "2027-01-21T10:00:00Z", "2027-01-21T11:00:00Z", communeSessions, 10, "2027-02"},
		{"commune admissible 10 days before February", beniMellal, "2027-01-22T00:00:00Z", "2027-01-22T11:00:00Z", communeSessions, 10, "2027-05"},
		{"commune scheduled long after the decision", beniMellal, "2027-01-05T10:00:00Z", "2027-03-01T10:00:00Z", communeSessions, 10, "2027-05"},
		{"no margin", beniMellal, "2027-01-31T10:00:00Z", "2027-01-31T11:00:00Z", communeSessions, 0, "2027-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, decidedOn(tc.council, tc.decided)...).
				when(domain.Schedule{SessionMonths: tc.months, MarginDays: tc.margin}, ctxAt(tc.now)).
				then(domain.Event{Payload: &petitionseventsv1.PetitionScheduled{Session: tc.want}})
		})
	}
	t.Run("a named session whose agenda is fixed", func(t *testing.T) {
		re := given(t, decidedOn(beniMellal, "2027-01-25T10:00:00Z")...).
			when(domain.Schedule{Session: "2027-02", SessionMonths: communeSessions, MarginDays: 10}, ctxAt("2027-01-25T11:00:00Z")).
			thenRule(domain.RuleSessionAgendaClosed, fault.FailedPrecondition)
		detailNames(t, re.Detail, "2027-02", "2027-01-22", "2027-05")
		if re.Article != domain.Article(domain.Commune, domain.RuleSessionAgendaClosed) {
			t.Errorf("article %q", re.Article)
		}
	})
	t.Run("the province's January session is an ordinary session", func(t *testing.T) {
		given(t, decidedOn(beniMellalProv, "2026-12-03T10:00:00Z")...).
			when(domain.Schedule{Session: "2027-01", SessionMonths: provinceSessions, MarginDays: 10}, ctxAt("2026-12-04T10:00:00Z")).
			then(domain.Event{Payload: &petitionseventsv1.PetitionScheduled{Session: "2027-01"}})
	})
}

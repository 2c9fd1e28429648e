package domain_test

import (
	"strings"
	"testing"
	"time"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// The council (its president, bureau or a committee) asks one of its
// advisory bodies, or the public, for its view on a subject by a deadline
// (law 113-14 art. 119: mechanisms of dialogue and consultation).
func TestRequest_Law113_14_Art119(t *testing.T) {
	t.Run("a body, by the president", func(t *testing.T) {
		given(t).when(request(), asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationRequested{
			ConsultationId: consultationID, Council: beniMellal, Requester: president, Body: ieecag,
			SubjectKind: budget, Title: "Avis sur le projet de budget 2027", Deadline: deadlineDay,
		}})
	})
	t.Run("the public, by a committee, on a petition", func(t *testing.T) {
		c := request()
		c.Body, c.Requester, c.Committee = "", committee, "  Commission des services publics "
		c.SubjectKind, c.SubjectRef = petition, "communes/50910101/petitions/0193c4b2-0000-7000-8000-000000000001"
		given(t).when(c, asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationRequested{
			ConsultationId: consultationID, Council: beniMellal, Requester: committee, Committee: "Commission des services publics",
			SubjectKind: petition, SubjectRef: c.SubjectRef, Title: c.Title, Deadline: deadlineDay,
		}})
	})
	t.Run("a region's youth body, by the bureau", func(t *testing.T) {
		c := request()
		c.Council, c.Body, c.Requester = beniMellalReg, beniMellalReg+"/advisoryBodies/youth", bureau
		given(t).when(c, asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationRequested{
			ConsultationId: consultationID, Council: beniMellalReg, Requester: bureau, Body: c.Body,
			SubjectKind: budget, Title: c.Title, Deadline: deadlineDay,
		}})
	})
	t.Run("deadline today", func(t *testing.T) {
		c := request()
		c.Deadline = now.Format(time.DateOnly)
		given(t).when(c, asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationRequested{
			ConsultationId: consultationID, Council: beniMellal, Requester: president, Body: ieecag,
			SubjectKind: budget, Title: c.Title, Deadline: "2026-11-29",
		}})
	})

	for _, tc := range []struct {
		name  string
		edit  func(*domain.Request)
		field string
	}{
		{"not a council", func(c *domain.Request) { c.Council = "douars/x" }, "parent"},
		{"requester unset", func(c *domain.Request) { c.Requester = consultationseventsv1.Requester_REQUESTER_UNSPECIFIED }, "requester"},
		{"committee unnamed", func(c *domain.Request) { c.Requester, c.Committee = committee, "  " }, "committee"},
		{"committee named by the president", func(c *domain.Request) { c.Committee = "Commission du budget" }, "committee"},
		{"subject kind unset", func(c *domain.Request) { c.SubjectKind = consultationseventsv1.SubjectKind_SUBJECT_KIND_UNSPECIFIED }, "subject_kind"},
		{"petition without reference", func(c *domain.Request) { c.SubjectKind = petition }, "subject_ref"},
		{"petition reference not a petition", func(c *domain.Request) {
			c.SubjectKind, c.SubjectRef = petition, "communes/50910101/consultations/x"
		}, "subject_ref"},
		{"petition of another council", func(c *domain.Request) {
			c.SubjectKind, c.SubjectRef = petition, "communes/50910113/petitions/0193c4b2-0000-7000-8000-000000000001"
		}, "subject_ref"},
		{"petition of another level", func(c *domain.Request) {
			c.SubjectKind, c.SubjectRef = petition, beniMellalProv+"/petitions/0193c4b2-0000-7000-8000-000000000001"
		}, "subject_ref"},
		{"petition reference of no level", func(c *domain.Request) {
			c.SubjectKind, c.SubjectRef = petition, "douars/x/petitions/p-1"
		}, "subject_ref"},
		{"body of another council", func(c *domain.Request) { c.Body = "communes/50910311/advisoryBodies/ieecag" }, "body"},
		{"body of another level", func(c *domain.Request) { c.Body = beniMellalProv + "/advisoryBodies/ieecag" }, "body"},
		{"body not a body", func(c *domain.Request) { c.Body = beniMellal + "/committees/budget" }, "body"},
		{"title missing", func(c *domain.Request) { c.Title = " " }, "title"},
		{"title too long", func(c *domain.Request) { c.Title = strings.Repeat("é", domain.MaxTitle+1) }, "title"},
		{"deadline malformed", func(c *domain.Request) { c.Deadline = "01/12/2026" }, "deadline"},
		{"deadline not a day", func(c *domain.Request) { c.Deadline = "2026-02-30" }, "deadline"},
		{"deadline yesterday", func(c *domain.Request) { c.Deadline = "2026-11-28" }, "deadline"},
	} {
		t.Run("field "+tc.name, func(t *testing.T) {
			c := request()
			tc.edit(&c)
			given(t).when(c, asClerk).thenField(tc.field)
		})
	}
	t.Run("title of 200 characters", func(t *testing.T) {
		c := request()
		c.Title = strings.Repeat("é", domain.MaxTitle)
		given(t).when(c, asClerk).then(domain.Event{Payload: &consultationseventsv1.ConsultationRequested{
			ConsultationId: consultationID, Council: beniMellal, Requester: president, Body: ieecag,
			SubjectKind: budget, Title: c.Title, Deadline: deadlineDay,
		}})
	})
	t.Run("requested twice", func(t *testing.T) {
		given(t, bodyRequested()).when(request(), asClerk).thenError(fault.AlreadyExists, "CONSULTATION_EXISTS")
	})
}

// A request folds into a REQUESTED consultation whose deadline is the end
// of its deadline day.
func TestRequestedState(t *testing.T) {
	s := given(t, bodyRequested()).state
	if !s.Exists || s.ID != consultationID || s.Council != beniMellal || s.Body != ieecag || s.Public() ||
		s.Status != requested || s.Level() != domain.Commune || s.DeadlineDay != deadlineDay ||
		!s.Deadline.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) || !s.CreatedAt.Equal(date(historyOrigin)) {
		t.Fatalf("requested state %+v", s)
	}
	if got := s.Name(); got != "communes/50910101/consultations/"+consultationID {
		t.Errorf("name %q", got)
	}
	if got := domain.StreamID(beniMellal, consultationID); got != "consultation.50910101."+consultationID {
		t.Errorf("stream %q", got)
	}
}

// Every act but a request needs an existing consultation.
func TestUnknownConsultation(t *testing.T) {
	for _, cmd := range []domain.Command{
		domain.Acknowledge{}, record(workshop("w-1", 10, 5, 5, 1)), domain.CompletePhase{Phase: launch},
		domain.Answer{Synthesis: "x"}, domain.Withdraw{Reason: "x"},
	} {
		given(t).when(cmd, asClerk).thenError(fault.NotFound, "CONSULTATION_NOT_FOUND")
	}
}

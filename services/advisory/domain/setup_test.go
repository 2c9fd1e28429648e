package domain_test

import (
	"strings"
	"testing"
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/advisory/domain"
)

// The council sets up its equity and gender body by decision (law 113-14
// art. 120); without a quorum of its own the body takes the rulebook's
// (council's internal rules, art. 120 (check)). The body's id is its kind.
func TestSetUp_Law113_14_Art120(t *testing.T) {
	cmd := setUpCommand()
	cmd.Name = "  Instance de l'équité  "
	given(t).when(cmd, asStaff).then(domain.Event{Payload: &advisoryeventsv1.BodySetUp{
		BodyId: "equity-gender", Council: beniMellal, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		Name: "Instance de l'équité", DecisionDate: "2026-01-05", DecisionReference: "Délibération n° 12/2026",
		QuorumPercent: 50,
	}})

	t.Run("a quorum of its own", func(t *testing.T) {
		cmd := setUpCommand()
		cmd.QuorumPercent, cmd.ID = 60, "equity-gender"
		if p := thenOne[*advisoryeventsv1.BodySetUp](given(t).when(cmd, asStaff)); p.GetQuorumPercent() != 60 {
			t.Errorf("quorum = %d, want 60", p.GetQuorumPercent())
		}
	})
	t.Run("folded", func(t *testing.T) {
		s := given(t, setUp()).state
		if !s.Exists || s.ID != "equity-gender" || s.Council != beniMellal || s.Level() != domain.Commune ||
			s.QuorumPercent != 50 || s.DecisionDate != "2026-01-05" || !s.CreatedAt.Equal(date(historyOrigin)) {
			t.Errorf("state %+v", s)
		}
	})
	t.Run("a decision dated today", func(t *testing.T) {
		cmd := setUpCommand()
		cmd.DecisionDate = now.Format(time.DateOnly)
		thenOne[*advisoryeventsv1.BodySetUp](given(t).when(cmd, asStaff))
	})
}

// Which bodies a council sets up is the law's: communes the equity and
// gender body (law 113-14 art. 120), provinces the same (law 112-14 art.
// 111), regions that one, youth and economic questions (law 111-14 art.
// 117). Anything else: KIND_NOT_ALLOWED.
func TestKindNotAllowed_Law113_14_Art120_Law112_14_Art111_Law111_14_Art117(t *testing.T) {
	equity, youth, economic := advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, advisoryeventsv1.BodyKind_BODY_KIND_YOUTH, advisoryeventsv1.BodyKind_BODY_KIND_ECONOMIC
	for _, tc := range []struct {
		council string
		kind    advisoryeventsv1.BodyKind
		allowed bool
		article string
	}{
		{beniMellal, equity, true, ""},
		{beniMellal, youth, false, "law 113-14 art. 120"},
		{beniMellal, economic, false, "law 113-14 art. 120"},
		{beniMellalProv, equity, true, ""},
		{beniMellalProv, youth, false, "law 112-14 art. 111"},
		{beniMellalProv, economic, false, "law 112-14 art. 111"},
		{beniMellalReg, equity, true, ""},
		{beniMellalReg, youth, true, ""},
		{beniMellalReg, economic, true, ""},
	} {
		t.Run(tc.council+"/"+domain.BodyID(tc.kind), func(t *testing.T) {
			cmd := setUpCommand()
			cmd.Council, cmd.Kind = tc.council, tc.kind
			o := given(t).when(cmd, asStaff)
			if tc.allowed {
				p := thenOne[*advisoryeventsv1.BodySetUp](o)
				if p.GetBodyId() != domain.BodyID(tc.kind) || p.GetKind() != tc.kind || p.GetCouncil() != tc.council {
					t.Errorf("set up %v", p)
				}
				return
			}
			re := o.thenRule(domain.RuleKindNotAllowed)
			if re.Article != tc.article {
				t.Errorf("article = %q, want %q", re.Article, tc.article)
			}
			detailNames(t, re.Detail, "EQUITY_GENDER", strings.TrimPrefix(tc.kind.String(), "BODY_KIND_"))
		})
	}
}

// A set-up records a named council decision of a given date, not a future
// one; the quorum is a percentage (malformed input: INVALID_ARGUMENT).
func TestSetUpFields(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*domain.SetUp)
		field  string
	}{
		{"no council", func(c *domain.SetUp) { c.Council = "" }, "parent"},
		{"not a council", func(c *domain.SetUp) { c.Council = "prefectures/x" }, "parent"},
		{"council without a code", func(c *domain.SetUp) { c.Council = "communes/" }, "parent"},
		{"no kind", func(c *domain.SetUp) { c.Kind = advisoryeventsv1.BodyKind_BODY_KIND_UNSPECIFIED }, "kind"},
		{"unknown kind", func(c *domain.SetUp) { c.Kind = 42 }, "kind"},
		{"id not the kind's", func(c *domain.SetUp) { c.ID = "youth" }, "body_id"},
		{"no name", func(c *domain.SetUp) { c.Name = "  " }, "display_name"},
		{"name too long", func(c *domain.SetUp) { c.Name = strings.Repeat("a", domain.MaxName+1) }, "display_name"},
		{"no decision date", func(c *domain.SetUp) { c.DecisionDate = "" }, "decision_date"},
		{"malformed decision date", func(c *domain.SetUp) { c.DecisionDate = "05/01/2026" }, "decision_date"},
		{"impossible decision date", func(c *domain.SetUp) { c.DecisionDate = "2026-02-30" }, "decision_date"},
		{"decision after today", func(c *domain.SetUp) { c.DecisionDate = now.AddDate(0, 0, 2).Format(time.DateOnly) }, "decision_date"},
		{"no decision reference", func(c *domain.SetUp) { c.DecisionReference = "" }, "decision_reference"},
		{"negative quorum", func(c *domain.SetUp) { c.QuorumPercent = -1 }, "quorum_percent"},
		{"quorum over 100", func(c *domain.SetUp) { c.QuorumPercent = 101 }, "quorum_percent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := setUpCommand()
			tc.change(&cmd)
			given(t).when(cmd, asStaff).thenField(tc.field)
		})
	}
	t.Run("quorum of 100 %", func(t *testing.T) {
		cmd := setUpCommand()
		cmd.QuorumPercent = 100
		thenOne[*advisoryeventsv1.BodySetUp](given(t).when(cmd, asStaff))
	})
}

// A council has at most one body of each kind: its stream is the kind's,
// and a second set-up is BODY_EXISTS (AlreadyExists). The same set-up
// again is the idempotent retry of the create: it records nothing.
func TestSetUpTwice_BodyExists(t *testing.T) {
	other := setUpCommand()
	other.DecisionReference = "délibération 99/2026"
	e := given(t, setUp()).when(other, asStaff).thenError(fault.AlreadyExists, domain.ReasonBodyExists)
	detailNames(t, e.Detail, "equity-gender", "2026-01-05")
	given(t, setUp()).when(setUpCommand(), asStaff).then()
}

// A body's id is its kind, both ways.
func TestBodyIDAndParseKind(t *testing.T) {
	for kind, id := range map[advisoryeventsv1.BodyKind]string{
		advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER: "equity-gender",
		advisoryeventsv1.BodyKind_BODY_KIND_YOUTH:         "youth",
		advisoryeventsv1.BodyKind_BODY_KIND_ECONOMIC:      "economic",
	} {
		if got := domain.BodyID(kind); got != id {
			t.Errorf("BodyID(%v) = %q, want %q", kind, got, id)
		}
		if got, ok := domain.ParseKind(id); !ok || got != kind {
			t.Errorf("ParseKind(%q) = %v, %v, want %v", id, got, ok, kind)
		}
	}
	if id := domain.BodyID(advisoryeventsv1.BodyKind_BODY_KIND_UNSPECIFIED); id != "" {
		t.Errorf("BodyID(UNSPECIFIED) = %q, want empty", id)
	}
	for _, id := range []string{"", "gender", "Youth", "equity_gender"} {
		if k, ok := domain.ParseKind(id); ok {
			t.Errorf("ParseKind(%q) = %v, want not ok", id, k)
		}
	}
}

// Every act but the set-up needs a body: BODY_NOT_FOUND (NotFound).
func TestBodyNotFound(t *testing.T) {
	for _, cmd := range []domain.Command{
		domain.AddMember{Member: woman("m01")},
		domain.RemoveMember{MemberID: "m01", Reason: "démission"},
		domain.AssignBureauRole{MemberID: "m01", Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT},
		domain.RecordMeeting{MeetingID: "meet-1", Attendees: []string{"m01"}},
		domain.DraftOpinion{OpinionID: draftID, Title: "t", Text: "x"},
		domain.AdoptOpinion{OpinionID: draftID, MeetingID: "meet-1", For: 1},
		domain.TransmitOpinion{OpinionID: draftID},
		respond(),
	} {
		given(t).when(cmd, asSecretary).thenError(fault.NotFound, domain.ReasonBodyNotFound)
	}
}

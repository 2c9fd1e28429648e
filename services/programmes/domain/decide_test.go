package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// The decider tests: given past events, when a command, then new events
// or a refusal naming its rule and article. The mandate began on
// 2021-09-20 (the councils elected on 8 September 2021).
const (
	council = "communes/50910113"
	prep    = council + "/consultations/0190c0de-0000-7000-8000-000000000001"
)

func at(day string) Context {
	t, _ := time.Parse(time.DateOnly, day)
	return Context{Now: t.Add(10 * time.Hour)}
}

func given(evs ...proto.Message) State {
	var s State
	for _, e := range evs {
		s = Evolve(s, Recorded{Payload: e})
	}
	return s
}

func proj(id string, rank int32, cost int64) *eventsv1.Project {
	return &eventsv1.Project{ProjectId: id, TitleAr: "تهيئة الطريق " + id, TitleFr: "Aménagement de la piste " + id, Sector: "routes",
		Place: "douar Ait " + id, PriorityRank: rank, EstimatedCost: cost, FundingPartners: []string{"commune", "INDH"}, PlannedYears: []int32{2022, 2023}}
}

func vote(day string) *eventsv1.Deliberation {
	return &eventsv1.Deliberation{Session: "session ordinaire", Date: day, VotesFor: 20, VotesAgainst: 3, Abstentions: 2}
}

var (
	drafted = &eventsv1.ProgrammeDrafted{Council: council, MandateStart: "2021-09-20", Consultation: prep, TitleFr: "PAC 2022-2027"}
	roadA   = &eventsv1.ProjectAdded{Project: proj("route-a", 1, 3_000_000)}
	wellB   = &eventsv1.ProjectAdded{Project: proj("puits-b", 2, 1_000_000)}
	adopted = &eventsv1.ProgrammeAdopted{Deliberation: vote("2022-02-08")}
)

// refusedWith asserts a rule error with the reason and an article.
func refusedWith(t *testing.T, err error, reason, article string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s", reason)
	}
	_, got, ok := fault.Classify(err)
	if !ok || got != reason {
		t.Fatalf("error %v (reason %q); want %s", err, got, reason)
	}
	if article != "" {
		var re *fault.RuleError
		if !errors.As(err, &re) || re.Article != article {
			t.Fatalf("%s names article %q; want %q", reason, re.Article, article)
		}
		if !strings.Contains(err.Error(), article) {
			t.Errorf("message %q does not name the article", err)
		}
	}
}

// then returns a check that a decision gave one event of type T.
func then[T proto.Message](t *testing.T) func([]Event, error) T {
	return func(evs []Event, err error) T { t.Helper(); return only[T](t, evs, err) }
}

func only[T proto.Message](t *testing.T, evs []Event, err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e, ok := evs[0].Payload.(T)
	if !ok {
		t.Fatalf("event %T", evs[0].Payload)
	}
	return e
}

func TestDraftNeedsACommuneAndItsPAConsultation(t *testing.T) {
	draft := Draft{Council: council, MandateStart: "2021-09-20", TitleFR: "PAC", Preparation: Preparation{Name: prep, Exists: true, ActionProgramme: true}}
	ev := then[*eventsv1.ProgrammeDrafted](t)(Decide(State{}, draft, at("2021-10-01")))
	if ev.GetConsultation() != prep || ev.GetMandateStart() != "2021-09-20" {
		t.Errorf("drafted %v", ev)
	}
	prov := draft
	prov.Council = "provinces/azilal"
	_, err := Decide(State{}, prov, at("2021-10-01"))
	refusedWith(t, err, RuleNotCommune, ArtProgramme)

	budget := draft
	budget.Preparation.ActionProgramme = false
	_, err = Decide(State{}, budget, at("2021-10-01"))
	refusedWith(t, err, RuleNotPrepared, ArtProcedure)

	other := draft
	other.Preparation.Name = "communes/50910101/consultations/x"
	_, err = Decide(State{}, other, at("2021-10-01"))
	refusedWith(t, err, "INVALID_ARGUMENT", "")

	// One programme per commune per mandate: the mandate's stream exists.
	_, err = Decide(given(drafted), draft, at("2021-10-01"))
	refusedWith(t, err, ReasonProgrammeExists, "")
}

func TestAdoptionWithinTheFirstYearOfTheMandate(t *testing.T) {
	s := given(drafted, roadA, wellB)
	// The last day of the first year is 2022-09-19.
	ev := then[*eventsv1.ProgrammeAdopted](t)(Decide(s, Adopt{Deliberation: vote("2022-09-19")}, at("2022-10-01")))
	if ev.GetDeliberation().GetVotesFor() != 20 {
		t.Errorf("adopted %v", ev)
	}
	_, err := Decide(s, Adopt{Deliberation: vote("2022-09-20")}, at("2022-10-01"))
	refusedWith(t, err, RuleAdoptionLate, ArtProgramme)
	if !strings.Contains(err.Error(), "2022-09-19") {
		t.Errorf("message %q does not say the deadline", err)
	}
	_, err = Decide(s, Adopt{Deliberation: vote("2021-09-01")}, at("2022-10-01"))
	refusedWith(t, err, RuleOutsideMandate, ArtProgramme)

	_, err = Decide(given(drafted), Adopt{Deliberation: vote("2022-02-08")}, at("2022-03-01"))
	refusedWith(t, err, RuleWithoutProjects, ArtProgramme)

	tie := vote("2022-02-08")
	tie.VotesFor, tie.VotesAgainst = 10, 10
	_, err = Decide(s, Adopt{Deliberation: tie}, at("2022-03-01"))
	refusedWith(t, err, RuleVoteNotCarried, ArtDeliberation)

	_, err = Decide(given(drafted, roadA, adopted), Adopt{Deliberation: vote("2022-02-08")}, at("2022-03-01"))
	refusedWith(t, err, ReasonAlreadyAdopted, "")
}

func TestUpdateFromTheThirdYear(t *testing.T) {
	s := given(drafted, roadA, wellB, adopted)
	upd := Update{Deliberation: vote("2024-02-08"), Summary: "Piste C ajoutée, puits B retiré", Reasons: "Diagnostic actualisé",
		Added: []*eventsv1.Project{proj("piste-c", 3, 500_000)}, Removed: []string{"puits-b"}}
	// Adopted 2022-02-08: its third year begins on 2024-02-08.
	ev := then[*eventsv1.ProgrammeUpdated](t)(Decide(s, upd, at("2024-02-10")))
	if ev.GetVersion() != 2 || len(ev.GetAdded()) != 1 || ev.GetRemoved()[0] != "puits-b" {
		t.Errorf("updated %v", ev)
	}
	after := Evolve(s, Recorded{Payload: ev})
	if _, ok := after.Project("puits-b"); ok || after.Version != 2 || len(after.Projects) != 2 {
		t.Errorf("after the update: version %d, projects %v", after.Version, after.Projects)
	}
	if _, ok := s.Project("puits-b"); !ok || len(s.Projects) != 2 {
		t.Error("the update changed the state it was folded from")
	}

	early := upd
	early.Deliberation = vote("2024-02-07")
	_, err := Decide(s, early, at("2024-02-10"))
	refusedWith(t, err, RuleUpdateTooEarly, ArtUpdate)

	_, err = Decide(given(drafted, roadA), upd, at("2024-02-10"))
	refusedWith(t, err, RuleNotAdopted, ArtProcedure)

	none := upd
	none.Added, none.Removed = nil, nil
	_, err = Decide(s, none, at("2024-02-10"))
	refusedWith(t, err, RuleUpdateWithoutChanges, ArtUpdate)

	why := upd
	why.Reasons = " "
	_, err = Decide(s, why, at("2024-02-10"))
	refusedWith(t, err, "INVALID_ARGUMENT", "")

	reuse := upd
	reuse.Added = []*eventsv1.Project{proj("route-a", 3, 1)}
	reuse.Removed = nil
	_, err = Decide(s, reuse, at("2024-02-10"))
	refusedWith(t, err, ReasonProjectExists, "")
}

func TestProgressOnlyOnAnAdoptedProgramme(t *testing.T) {
	p := &eventsv1.ProgressRecorded{ProjectId: "route-a", Date: "2023-03-01", Percent: 40, Status: eventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY, Spend: 1_200_000}
	_, err := Decide(given(drafted, roadA), RecordProgress{Progress: p}, at("2023-03-02"))
	refusedWith(t, err, RuleNotAdopted, ArtProcedure)

	s := given(drafted, roadA, wellB, adopted)
	ev := then[*eventsv1.ProgressRecorded](t)(Decide(s, RecordProgress{Progress: p}, at("2023-03-02")))
	s = Evolve(s, Recorded{Payload: ev})
	// 40 % of 3,000,000 over 4,000,000 planned.
	if x := s.Execution(); x.Rate != 0.3 || x.Spend != 1_200_000 || x.Planned != 4_000_000 {
		t.Errorf("execution %+v, want rate 0.3", x)
	}

	missing := proto.Clone(p).(*eventsv1.ProgressRecorded)
	missing.ProjectId = "nope"
	_, err = Decide(s, RecordProgress{Progress: missing}, at("2023-03-02"))
	refusedWith(t, err, ReasonProjectNotFound, "")

	done := proto.Clone(p).(*eventsv1.ProgressRecorded)
	done.Status, done.Percent = eventsv1.ProjectStatus_PROJECT_STATUS_DONE, 90
	_, err = Decide(s, RecordProgress{Progress: done}, at("2023-03-02"))
	refusedWith(t, err, RuleProgressInconsistent, ArtProcedure)

	bad := proto.Clone(p).(*eventsv1.ProgressRecorded)
	bad.Percent = 101
	_, err = Decide(s, RecordProgress{Progress: bad}, at("2023-03-02"))
	refusedWith(t, err, "INVALID_ARGUMENT", "")

	late := proto.Clone(p).(*eventsv1.ProgressRecorded)
	late.Date = "2027-09-20"
	_, err = Decide(s, RecordProgress{Progress: late}, at("2027-10-01"))
	refusedWith(t, err, RuleOutsideMandate, ArtProgramme)
}

func TestADroppedProjectNeedsReasons(t *testing.T) {
	s := given(drafted, roadA, wellB, adopted)
	drop := &eventsv1.ProgressRecorded{ProjectId: "puits-b", Date: "2023-05-01", Status: eventsv1.ProjectStatus_PROJECT_STATUS_DROPPED, Reasons: "  "}
	_, err := Decide(s, RecordProgress{Progress: drop}, at("2023-05-02"))
	refusedWith(t, err, RuleDropReasons, ArtProcedure)

	drop.Reasons = "Nappe phréatique insuffisante"
	ev := then[*eventsv1.ProgressRecorded](t)(Decide(s, RecordProgress{Progress: drop}, at("2023-05-02")))
	s = Evolve(s, Recorded{Payload: ev})
	if x := s.Execution(); len(x.Dropped) != 1 || x.Planned != 3_000_000 {
		t.Errorf("execution %+v: the dropped project still planned", x)
	}
	again := &eventsv1.ProgressRecorded{ProjectId: "puits-b", Date: "2023-06-01", Percent: 10, Status: eventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY}
	_, err = Decide(s, RecordProgress{Progress: again}, at("2023-06-02"))
	refusedWith(t, err, RuleProjectClosed, ArtProcedure)

	// The yearly evaluation says what was dropped.
	eval := then[*eventsv1.YearEvaluated](t)(Decide(s, EvaluateYear{Year: 2023, Assessment: "Bilan 2023"}, at("2023-12-31")))
	if len(eval.GetDropped()) != 1 || eval.GetDropped()[0] != "puits-b" || eval.GetPlanned() != 3_000_000 {
		t.Errorf("evaluation %v", eval)
	}
	s = Evolve(s, Recorded{Payload: eval})
	_, err = Decide(s, EvaluateYear{Year: 2023, Assessment: "encore"}, at("2023-12-31"))
	refusedWith(t, err, ReasonEvaluationExists, "")
}

func TestProjectsAreAddedToTheDraftOnly(t *testing.T) {
	s := given(drafted, roadA)
	_, err := Decide(s, AddProject{Project: proj("route-a", 5, 1)}, at("2021-12-01"))
	refusedWith(t, err, ReasonProjectExists, "")
	if evs, err := Decide(s, AddProject{Project: proj("route-a", 1, 3_000_000)}, at("2021-12-01")); err != nil || len(evs) != 0 {
		t.Errorf("the same project sent again: %v, %v; want nothing new", evs, err)
	}
	out := proj("x", 1, 1)
	out.PlannedYears = []int32{2028}
	_, err = Decide(s, AddProject{Project: out}, at("2021-12-01"))
	refusedWith(t, err, "INVALID_ARGUMENT", "")
	_, err = Decide(given(drafted, roadA, adopted), AddProject{Project: proj("y", 2, 1)}, at("2022-03-01"))
	refusedWith(t, err, ReasonAlreadyAdopted, "")
}

func TestEveryRuleNamesAnArticle(t *testing.T) {
	for _, r := range []string{RuleNotCommune, RuleNotPrepared, RuleAdoptionLate, RuleWithoutProjects, RuleVoteNotCarried, RuleUpdateTooEarly,
		RuleNotAdopted, RuleOutsideMandate, RuleProjectClosed, RuleDropReasons, RuleProgressInconsistent, RuleUpdateWithoutChanges} {
		if !strings.HasPrefix(Article(r), "law 113-14") {
			t.Errorf("%s: article %q", r, Article(r))
		}
	}
}

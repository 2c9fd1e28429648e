package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
)

func pacProject(id string, rank int32, cost int64, years ...int32) *programmeseventsv1.Project {
	return &programmeseventsv1.Project{ProjectId: id, TitleAr: "مشروع " + id, TitleFr: "Projet " + id, Sector: "routes", Place: "douar " + id,
		PriorityRank: rank, EstimatedCost: cost, FundingPartners: []string{"commune", "conseil régional"}, PlannedYears: years}
}

// TestProgrammeEndToEnd is issue 21's acceptance 3 in Zaouiat Cheikh
// (50910113): a programme prepared by its consultation, with projects,
// adopted in the mandate's first year, followed, refused an update before
// its third year, updated in it; as of a time before the update the
// first version shows. Every refusal leaves the log as it was.
func TestProgrammeEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2021, 10, 1, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	staff := e.token(access.RoleStaff, "50910113", "clerk-zc")
	other := e.token(access.RoleStaff, "50910101", "clerk-bm")
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	prg := programmesv1.NewProgrammeServiceClient(e.conn)
	const council = "communes/50910113"

	c, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Préparation du PAC 2022-2027", Deadline: "2022-06-30"})
	if err != nil {
		t.Fatal(err)
	}
	budget, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET, Title: "Budget 2022", Deadline: "2022-06-30"})
	if err != nil {
		t.Fatal(err)
	}

	// A budget consultation does not prepare a programme.
	before := e.quietHead()
	_, err = prg.CreateProgramme(as(staff), &programmesv1.CreateProgrammeRequest{Parent: council, MandateStart: "2021-09-20",
		Consultation: budget.GetConsultation().GetName(), TitleFr: "PAC"})
	wantCode(t, err, codes.FailedPrecondition, "PROGRAMME_NOT_PREPARED")

	// Over REST, as the clerk.
	var created programmesv1.CreateProgrammeResponse
	code, body := e.restProto(http.MethodPost, "/v1/"+council+"/programmes", staff, map[string]any{"mandateStart": "2021-09-20",
		"consultation": c.GetConsultation().GetName(), "titleFr": "Plan d'action communal 2022-2027", "titleAr": "برنامج عمل الجماعة"}, &created)
	if code != http.StatusOK {
		t.Fatalf("create: %d %s", code, body)
	}
	name := created.GetProgramme().GetName()
	if name != council+"/programmes/2021" || created.GetProgramme().GetAdoptionDeadline() != "2022-09-19" || created.GetProgramme().GetMandateEnd() != "2027-09-19" {
		t.Fatalf("created %v", created.GetProgramme())
	}
	if before+1 != e.head() {
		t.Fatalf("the refused create wrote: head %d, was %d before the create", e.head(), before)
	}
	// One programme per commune per mandate.
	before = e.quietHead()
	code, body = e.rest(http.MethodPost, "/v1/"+council+"/programmes", staff, map[string]any{"mandateStart": "2021-09-25",
		"consultation": c.GetConsultation().GetName(), "titleFr": "Un autre"}, nil)
	if code != http.StatusConflict || !strings.Contains(body, "PROGRAMME_EXISTS") {
		t.Fatalf("second programme of the mandate: %d %s", code, body)
	}
	// Another commune's clerk, and a crafted name under another commune.
	_, err = prg.AddProject(as(other), &programmesv1.AddProjectRequest{Name: name, Project: pacProject("x", 1, 1, 2022)})
	wantCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = prg.AddProject(as(other), &programmesv1.AddProjectRequest{Name: "communes/50910101/programmes/2021", Project: pacProject("x", 1, 1, 2022)})
	wantCode(t, err, codes.NotFound, "PROGRAMME_NOT_FOUND")
	_, err = prg.GetProgramme(as(""), &programmesv1.GetProgrammeRequest{Name: "communes/50910101/programmes/2021"})
	wantCode(t, err, codes.NotFound, "PROGRAMME_NOT_FOUND")
	e.noWrite(before)

	for _, p := range []*programmeseventsv1.Project{pacProject("route-a", 1, 3_000_000, 2022, 2023), pacProject("puits-b", 2, 1_000_000, 2023),
		pacProject("ecole-c", 3, 2_000_000, 2024, 2025)} {
		if _, err := prg.AddProject(as(staff), &programmesv1.AddProjectRequest{Name: name, Project: p}); err != nil {
			t.Fatal(err)
		}
	}
	before = e.quietHead()
	_, err = prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "route-a", Date: "2021-10-01", Percent: 10,
		Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY})
	wantCode(t, err, codes.FailedPrecondition, "PROGRAMME_NOT_ADOPTED")
	e.noWrite(before)

	clock.Advance(time.Date(2022, 2, 10, 9, 0, 0, 0, time.UTC).Sub(clock.Now()))
	staff = e.token(access.RoleStaff, "50910113", "clerk-zc")
	if _, err := prg.AdoptProgramme(as(staff), &programmesv1.AdoptProgrammeRequest{Name: name, Deliberation: &programmeseventsv1.Deliberation{
		Session: "session ordinaire de février 2022", Date: "2022-02-08", VotesFor: 21, VotesAgainst: 4, Abstentions: 2}}); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Date(2023, 6, 1, 9, 0, 0, 0, time.UTC).Sub(clock.Now()))
	staff = e.token(access.RoleStaff, "50910113", "clerk-zc")
	if _, err := prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "route-a", Date: "2023-05-30", Percent: 60,
		Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY, Spend: 1_700_000, EvidenceSha256: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	before = e.quietHead()
	_, err = prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "puits-b", Date: "2023-05-30",
		Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_DROPPED})
	wantCode(t, err, codes.FailedPrecondition, "DROP_REASONS_REQUIRED")
	e.noWrite(before)
	if _, err := prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "puits-b", Date: "2023-05-30",
		Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_DROPPED, Reasons: "nappe insuffisante, étude hydrogéologique négative"}); err != nil {
		t.Fatal(err)
	}
	v1Pos := e.head()

	// The third year begins on 2024-02-08.
	clock.Advance(time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC).Sub(clock.Now()))
	staff = e.token(access.RoleStaff, "50910113", "clerk-zc")
	update := &programmesv1.UpdateProgrammeRequest{Name: name, Deliberation: &programmeseventsv1.Deliberation{Session: "session extraordinaire", Date: "2024-01-18", VotesFor: 19, VotesAgainst: 2},
		Summary: "Piste D ajoutée ; école C retirée", Reasons: "L'école est construite par le ministère", Added: []*programmeseventsv1.Project{pacProject("piste-d", 3, 800_000, 2024, 2025)},
		Removed: []string{"ecole-c"}}
	before = e.quietHead()
	_, err = prg.UpdateProgramme(as(staff), update)
	wantCode(t, err, codes.FailedPrecondition, "PROGRAMME_UPDATE_TOO_EARLY")
	e.noWrite(before)
	beforeUpdate := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)

	clock.Advance(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC).Sub(clock.Now()))
	staff = e.token(access.RoleStaff, "50910113", "clerk-zc")
	update.Deliberation.Date = "2024-02-27"
	up, err := prg.UpdateProgramme(as(staff), update)
	if err != nil {
		t.Fatal(err)
	}
	now := up.GetProgramme()
	if now.GetVersion() != 2 || len(now.GetVersions()) != 2 || now.GetVersions()[1].GetSummary() != update.Summary || len(now.GetProjects()) != 3 {
		t.Fatalf("after the update: %v", now)
	}
	// route-a 60 % of 3 M, piste-d 0 % of 0.8 M; puits-b dropped.
	if want := 0.6 * 3_000_000 / 3_800_000; now.GetExecutionRate() != want || now.GetDropped()[0] != "puits-b" || now.GetSpend() != 1_700_000 {
		t.Errorf("execution %v, dropped %v, spend %d; want rate %v", now.GetExecutionRate(), now.GetDropped(), now.GetSpend(), want)
	}

	// The public page: the projects with their progress bars, and what
	// changed when.
	page := e.restBody(fmt.Sprintf("/%s?lang=fr&at=%d", name, up.GetLogPosition()))
	for _, want := range []string{`<progress max="100" value="60"`, `id="project-piste-d"`, "Version 2", update.Summary, "session extraordinaire, 2024-02-27",
		"abandonné", "nappe insuffisante", `id="pac-version"><bdi>2</bdi>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the programme page does not show %q", want)
		}
	}
	if strings.Contains(page, `id="project-ecole-c"`) {
		t.Error("the page still lists the removed project")
	}

	// As of before the update, the first version: over REST by valid
	// time, and by position.
	var old programmesv1.GetProgrammeResponse
	code, body = e.restProto(http.MethodGet, "/v1/"+name+"?validTime="+beforeUpdate.Format(time.RFC3339), "", nil, &old)
	if code != http.StatusOK {
		t.Fatalf("as of: %d %s", code, body)
	}
	byPos, err := prg.GetProgramme(as(""), &programmesv1.GetProgrammeRequest{Name: name, AsOfPosition: v1Pos})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*programmesv1.Programme{old.GetProgramme(), byPos.GetProgramme()} {
		ids := []string{}
		for _, pr := range p.GetProjects() {
			ids = append(ids, pr.GetProject().GetProjectId())
		}
		if p.GetVersion() != 1 || strings.Join(ids, ",") != "route-a,puits-b,ecole-c" || p.GetProjects()[0].GetPercent() != 60 {
			t.Errorf("as of before the update: version %d, projects %v", p.GetVersion(), ids)
		}
	}
}

// restProto is rest decoding the answer as protobuf JSON.
func (e *env) restProto(method, path, tok string, body any, out proto.Message) (int, string) {
	e.t.Helper()
	code, text := e.rest(method, path, tok, body, nil)
	if code == http.StatusOK {
		if err := protojson.Unmarshal([]byte(text), out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, text, err)
		}
	}
	return code, text
}

// noWrite asserts the log's head did not move.
func (e *env) noWrite(before uint64) {
	e.t.Helper()
	if h := e.head(); h != before {
		e.t.Fatalf("a refused act wrote: head %d, was %d", h, before)
	}
}

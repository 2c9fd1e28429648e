package main

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
)

// forumData is the Béni Mellal-Khénifra forum's figures as a data set:
// 40 communes of the census, 500 workshops whose participants are 33 %
// women, 33 % youth and 6.5 % people with disabilities, 10,000
// satisfaction forms in one CSV file per commune, and an adopted action
// programme in 12 of the communes.
type forumData struct {
	communes []string // codes, the census's first 40 communes
	// files are the forms files, by commune code, and what the test
	// expects of them: per "group|service", the scores given.
	files  map[string]string
	scores map[string][]int
}

var formServices = []string{"civil_status", "roads", "lighting", "waste", "water"}

func newForumData(t *testing.T, census string) *forumData {
	t.Helper()
	f, err := os.Open(census)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	d := &forumData{files: map[string]string{}, scores: map[string][]int{}}
	for _, r := range recs[1:] {
		if len(d.communes) < 40 {
			d.communes = append(d.communes, r[0])
		}
	}
	rng := rand.New(rand.NewPCG(21, 2026))
	sexes := []string{"female", "male", ""}
	ages := []string{"under_18", "18_34", "35_59", "60_plus"}
	dis := []string{"yes", "no", "no", "no", "no", "no", "no", "no", "no", ""}
	groupOf := map[string]string{"female": "sex=SEX_FEMALE", "male": "sex=SEX_MALE", "under_18": "age_band=AGE_BAND_UNDER_18",
		"18_34": "age_band=AGE_BAND_18_34", "35_59": "age_band=AGE_BAND_35_59", "60_plus": "age_band=AGE_BAND_60_PLUS",
		"yes": "disability=DISABILITY_YES", "no": "disability=DISABILITY_NO"}
	serviceOf := map[string]string{"civil_status": "SERVICE_CIVIL_STATUS", "roads": "SERVICE_ROADS", "lighting": "SERVICE_LIGHTING", "waste": "SERVICE_WASTE", "water": "SERVICE_WATER"}
	for _, code := range d.communes {
		var b strings.Builder
		b.WriteString("form,area,sex,age_band,disability," + strings.Join(formServices, ",") + "\n")
		for i := range 250 {
			sex, age, di := sexes[rng.IntN(3)], ages[rng.IntN(4)], dis[rng.IntN(10)]
			fmt.Fprintf(&b, "%s-%03d,quartier %d,%s,%s,%s", code, i+1, rng.IntN(6), sex, age, di)
			groups := []string{""}
			for _, v := range []string{sex, age, di} {
				if g, ok := groupOf[v]; ok {
					groups = append(groups, g)
				}
			}
			rated := 0
			for j, s := range formServices {
				score := 1 + rng.IntN(5)
				if rng.IntN(4) == 0 && !(j == len(formServices)-1 && rated == 0) {
					b.WriteString(",")
					continue
				}
				rated++
				fmt.Fprintf(&b, ",%d", score)
				for _, g := range groups {
					d.scores[g+"|"+serviceOf[s]] = append(d.scores[g+"|"+serviceOf[s]], score)
				}
			}
			b.WriteString("\n")
		}
		d.files[code] = b.String()
	}
	return d
}

// TestRegionalDashboardAtForumScale is issue 21's acceptance 2: the forum's
// data set, recorded through the API, makes the regional dashboard show
// exactly its figures, over REST (and, in TestDashboardPage, on the page);
// a malformed forms file imports nothing and reports its line.
func TestRegionalDashboardAtForumScale(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	census := sharedData(t, "bmk_communes_2024.csv")
	e := startEnv(t, t.TempDir(), clock, census)
	d := newForumData(t, census)
	loadForumData(t, e, d)

	// A malformed file: line 57 has a score of 9. Nothing is imported.
	code := d.communes[0]
	staff := e.token(access.RoleStaff, code, "clerk-"+code)
	lines := strings.Split(d.files[code], "\n")
	parts := strings.Split(lines[56], ",")
	parts[len(parts)-1] = "9"
	lines[56] = strings.Join(parts, ",")
	before := e.quietHead()
	status, body := e.rest(http.MethodPost, "/v1/communes/"+code+"/surveyImports", staff, map[string]any{"period": "2026", "format": "tasharuk", "csv": strings.Join(lines, "\n")}, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "MALFORMED_SURVEY_CSV") || !strings.Contains(body, "line 57: water") {
		t.Fatalf("malformed file: %d %s", status, body)
	}
	e.noWrite(before)

	// Read after the last write (read-your-writes through min_position).
	head := e.head()
	var dash statusv1.GetRegionalDashboardResponse
	status, body = e.restProto(http.MethodGet, fmt.Sprintf("/v1/regions/beni-mellal-khenifra/dashboard?minPosition=%d", head), "", nil, &dash)
	if status != http.StatusOK {
		t.Fatalf("dashboard: %d %s", status, body)
	}
	checkForumFigures(t, d, &dash)

	// The page shows the same figures, each linking to its communes.
	page := e.restBody(fmt.Sprintf("/regions/beni-mellal-khenifra/dashboard?lang=fr&at=%d", head))
	for id, want := range map[string]string{"fig-communes": "135", "fig-programmes": "12", "fig-workshops": "500", "fig-participants": "120000",
		"fig-women": "33,0 %", "fig-youth": "33,0 %", "fig-disability": "6,5 %", "fig-forms": "10000", "fig-execution": "62,5 %"} {
		if got := figureOn(page, id); got != want {
			t.Errorf("page %s = %q, want %q", id, got, want)
		}
	}
	for _, anchor := range []string{`id="with-programme"`, `id="with-workshops"`, `id="with-forms"`, `href="#with-workshops"`} {
		if !strings.Contains(page, anchor) {
			t.Errorf("the page has no %s", anchor)
		}
	}
	if n := strings.Count(page[strings.Index(page, `id="with-forms"`):], `href="/communes/`); n != 40 {
		t.Errorf("the forms figure links to %d communes, want 40", n)
	}
}

// figureOn returns the text of the figure with this id on a page.
func figureOn(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	rest = rest[:strings.Index(rest, "</dd>")]
	var b strings.Builder
	in := false
	for _, r := range rest {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(strings.TrimPrefix(b.String(), `id="`+id+`"`))
}

// loadForumData records the data set: per commune a public consultation
// on its action programme with its workshops (12 or 13 of them, 200 or 400
// participants each, 33 % / 33 % / 6.5 %), its forms file, and in 12
// communes an adopted programme with progress.
func loadForumData(t *testing.T, e *env, d *forumData) {
	t.Helper()
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	prg := programmesv1.NewProgrammeServiceClient(e.conn)
	w := 0
	for i, code := range d.communes {
		council := "communes/" + code
		staff := e.token(access.RoleStaff, code, "clerk-"+code)
		c, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
			SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic participatif", Deadline: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		n := 12
		if i%2 == 0 {
			n = 13
		}
		for j := range n {
			size := int32(200)
			if w%5 == 0 {
				size = 400
			}
			w++
			if _, err := con.RecordWorkshop(as(staff), &consultationsv1.RecordWorkshopRequest{Name: c.GetConsultation().GetName(), Workshop: &consultationseventsv1.WorkshopHeld{
				WorkshopId: fmt.Sprintf("w%02d", j+1), Date: "2026-10-15", Place: "douar " + fmt.Sprint(j), Theme: "diagnostic", Participants: size,
				Women: size * 33 / 100, Youth: size * 33 / 100, Disability: size * 65 / 1000}}); err != nil {
				t.Fatal(err)
			}
		}
		var rep programmesv1.ImportSurveyFormsResponse
		status, body := e.restProto(http.MethodPost, "/v1/"+council+"/surveyImports", staff, map[string]any{"period": "2026", "format": "tasharuk", "csv": d.files[code]}, &rep)
		if status != http.StatusOK || rep.GetForms() != 250 || len(rep.GetRows()) != 250 || rep.GetRows()[0].GetLine() != 2 {
			t.Fatalf("import %s: %d %s", code, status, truncate(body))
		}
		if i < 12 {
			name := council + "/programmes/2021"
			if _, err := prg.CreateProgramme(as(staff), &programmesv1.CreateProgrammeRequest{Parent: council, MandateStart: "2021-09-20", Consultation: c.GetConsultation().GetName(), TitleFr: "PAC"}); err != nil {
				t.Fatal(err)
			}
			for k, cost := range []int64{1_000_000, 3_000_000} {
				if _, err := prg.AddProject(as(staff), &programmesv1.AddProjectRequest{Name: name, Project: pacProject(fmt.Sprintf("p%d", k+1), int32(k+1), cost, 2023)}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := prg.AdoptProgramme(as(staff), &programmesv1.AdoptProgrammeRequest{Name: name, Deliberation: &programmeseventsv1.Deliberation{Session: "février 2022", Date: "2022-02-08", VotesFor: 20}}); err != nil {
				t.Fatal(err)
			}
			// p1 done, p2 at 50 %: (1 M + 1.5 M) / 4 M = 0.625.
			if _, err := prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "p1", Date: "2026-10-01", Percent: 100, Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_DONE, Spend: 950_000}); err != nil {
				t.Fatal(err)
			}
			if _, err := prg.RecordProgress(as(staff), &programmesv1.RecordProgressRequest{Name: name, ProjectId: "p2", Date: "2026-10-01", Percent: 50, Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY, Spend: 1_400_000}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w != 500 {
		t.Fatalf("%d workshops", w)
	}
}

func checkForumFigures(t *testing.T, d *forumData, dash *statusv1.GetRegionalDashboardResponse) {
	t.Helper()
	f := dash.GetFigures()
	if f.GetCommunes() != 135 || f.GetWorkshops() != 500 || f.GetSurveyForms() != 10000 || f.GetCommunesWithProgramme() != 12 {
		t.Errorf("communes %d, workshops %d, forms %d, with programme %d; want 135, 500, 10000, 12", f.GetCommunes(), f.GetWorkshops(), f.GetSurveyForms(), f.GetCommunesWithProgramme())
	}
	// 400 workshops of 200 and 100 of 400.
	if f.GetParticipants() != 120000 || f.GetWomen() != 39600 || f.GetDisability() != 7800 {
		t.Errorf("participants %d, women %d, disability %d", f.GetParticipants(), f.GetWomen(), f.GetDisability())
	}
	if f.GetWomenRate() != 0.33 || f.GetYouthRate() != 0.33 || f.GetDisabilityRate() != 0.065 {
		t.Errorf("participation: women %v, youth %v, disability %v; want 0.33, 0.33, 0.065", f.GetWomenRate(), f.GetYouthRate(), f.GetDisabilityRate())
	}
	if f.GetExecutionRate() != 0.625 {
		t.Errorf("execution rate %v, want 0.625", f.GetExecutionRate())
	}
	want := append([]string(nil), d.communes...)
	sort.Strings(want)
	if strings.Join(f.GetCommunesWithWorkshopsCodes(), ",") != strings.Join(want, ",") || strings.Join(f.GetCommunesWithFormsCodes(), ",") != strings.Join(want, ",") {
		t.Errorf("communes behind the workshops: %v", f.GetCommunesWithWorkshopsCodes())
	}
	if len(f.GetCommunesWithProgrammeCodes()) != 12 {
		t.Errorf("communes behind the programmes: %v", f.GetCommunesWithProgrammeCodes())
	}
	// Satisfaction by service and group: the scores the files gave.
	got := map[string]*statusv1.ServiceSatisfaction{}
	for _, s := range f.GetSatisfaction() {
		got[s.GetGroup()+"|"+s.GetService()] = s
	}
	if len(got) != len(d.scores) {
		t.Errorf("%d satisfaction rows, want %d", len(got), len(d.scores))
	}
	for k, scores := range d.scores {
		sum, happy := 0, 0
		for _, s := range scores {
			sum += s
			if s >= 4 {
				happy++
			}
		}
		s := got[k]
		if s == nil || s.GetForms() != int64(len(scores)) || s.GetMeanScore() != float64(sum)/float64(len(scores)) || s.GetSatisfiedRate() != float64(happy)/float64(len(scores)) {
			t.Errorf("%s: got %v; want %d forms, mean %v", k, s, len(scores), float64(sum)/float64(len(scores)))
		}
	}
	// Per province, the communes add up to the region.
	var communes, workshops int32
	var forms int64
	for _, p := range dash.GetProvinces() {
		communes += p.GetFigures().GetCommunes()
		workshops += p.GetFigures().GetWorkshops()
		forms += p.GetFigures().GetSurveyForms()
		for _, c := range p.GetCommunes() {
			if c.GetFigures().GetSurveyForms() != 0 && c.GetFigures().GetSurveyForms() != 250 {
				t.Errorf("%s: %d forms", c.GetCouncil(), c.GetFigures().GetSurveyForms())
			}
		}
	}
	if len(dash.GetProvinces()) != 5 || communes != 135 || workshops != 500 || forms != 10000 {
		t.Errorf("provinces %d sum to %d communes, %d workshops, %d forms", len(dash.GetProvinces()), communes, workshops, forms)
	}
}

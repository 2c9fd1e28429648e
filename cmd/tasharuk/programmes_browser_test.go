package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
)

// TestProgrammeFormsInBrowser is issue 21's acceptance 4: in Chromium, a
// clerk records a workshop (first with a count that does not add up: the
// error shows next to the field, the form keeps what was typed) and a
// project's progress update through the forms, in Arabic and in French;
// axe-core finds no violation on the participation, programme and
// dashboard pages; the dashboard's screenshots are saved.
func TestProgrammeFormsInBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	prg := programmesv1.NewProgrammeServiceClient(e.conn)

	for lang, code := range map[string]string{"ar": "50910113", "fr": "50910107"} {
		council := "communes/" + code
		staff := e.token(access.RoleStaff, code, "clerk-"+lang)
		c, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
			SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic du PAC " + lang, Deadline: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		name := council + "/programmes/2021"
		if _, err := prg.CreateProgramme(as(staff), &programmesv1.CreateProgrammeRequest{Parent: council, MandateStart: "2021-09-20", Consultation: c.GetConsultation().GetName(),
			TitleFr: "Plan d'action communal 2022-2027", TitleAr: "برنامج عمل الجماعة 2022-2027"}); err != nil {
			t.Fatal(err)
		}
		if _, err := prg.AddProject(as(staff), &programmesv1.AddProjectRequest{Name: name, Project: pacProject("route-a", 1, 3_000_000, 2023, 2024)}); err != nil {
			t.Fatal(err)
		}
		if _, err := prg.AdoptProgramme(as(staff), &programmesv1.AdoptProgrammeRequest{Name: name, Deliberation: &programmeseventsv1.Deliberation{Session: "février 2022", Date: "2022-02-08", VotesFor: 20, VotesAgainst: 2}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(e.logs.String(), "\n") {
				if strings.Contains(l, "ERROR") || strings.Contains(l, "render") {
					t.Log(l)
				}
			}
		}
	})
	for _, lang := range []string{"ar", "fr"} {
		code := map[string]string{"ar": "50910113", "fr": "50910107"}[lang]
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			b := newBrowser(t, e.base, shots, axe, lang)
			// No violation at all, of any impact.
			clean := func(page string) {
				t.Helper()
				if vs := b.accessible(page); len(vs) != 0 {
					t.Errorf("%s (%s): %d axe violation(s)", page, lang, len(vs))
				}
			}
			b.open("/signin?lang=" + lang)
			b.do("paste the staff token", chromedp.SetValue(chromedp.ID("token"), e.token(access.RoleStaff, code, "clerk-web-"+lang)))
			b.submit("sign in as staff", "#signin-submit")

			// A workshop whose women outnumber its participants.
			b.open("/communes/" + code + "/participation")
			clean("participation")
			sel, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("workshop-consultation").value`))
			if err != nil || sel != "" {
				t.Fatalf("the consultation is pre-selected: %q (%v)", sel, err)
			}
			consultation, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#workshop-consultation option:nth-child(2)").value`))
			if err != nil || consultation == "" {
				t.Fatalf("no consultation to choose: %v", err)
			}
			fill := func(women string) {
				b.do("fill the workshop",
					chromedp.SetValue(chromedp.ID("workshop-consultation"), consultation),
					chromedp.SetValue(chromedp.ID("workshop-workshop_id"), "w-"+lang),
					chromedp.SetValue(chromedp.ID("workshop-date"), "2026-10-20"),
					chromedp.SetValue(chromedp.ID("workshop-place"), "دار الشباب"),
					chromedp.SetValue(chromedp.ID("workshop-theme"), "diagnostic"),
					chromedp.SetValue(chromedp.ID("workshop-participants"), "30"),
					chromedp.SetValue(chromedp.ID("workshop-women"), women),
					chromedp.SetValue(chromedp.ID("workshop-youth"), "10"),
					chromedp.SetValue(chromedp.ID("workshop-disability"), "2"),
					chromedp.SetValue(chromedp.ID("workshop-contributions"), "4"))
			}
			fill("40")
			if status := b.post("#workshop-submit"); status != 400 {
				t.Fatalf("the inconsistent workshop answered %d", status)
			}
			// The reason in the reader's language, then the API's message
			// naming the wrong count.
			if got := b.text("#workshop-women-error"); !strings.Contains(got, "women 40") || !strings.HasPrefix(got, catalogue(t, lang)["reason.PARTICIPANT_COUNTS_INCONSISTENT"]) {
				t.Fatalf("error next to the women field: %q", got)
			}
			kept, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("workshop-place").value + "|" + document.getElementById("workshop-consultation").value`))
			if kept != "دار الشباب|"+consultation {
				t.Fatalf("the form was not refilled: %q", kept)
			}
			clean("participation-error")
			fill("12")
			b.submit("record the workshop", "#workshop-submit")
			if got := b.text("#flash"); got != msg["flash.recorded"] {
				t.Fatalf("after the workshop: %q", got)
			}
			got, err := con.GetConsultation(context.Background(), &consultationsv1.GetConsultationRequest{Name: consultation, MinPosition: e.head()})
			if err != nil || len(got.GetConsultation().GetWorkshops()) != 1 || got.GetConsultation().GetWorkshops()[0].GetWomen() != 12 {
				t.Fatalf("the workshop recorded: %v (%v)", got.GetConsultation().GetWorkshops(), err)
			}

			// A progress update on the adopted programme.
			b.open("/communes/" + code + "/programmes/2021")
			clean("programme")
			b.do("fill the progress",
				chromedp.SetValue(chromedp.ID("progress-project_id"), "route-a"),
				chromedp.SetValue(chromedp.ID("progress-date"), "2026-10-30"),
				chromedp.SetValue(chromedp.ID("progress-percent"), "45"),
				chromedp.SetValue(chromedp.ID("progress-status"), "UNDER_WAY"),
				chromedp.SetValue(chromedp.ID("progress-spend"), "1200000"))
			b.submit("record the progress", "#progress-submit")
			bar, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(document.querySelector("#project-route-a progress").value)`))
			if err != nil || bar != "45" {
				t.Fatalf("progress bar %q (%v)", bar, err)
			}
			clean("programme-after")

			// The dashboard, with its screenshot.
			b.open("/regions/beni-mellal-khenifra/dashboard?lang=" + lang)
			if got := b.text("#fig-workshops"); got != "1" && got != "2" {
				t.Fatalf("dashboard workshops %q", got)
			}
			clean("dashboard")
			b.shot("dashboard")
			b.smallShot(filepath.Join(shots, "dashboard-"+lang+".png"))
		})
	}
}

// post clicks a form's button and returns the status of the page it
// leads to.
func (b *browser) post(button string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.t.Fatalf("submit %s: %v", button, err)
	}
	return resp.Status
}

// smallShot saves the top of the page at half scale: a small PNG for the
// docs.
func (b *browser) smallShot(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng,
			Clip: &page.Viewport{X: 0, Y: 0, Width: 1280, Height: 900, Scale: 0.5}})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

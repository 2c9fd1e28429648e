package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
)

// TestAdvisoryAndConsultationsEndToEnd runs issue 4's scenario in Kasba
// Tadla (50910107): a body of 21 members, a request on the draft action
// programme, three public workshops (33 % women, 33 % youth, 6.5 %
// disability from the counts), an opinion adopted 12-3-2 and answered
// "partly"; another request expires. Status, region view and a restart.
func TestAdvisoryAndConsultationsEndToEnd(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	staff := e.token(access.RoleStaff, "50910107", "clerk-kt")
	secretary := e.token(access.RoleAdvisory, "50910107", "secretary-ieecag")
	otherSecretary := e.token(access.RoleAdvisory, "50910101", "secretary-bm")
	adv := advisoryv1.NewAdvisoryServiceClient(e.conn)
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	const council = "communes/50910107"

	// The council sets the body up (staff), the secretary records members.
	b, err := adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		DisplayName: "Instance de l'équité, de l'égalité des chances et de l'approche genre", DecisionDate: "2026-03-12", DecisionReference: "délibération 14/2026"})
	if err != nil {
		t.Fatal(err)
	}
	body := b.GetBody().GetName()
	if body != council+"/advisoryBodies/equity-gender" {
		t.Fatalf("body name %q", body)
	}
	_, err = adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_YOUTH, DisplayName: "x", DecisionDate: "2026-03-12", DecisionReference: "y"})
	wantCode(t, err, codes.FailedPrecondition, "KIND_NOT_ALLOWED")
	// 21 members: 9 women, 7 young, 2 with a disability.
	for i := range 21 {
		sex := advisoryeventsv1.Sex_SEX_MALE
		if i < 9 {
			sex = advisoryeventsv1.Sex_SEX_FEMALE
		}
		age := advisoryeventsv1.AgeBand_AGE_BAND_ADULT
		if i%3 == 0 {
			age = advisoryeventsv1.AgeBand_AGE_BAND_YOUTH
		}
		if _, err := adv.AddMember(as(secretary), &advisoryv1.AddMemberRequest{Name: body, Member: &advisoryeventsv1.Member{
			MemberId: fmt.Sprintf("m%02d", i+1), Sex: sex, AgeBand: age, Disability: i == 4 || i == 15, Affiliation: "association " + fmt.Sprint(i%5)}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = adv.AddMember(as(otherSecretary), &advisoryv1.AddMemberRequest{Name: body, Member: &advisoryeventsv1.Member{MemberId: "x", Sex: advisoryeventsv1.Sex_SEX_MALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT}})
	wantCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	for _, r := range []struct {
		id   string
		role advisoryeventsv1.BureauRole
	}{{"m01", advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}, {"m02", advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT}, {"m10", advisoryeventsv1.BureauRole_BUREAU_ROLE_VICE_PRESIDENT}, {"m03", advisoryeventsv1.BureauRole_BUREAU_ROLE_RAPPORTEUR}} {
		if _, err := adv.AssignBureauRole(as(secretary), &advisoryv1.AssignBureauRoleRequest{Name: body, MemberId: r.id, Role: r.role}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := adv.GetBody(e.ctxBG(), &advisoryv1.GetBodyRequest{Name: body, MinPosition: e.head()})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.GetBody().GetComposition(); c.GetMembers() != 21 || c.GetWomen() != 9 || c.GetYouth() != 7 || c.GetDisability() != 2 || c.GetWomenShare() != 9.0/21 || c.GetYouthShare() != 7.0/21 || c.GetDisabilityShare() != 2.0/21 {
		t.Fatalf("composition: %v", c)
	}

	// The council asks the body for its view on the draft action programme,
	// and consults the public on it in workshops.
	req, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
		Body: body, SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Projet de PAC 2027-2032", Deadline: "2026-12-15"})
	if err != nil {
		t.Fatal(err)
	}
	request := req.GetConsultation().GetName()
	if _, err := con.AcknowledgeConsultation(as(secretary), &consultationsv1.AcknowledgeConsultationRequest{Name: request}); err != nil {
		t.Fatal(err)
	}
	pub, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic participatif du PAC", Deadline: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	public := pub.GetConsultation().GetName()
	phase := func(p consultationseventsv1.Phase) {
		t.Helper()
		if _, err := con.CompletePhase(as(staff), &consultationsv1.CompletePhaseRequest{Name: public, Phase: p}); err != nil {
			t.Fatal(err)
		}
	}
	phase(consultationseventsv1.Phase_PHASE_LAUNCH)
	// 200 participants: 66 women, 66 young, 13 with a disability.
	for i, w := range []*consultationseventsv1.WorkshopHeld{
		{WorkshopId: "w1", Date: "2026-11-03", Place: "Hay Al Qods", Theme: "eau et assainissement", Participants: 80, Women: 26, Youth: 27, Disability: 5, Contributions: 31},
		{WorkshopId: "w2", Date: "2026-11-04", Place: "douar Ait Hammou", Theme: "routes rurales", Participants: 70, Women: 23, Youth: 22, Disability: 5, Contributions: 18},
		{WorkshopId: "w3", Date: "2026-11-05", Place: "maison des jeunes", Theme: "emploi des jeunes", Participants: 50, Women: 17, Youth: 17, Disability: 3, Contributions: 40},
	} {
		clock.Advance(24 * time.Hour)
		// The second workshop over REST.
		if i == 1 {
			if code, b := e.rest(http.MethodPost, "/v1/"+public+":recordWorkshop", staff, map[string]any{"workshop": map[string]any{
				"workshopId": w.WorkshopId, "date": w.Date, "place": w.Place, "theme": w.Theme, "participants": w.Participants, "women": w.Women,
				"youth": w.Youth, "disability": w.Disability, "contributions": w.Contributions}}, nil); code != 200 {
				t.Fatalf("workshop over REST: %d %s", code, b)
			}
			continue
		}
		if _, err := con.RecordWorkshop(as(staff), &consultationsv1.RecordWorkshopRequest{Name: public, Workshop: w}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = con.RecordWorkshop(as(staff), &consultationsv1.RecordWorkshopRequest{Name: request, Workshop: &consultationseventsv1.WorkshopHeld{WorkshopId: "x", Date: "2026-11-05", Place: "p", Theme: "t", Participants: 1}})
	wantCode(t, err, codes.FailedPrecondition, "WORKSHOPS_ARE_PUBLIC")
	phase(consultationseventsv1.Phase_PHASE_DIAGNOSIS)

	// The body meets (17 of 21) and adopts its opinion 12-3-2; a meeting
	// of 10 lacks the quorum.
	var members []string
	for i := range 17 {
		members = append(members, fmt.Sprintf("m%02d", i+1))
	}
	if _, err := adv.RecordMeeting(as(secretary), &advisoryv1.RecordMeetingRequest{Name: body, MeetingId: "s1", Attendees: members[:10]}); err != nil {
		t.Fatal(err)
	}
	mt, err := adv.RecordMeeting(as(secretary), &advisoryv1.RecordMeetingRequest{Name: body, MeetingId: "s2", Attendees: members})
	if err != nil || !mt.GetQuorumReached() {
		t.Fatalf("meeting of 17: %v %v", mt.GetQuorumReached(), err)
	}
	op, err := adv.CreateOpinion(as(secretary), &advisoryv1.CreateOpinionRequest{Parent: body, Title: "Avis sur le projet de PAC", Consultation: request,
		Text: "L'instance recommande d'intégrer des indicateurs d'égalité dans chaque projet du PAC."})
	if err != nil {
		t.Fatal(err)
	}
	opinion := op.GetOpinion().GetName()
	_, err = adv.AdoptOpinion(as(secretary), &advisoryv1.AdoptOpinionRequest{Name: opinion, MeetingId: "s1", VotesFor: 8, VotesAgainst: 1})
	wantCode(t, err, codes.FailedPrecondition, "QUORUM_NOT_REACHED")
	ad, err := adv.AdoptOpinion(as(secretary), &advisoryv1.AdoptOpinionRequest{Name: opinion, MeetingId: "s2", VotesFor: 12, VotesAgainst: 3, Abstentions: 2})
	if err != nil || ad.GetOpinion().GetState() != advisoryeventsv1.OpinionState_OPINION_STATE_ADOPTED {
		t.Fatalf("adopt: %v %v", ad.GetOpinion(), err)
	}
	if _, err := con.AnswerConsultation(as(secretary), &consultationsv1.AnswerConsultationRequest{Name: request, Opinion: opinion}); err != nil {
		t.Fatal(err)
	}
	if _, err := adv.TransmitOpinion(as(secretary), &advisoryv1.TransmitOpinionRequest{Name: opinion}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * 24 * time.Hour)
	// The council responds "partly", with reasons — once.
	resp, err := adv.RespondToOpinion(as(staff), &advisoryv1.RespondToOpinionRequest{Name: opinion, Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY,
		Reasons: "Les indicateurs seront intégrés aux projets sociaux ; les projets d'infrastructure suivront en 2028."})
	if err != nil || resp.GetOpinion().GetDaysToResponse() != 10 {
		t.Fatalf("respond: %v %v", resp.GetOpinion(), err)
	}
	_, err = adv.RespondToOpinion(as(staff), &advisoryv1.RespondToOpinionRequest{Name: opinion, Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_FULLY, Reasons: "again"})
	wantCode(t, err, codes.FailedPrecondition, "ALREADY_RESPONDED")

	// Another request, to the body on the budget, expires unanswered.
	exp, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_COMMITTEE,
		Committee: "commission du budget", Body: body, SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET, Title: "Budget 2027", Deadline: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * 24 * time.Hour) // now 2026-11-25
	_, err = con.AnswerConsultation(as(secretary), &consultationsv1.AnswerConsultationRequest{Name: exp.GetConsultation().GetName(), Opinion: opinion})
	wantCode(t, err, codes.FailedPrecondition, "CONSULTATION_EXPIRED")
	// A satisfaction survey.
	if _, err := con.RecordSurvey(as(staff), &consultationsv1.RecordSurveyRequest{Parent: council, Service: "état civil", Period: "2026", ScoreCounts: []int32{10, 20, 30, 25, 15}}); err != nil {
		t.Fatal(err)
	}

	check := func(when string) {
		t.Helper()
		st, err := e.status.GetCouncilStatus(e.ctxBG(), &statusv1.GetCouncilStatusRequest{Name: council + "/status", MinPosition: e.head()})
		if err != nil {
			t.Fatal(err)
		}
		s := st.GetStatus()
		a, c := s.GetAdvisory(), s.GetConsultations()
		if !s.GetWorkingBody() || a.GetBodies() != 1 || a.GetMembers() != 21 || a.GetWomenShare() != 9.0/21 || a.GetOpinionsAdopted() != 1 || a.GetOpinionsAnswered() != 1 ||
			a.GetResponsesPartly() != 1 || a.GetMedianDaysToResponse() != 10 || a.GetMeetings() != 2 {
			t.Fatalf("%s: advisory figures %v", when, a)
		}
		if c.GetAnswered() != 1 || c.GetExpired() != 1 || c.GetOpen() != 1 || c.GetWorkshops() != 3 || c.GetParticipants() != 200 ||
			c.GetWomenRate() != 0.33 || c.GetYouthRate() != 0.33 || c.GetDisabilityRate() != 0.065 || c.GetSurveyResponses() != 100 || c.GetMeanSatisfaction() != 3.15 {
			t.Fatalf("%s: consultation figures %v", when, c)
		}
		// The region view compares communes: Kasba Tadla has a working body.
		var region struct {
			Councils []struct {
				Council       string
				WorkingBody   bool
				Consultations struct{ Expired int }
			}
			ConsultationsRollup struct{ Expired, Workshops int }
			AdvisoryRollup      struct{ OpinionsAnswered int }
		}
		if code, b := e.rest(http.MethodGet, "/v1/regions/beni-mellal-khenifra/councilStatuses", "", nil, &region); code != 200 {
			t.Fatalf("%s: region: %d %s", when, code, b)
		}
		working := 0
		for _, r := range region.Councils {
			if r.WorkingBody {
				working++
				if r.Council != council || r.Consultations.Expired != 1 {
					t.Fatalf("%s: region view: %+v", when, r)
				}
			}
		}
		if working != 1 || region.ConsultationsRollup.Expired != 1 || region.ConsultationsRollup.Workshops != 3 || region.AdvisoryRollup.OpinionsAnswered != 1 {
			t.Fatalf("%s: region roll-up: %+v", when, region)
		}
		// The consultation over REST shows its state and participation.
		var pc struct {
			Consultation struct {
				State         string
				Participation struct{ WomenRate, YouthRate, DisabilityRate float64 }
			}
		}
		if code, b := e.rest(http.MethodGet, "/v1/"+exp.GetConsultation().GetName(), "", nil, &pc); code != 200 || pc.Consultation.State != "CONSULTATION_STATE_EXPIRED" {
			t.Fatalf("%s: expired consultation: %d %s", when, code, b)
		}
	}
	check("live")
	before := strings.Join([]string{
		e.restBody("/v1/" + body), e.restBody("/v1/" + public), e.restBody("/v1/" + request), e.restBody("/v1/" + council + "/status"),
		e.restBody("/v1/regions/beni-mellal-khenifra/councilStatuses"),
	}, "\n")
	e.restart()
	check("after restart")
	after := strings.Join([]string{
		e.restBody("/v1/" + body), e.restBody("/v1/" + public), e.restBody("/v1/" + request), e.restBody("/v1/" + council + "/status"),
		e.restBody("/v1/regions/beni-mellal-khenifra/councilStatuses"),
	}, "\n")
	if before != after {
		t.Fatal("views differ after a restart")
	}
	e.stop()
	var out, errOut strings.Builder
	if err := runReplay(context.Background(), []string{"--verify", "--data-dir", dir}, &out, &errOut); err != nil || !strings.Contains(out.String(), "OK") {
		t.Fatalf("replay --verify after the advisory scenario: %v\n%s%s", err, out.String(), errOut.String())
	}
}

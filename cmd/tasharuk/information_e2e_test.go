package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	ireadmodel "github.com/tasharuk/tasharuk/services/information/readmodel"
	"github.com/tasharuk/tasharuk/services/status"
)

// infoAt moves the test clock to 09:00 in Morocco on day.
func infoAt(t *testing.T, c *testClock, day string) {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.t = d.Add(8 * time.Hour) // 09:00 in Africa/Casablanca (UTC+1)
	c.mu.Unlock()
}

// Issue 19, acceptance 2: over gRPC and REST, one request answered on
// time, one extended then answered, one refused on an exception of art. 7
// then complained of to the head of the body and to the commission, one
// left overdue; the council's figures are right now and as of a past
// position and a past day. Acceptance 4: the requesters' names and
// contacts are nowhere in clear (log files, logs, public answers, feed
// form, export). And the attacker's moves: another citizen, another
// council's official, a crafted name, bad input — each refused with its
// reason, the log unchanged.
func TestInformationRequestsEndToEnd(t *testing.T) {
	clock := &testClock{}
	infoAt(t, clock, "2026-05-26") // Tuesday, the eve of Eid al-Adha
	dir := t.TempDir()
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	info := informationv1.NewInformationServiceClient(e.conn)
	const council, other = "communes/50910101", "communes/50910113"
	official := e.token(access.RoleInformation, "50910101", "official-bm")
	otherOfficial := e.token(access.RoleInformation, "50910113", "official-zc")
	amina := e.token(access.RoleCitizen, "", "citizen-amina")
	karim := e.token(access.RoleCitizen, "", "citizen-karim")
	staff := e.token(access.RoleStaff, "50910101", "clerk-bm")
	admin := e.token(access.RoleAdmin, "", "admin-1")
	secrets := []string{"Amina Secretname", "amina.secret@example.ma", "Karim Hiddenname", "0612345678", "Association Hiddenassoc", "12 rue Cachée", "Fatima Concealed"}
	ctx := context.Background()

	unchanged := func(what string, before uint64) {
		t.Helper()
		if after := e.head(); after != before {
			t.Errorf("%s wrote %d event(s)", what, after-before)
		}
	}
	mustReq := func(what string, r *informationv1.InformationRequest, err error) *informationv1.InformationRequest {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return r
	}

	// A: a citizen's own request online, over gRPC.
	ca, err := info.CreateInformationRequest(as(amina), &informationv1.CreateInformationRequestRequest{Parent: council,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterName: secrets[0], RequesterContact: secrets[1],
		Subject: "Le budget primitif 2026 de la commune"})
	a := mustReq("create A", ca.GetInformationRequest(), err)
	if a.GetDueOn() != "2026-06-26" || a.GetReceivedOn() != "2026-05-26" || a.GetChannel() != ieventsv1.RequestChannel_REQUEST_CHANNEL_ONLINE || a.GetReceiptNumber() != "2026/0001" {
		t.Fatalf("A: %v", a)
	}
	// B: a paper request keyed in by the official, over REST.
	var cb informationv1.CreateInformationRequestResponse
	code, body := e.rest(http.MethodPost, "/v1/"+council+"/informationRequests", official, map[string]any{
		"channel": "REQUEST_CHANNEL_PAPER", "requesterKind": "REQUESTER_KIND_LEGAL_ENTITY", "requesterName": secrets[4], "requesterContact": secrets[5],
		"subject": "Les marchés de voirie attribués en 2025", "receivedOn": "2026-05-26"}, nil)
	if code != http.StatusOK {
		t.Fatalf("create B over REST: %d %s", code, body)
	}
	if err := protojson.Unmarshal([]byte(body), &cb); err != nil {
		t.Fatal(err)
	}
	b := cb.GetInformationRequest()
	if b.GetReceiptNumber() != "2026/0002" || b.GetDueOn() != "2026-06-26" || strings.Contains(body, secrets[4]) {
		t.Fatalf("B: %s", body)
	}
	// C: another citizen's request, over REST.
	code, body = e.rest(http.MethodPost, "/v1/"+council+"/informationRequests", karim, map[string]any{
		"requesterKind": "REQUESTER_KIND_PERSON", "requesterName": secrets[2], "requesterContact": secrets[3],
		"subject": "Les salaires des agents de la commune"}, nil)
	if code != http.StatusOK {
		t.Fatalf("create C: %d %s", code, body)
	}
	var cc informationv1.CreateInformationRequestResponse
	if err := protojson.Unmarshal([]byte(body), &cc); err != nil {
		t.Fatal(err)
	}
	c := cc.GetInformationRequest()
	// D: by email, keyed in; it will be left unanswered.
	cd, err := info.CreateInformationRequest(as(official), &informationv1.CreateInformationRequestRequest{Parent: council, Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_EMAIL,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterName: secrets[6], RequesterContact: "fatima@example.ma", Subject: "Le plan d'aménagement"})
	d := mustReq("create D", cd.GetInformationRequest(), err)
	if d.GetReceiptNumber() != "2026/0004" {
		t.Fatalf("D's receipt %s, want 2026/0004: numbers are unique in the council and year", d.GetReceiptNumber())
	}

	t.Run("Refusals", func(t *testing.T) {
		before := e.head()
		// Another citizen cannot read, or complain of, Amina's request.
		_, err := info.GetInformationRequest(as(karim), &informationv1.GetInformationRequestRequest{Name: a.GetName()})
		wantCode(t, err, codes.NotFound, "INFORMATION_REQUEST_NOT_FOUND")
		// Another council's official: refused by scope; under its own
		// council's name: not found.
		_, err = info.AnswerInformationRequest(as(otherOfficial), &informationv1.AnswerInformationRequestRequest{Name: a.GetName(), Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x"})
		wantCode(t, err, codes.PermissionDenied, "")
		aliased := other + strings.TrimPrefix(a.GetName(), council)
		_, err = info.AnswerInformationRequest(as(otherOfficial), &informationv1.AnswerInformationRequestRequest{Name: aliased, Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x"})
		wantCode(t, err, codes.NotFound, "INFORMATION_REQUEST_NOT_FOUND")
		// The council's clerks are not its designated official.
		_, err = info.ExtendInformationRequest(as(staff), &informationv1.ExtendInformationRequestRequest{Name: a.GetName(), Reasons: "Les archives sont loin"})
		wantCode(t, err, codes.PermissionDenied, "")
		// A crafted name never reaches a stream id.
		_, err = info.ExtendInformationRequest(as(official), &informationv1.ExtendInformationRequestRequest{Name: council + "/informationRequests/x.y", Reasons: "Les archives sont loin"})
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		// A refusal must name an exception of art. 7 and give reasons (REST: 400).
		code, body := e.rest(http.MethodPost, "/v1/"+c.GetName()+":refuse", official, map[string]any{"reasons": "Données personnelles des agents"}, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "EXCEPTION_REQUIRED") || !strings.Contains(body, "art. 7") {
			t.Fatalf("refusal without an exception: %d %s", code, body)
		}
		_, err = info.RefuseInformationRequest(as(official), &informationv1.RefuseInformationRequestRequest{Name: c.GetName(), Exceptions: []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_PRIVATE_LIFE}})
		wantCode(t, err, codes.FailedPrecondition, "REFUSAL_REASONS_REQUIRED")
		_, err = info.CreateInformationRequest(as(amina), &informationv1.CreateInformationRequestRequest{Parent: council, RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON,
			RequesterName: secrets[0], RequesterContact: secrets[1], Subject: "Plan d'évacuation", Urgent: true})
		wantCode(t, err, codes.FailedPrecondition, "URGENT_REASON_REQUIRED")
		// A citizen's request under another's id is refused, the id is not
		// taken over.
		_, err = info.CreateInformationRequest(as(karim), &informationv1.CreateInformationRequestRequest{Parent: council, RequestId: strings.TrimPrefix(a.GetName(), council+"/informationRequests/"),
			RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterName: secrets[2], RequesterContact: secrets[3], Subject: "Autre"})
		wantCode(t, err, codes.AlreadyExists, "INFORMATION_REQUEST_EXISTS")
		// Complaining of silence before the deadline is too early.
		_, err = info.ComplainInformationRequest(as(amina), &informationv1.ComplainInformationRequestRequest{Name: a.GetName(), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD, Grounds: "Pas de réponse"})
		wantCode(t, err, codes.FailedPrecondition, "COMPLAINT_TOO_EARLY")
		unchanged("refused acts", before)
	})

	t.Run("RevealRequester", func(t *testing.T) {
		// Only the commune's official opens a requester's identity, and
		// the read is recorded in the request's history.
		before := e.head()
		for _, tok := range []string{amina, otherOfficial, staff} {
			_, err := info.RevealRequester(as(tok), &informationv1.RevealRequesterRequest{Name: a.GetName()})
			wantCode(t, err, codes.PermissionDenied, "")
		}
		unchanged("refused reveals", before)
		got, err := info.RevealRequester(as(official), &informationv1.RevealRequesterRequest{Name: a.GetName(), Purpose: "envoyer la réponse"})
		if err != nil || got.GetRequesterName() != secrets[0] || got.GetRequesterContact() != secrets[1] || got.GetLogPosition() != before+1 {
			t.Fatalf("reveal A: %v %v", got, err)
		}
		paper, err := info.RevealRequester(as(official), &informationv1.RevealRequesterRequest{Name: b.GetName()})
		if err != nil || paper.GetRequesterName() != secrets[4] || paper.GetRequesterContact() != secrets[5] {
			t.Fatalf("reveal B (keyed in): %v %v", paper, err)
		}
	})

	// 10 June: A answered in full, C refused, B extended.
	infoAt(t, clock, "2026-06-10")
	ra, err := info.AnswerInformationRequest(as(official), &informationv1.AnswerInformationRequestRequest{Name: a.GetName(), Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL,
		Link: "https://commune.example.ma/budget-2026.pdf"})
	if got := mustReq("answer A", ra.GetInformationRequest(), err); !got.GetAnswer().GetOnTime() || got.GetAnswer().GetWorkingDays() != 9 {
		t.Fatalf("A answered: %v", got.GetAnswer())
	}
	code, body = e.rest(http.MethodPost, "/v1/"+c.GetName()+":refuse", official, map[string]any{"exceptions": []string{"EXCEPTION_PRIVATE_LIFE"},
		"reasons": "Les salaires nominatifs sont des données personnelles des agents."}, nil)
	if code != http.StatusOK || !strings.Contains(body, "ANSWER_KIND_REFUSED") {
		t.Fatalf("refuse C: %d %s", code, body)
	}
	xb, err := info.ExtendInformationRequest(as(official), &informationv1.ExtendInformationRequestRequest{Name: b.GetName(), Reasons: "Les dossiers de 2025 sont aux archives provinciales."})
	if got := mustReq("extend B", xb.GetInformationRequest(), err); got.GetDueOn() != "2026-07-24" || !got.GetExtended() {
		t.Fatalf("B extended: %v", got)
	}
	_, err = info.ExtendInformationRequest(as(official), &informationv1.ExtendInformationRequestRequest{Name: b.GetName(), Reasons: "Encore des dossiers à trouver."})
	wantCode(t, err, codes.FailedPrecondition, "ALREADY_EXTENDED")
	atTenJune := xb.GetLogPosition()

	// C's recourse: the head of the body, then the commission.
	infoAt(t, clock, "2026-06-11")
	code, body = e.rest(http.MethodPost, "/v1/"+c.GetName()+":complain", karim, map[string]any{"level": "COMPLAINT_LEVEL_HEAD", "grounds": "La masse salariale n'est pas une donnée personnelle."}, nil)
	if code != http.StatusOK || !strings.Contains(body, "2026-06-26") { // the head's decision due 15 days later
		t.Fatalf("complain to the head: %d %s", code, body)
	}
	_, err = info.ComplainInformationRequest(as(karim), &informationv1.ComplainInformationRequestRequest{Name: c.GetName(), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION, Grounds: "Silence"})
	wantCode(t, err, codes.FailedPrecondition, "COMPLAINT_TOO_EARLY")
	infoAt(t, clock, "2026-06-15")
	_, err = info.DecideInformationComplaint(as(official), &informationv1.DecideInformationComplaintRequest{Name: c.GetName(), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD,
		Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_REJECTED, Reasons: "Décision du président n° 12/2026"})
	if err != nil {
		t.Fatal(err)
	}
	infoAt(t, clock, "2026-06-16")
	if _, err := info.ComplainInformationRequest(as(karim), &informationv1.ComplainInformationRequestRequest{Name: c.GetName(), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION,
		Grounds: "Le refus confirmé n'est pas fondé."}); err != nil {
		t.Fatal(err)
	}
	infoAt(t, clock, "2026-06-30")

	// 10 July: the commission upholds C's complaint; B answered in part.
	infoAt(t, clock, "2026-07-10")
	if _, err := info.DecideInformationComplaint(as(official), &informationv1.DecideInformationComplaintRequest{Name: c.GetName(), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_COMMISSION,
		Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UPHELD, Reasons: "Avis de la CDAI n° 45/2026"}); err != nil {
		t.Fatal(err)
	}
	rb, err := info.AnswerInformationRequest(as(official), &informationv1.AnswerInformationRequestRequest{Name: b.GetName(), Kind: ieventsv1.AnswerKind_ANSWER_KIND_PARTIAL,
		Exceptions: []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_FAIR_COMPETITION}, Reasons: "Les offres des soumissionnaires non retenus sont couvertes par le secret des affaires.",
		DocumentSha256: strings.Repeat("ab", 32), CostsCentimes: 2000})
	if got := mustReq("answer B", rb.GetInformationRequest(), err); !got.GetAnswer().GetOnTime() || got.GetAnswer().GetWorkingDays() != 30 {
		t.Fatalf("B answered: %v", got.GetAnswer())
	}
	for _, p := range []struct{ cat, title, url, sha string }{
		{"PUBLICATION_CATEGORY_BUDGET", "Budget primitif 2026", "https://commune.example.ma/budget-2026.pdf", ""},
		{"PUBLICATION_CATEGORY_TENDERS", "Résultats des appels d'offres 2025", "", strings.Repeat("cd", 32)},
	} {
		code, body := e.rest(http.MethodPost, "/v1/"+council+"/publications", official, map[string]any{"publication": map[string]any{
			"category": p.cat, "title": p.title, "publishedOn": "2026-07-01", "url": p.url, "documentSha256": p.sha}}, nil)
		if code != http.StatusOK {
			t.Fatalf("record publication: %d %s", code, body)
		}
	}
	head := e.head()

	figures := func(what string, r *informationv1.GetInformationFiguresRequest) *informationv1.InformationFigures {
		t.Helper()
		r.Name, r.MinPosition = council+"/informationFigures", head
		got, err := info.GetInformationFigures(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return got.GetFigures()
	}
	t.Run("FiguresNow", func(t *testing.T) {
		f := figures("now", &informationv1.GetInformationFiguresRequest{})
		want := "received=4 onTime=3 late=0 overdue=1 open=0 extended=1 median=9 head=1 cdai=1 upheld=1 rejected=1 pending=0 register=2/9 refusals=[EXCEPTION_PRIVATE_LIFE:1 EXCEPTION_FAIR_COMPETITION:1] day=2026-07-10"
		if got := figureLine(f); got != want {
			t.Fatalf("figures now:\n got %s\nwant %s", got, want)
		}
		// Over REST, public, the same.
		var rf informationv1.GetInformationFiguresResponse
		if err := protojson.Unmarshal([]byte(e.restBody("/v1/"+council+"/informationFigures")), &rf); err != nil || figureLine(rf.GetFigures()) != want {
			t.Fatalf("figures over REST: %v %v", figureLine(rf.GetFigures()), err)
		}
		// Open data: the register and the figures, public.
		csvReg := e.restBody("/open-data/" + council + "/information/publications.csv")
		if !strings.HasPrefix(csvReg, "category,title,published_on,url,document_sha256\n") || !strings.Contains(csvReg, "BUDGET,Budget primitif 2026,2026-07-01,https://commune.example.ma/budget-2026.pdf,") ||
			!strings.Contains(csvReg, "TENDERS,Résultats des appels d'offres 2025,2026-07-01,,"+strings.Repeat("cd", 32)) {
			t.Fatalf("register as CSV:\n%s", csvReg)
		}
		if j := e.restBody("/open-data/" + council + "/information/publications.json"); strings.Count(j, "PUBLICATION_CATEGORY_") != 9 {
			t.Fatalf("register as JSON names %d categories, want 2 published + 7 missing:\n%s", strings.Count(j, "PUBLICATION_CATEGORY_"), j)
		}
		csvFig := e.restBody("/open-data/" + council + "/information/figures.csv")
		if !strings.Contains(csvFig, "\n"+council+",2026-07-10,4,3,0,1,0,1,9.0,1,1,1,1,0,2,9,PRIVATE_LIFE:1 FAIR_COMPETITION:1\n") {
			t.Fatalf("figures as CSV:\n%s", csvFig)
		}
		// The official's desk: D (overdue) first.
		desk, err := info.ListInformationRequests(as(official), &informationv1.ListInformationRequestsRequest{Parent: council, OpenOnly: true})
		if err != nil || len(desk.GetInformationRequests()) != 1 || desk.GetInformationRequests()[0].GetName() != d.GetName() || !desk.GetInformationRequests()[0].GetOverdue() {
			t.Fatalf("desk: %v %v", desk, err)
		}
		// A citizen's own list holds only their own.
		mine, err := info.ListInformationRequests(as(amina), &informationv1.ListInformationRequestsRequest{Parent: council})
		if err != nil || len(mine.GetInformationRequests()) != 1 || mine.GetInformationRequests()[0].GetName() != a.GetName() {
			t.Fatalf("Amina's requests: %v %v", mine, err)
		}
	})
	t.Run("FiguresAsOfThePast", func(t *testing.T) {
		f := figures("as of 10 June", &informationv1.GetInformationFiguresRequest{AsOfPosition: atTenJune})
		want := "received=4 onTime=2 late=0 overdue=0 open=2 extended=1 median=9 head=0 cdai=0 upheld=0 rejected=0 pending=0 register=0/9 refusals=[EXCEPTION_PRIVATE_LIFE:1] day=2026-06-10"
		if got := figureLine(f); got != want {
			t.Fatalf("figures as of 10 June:\n got %s\nwant %s", got, want)
		}
		day := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
		f = figures("as of 30 June", &informationv1.GetInformationFiguresRequest{AsOfTime: timestamppb.New(day)})
		want = "received=4 onTime=2 late=0 overdue=1 open=1 extended=1 median=9 head=1 cdai=1 upheld=0 rejected=1 pending=1 register=0/9 refusals=[EXCEPTION_PRIVATE_LIFE:1] day=2026-06-30"
		if got := figureLine(f); got != want {
			t.Fatalf("figures as of 30 June:\n got %s\nwant %s", got, want)
		}
	})

	t.Run("StatusAndRegionComparison", func(t *testing.T) {
		// Issue 19, acceptance 2: the council's status and the region's
		// comparison show the same figures as the context, now and as of a
		// past date, over gRPC and REST.
		const region, province = "regions/beni-mellal-khenifra", "provinces/beni-mellal"
		nowWant := "received=4 onTime=3 late=0 overdue=1 open=0 extended=1 median=9 head=1 cdai=1 upheld=1 rejected=1 pending=0 register=2/9 refusals=[EXCEPTION_PRIVATE_LIFE:1 EXCEPTION_FAIR_COMPETITION:1]"
		tenJuneWant := "received=4 onTime=2 late=0 overdue=0 open=2 extended=1 median=9 head=0 cdai=0 upheld=0 rejected=0 pending=0 register=0/9 refusals=[EXCEPTION_PRIVATE_LIFE:1]"
		thirtiethWant := "received=4 onTime=2 late=0 overdue=1 open=1 extended=1 median=9 head=1 cdai=1 upheld=0 rejected=1 pending=1 register=0/9 refusals=[EXCEPTION_PRIVATE_LIFE:1]"
		tenJune := timestamppb.New(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
		thirtieth := timestamppb.New(time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC))
		cases := []struct {
			what string
			req  *statusv1.GetCouncilStatusRequest
			want string
		}{
			{"now", &statusv1.GetCouncilStatusRequest{}, nowWant},
			// As the log stood on 10 June, deadlines judged that day.
			{"as of 10 June", &statusv1.GetCouncilStatusRequest{AsOfPosition: atTenJune, ValidTime: tenJune}, tenJuneWant},
			// What had happened by 30 June (the register was published in July).
			{"valid on 30 June", &statusv1.GetCouncilStatusRequest{ValidTime: thirtieth}, thirtiethWant},
			// Recorded before the log's first event (the log records by
			// the wall clock, this test's service clock is in 2026):
			// nothing, so no figures at all.
			{"as of before the first event", &statusv1.GetCouncilStatusRequest{AsOfTime: timestamppb.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))}, ""},
		}
		for _, c := range cases {
			c.req.Name = council + "/status"
			st, err := e.status.GetCouncilStatus(ctx, c.req)
			if err != nil {
				t.Fatalf("status %s: %v", c.what, err)
			}
			if c.want == "" {
				// Nothing recorded then: no figures, in the status, over
				// REST, or in the region's comparison.
				var rs statusv1.GetCouncilStatusResponse
				if err := protojson.Unmarshal([]byte(e.restBody("/v1/"+council+"/status?asOfTime=2000-01-01T00:00:00Z")), &rs); err != nil {
					t.Fatal(err)
				}
				list, err := e.status.ListCouncilStatuses(ctx, &statusv1.ListCouncilStatusesRequest{Parent: region, AsOfTime: c.req.AsOfTime})
				if err != nil || st.GetStatus().GetInformation() != nil || rs.GetStatus().GetInformation() != nil || list.GetInformationRollup() != nil || list.GetParent().GetInformation() != nil {
					t.Fatalf("status %s: %v / %v / %v %v", c.what, st.GetStatus().GetInformation(), rs.GetStatus().GetInformation(), list.GetInformationRollup(), err)
				}
				for _, r := range list.GetCouncils() {
					if r.GetInformation() != nil {
						t.Fatalf("status %s: %s has figures %v", c.what, r.GetCouncil(), r.GetInformation())
					}
				}
				continue
			}
			if got := statusInfoLine(st.GetStatus().GetInformation()); got != c.want {
				t.Fatalf("status %s:\n got %s\nwant %s", c.what, got, c.want)
			}
			// Over REST, public, the same.
			q := url.Values{}
			if c.req.AsOfPosition != 0 {
				q.Set("asOfPosition", fmt.Sprint(c.req.AsOfPosition))
			}
			if c.req.ValidTime != nil {
				q.Set("validTime", c.req.ValidTime.AsTime().Format(time.RFC3339))
			}
			if c.req.AsOfTime != nil {
				q.Set("asOfTime", c.req.AsOfTime.AsTime().Format(time.RFC3339))
			}
			var rs statusv1.GetCouncilStatusResponse
			if err := protojson.Unmarshal([]byte(e.restBody("/v1/"+council+"/status?"+q.Encode())), &rs); err != nil {
				t.Fatal(err)
			}
			if got := statusInfoLine(rs.GetStatus().GetInformation()); got != c.want {
				t.Fatalf("status %s over REST:\n got %s\nwant %s", c.what, got, c.want)
			}

			// The region's comparison: the commune's row, the other
			// commune's (no request yet), the province's and the region's
			// totals, summed over its communes.
			lr := &statusv1.ListCouncilStatusesRequest{Parent: region, AsOfPosition: c.req.AsOfPosition, ValidTime: c.req.ValidTime, AsOfTime: c.req.AsOfTime}
			list, err := e.status.ListCouncilStatuses(ctx, lr)
			if err != nil {
				t.Fatalf("region %s: %v", c.what, err)
			}
			var rl statusv1.ListCouncilStatusesResponse
			if err := protojson.Unmarshal([]byte(e.restBody("/v1/"+region+"/councilStatuses?"+q.Encode())), &rl); err != nil {
				t.Fatal(err)
			}
			for _, l := range []*statusv1.ListCouncilStatusesResponse{list, &rl} {
				rows := map[string]*statusv1.InformationAccessFigures{}
				communes := 0
				for _, r := range l.GetCouncils() {
					rows[r.GetCouncil()] = r.GetInformation()
					if strings.HasPrefix(r.GetCouncil(), "communes/") {
						communes++
					}
				}
				if got := statusInfoLine(rows[council]); got != c.want {
					t.Fatalf("region %s, %s's row:\n got %s\nwant %s", c.what, council, got, c.want)
				}
				if rows[other] != nil {
					t.Fatalf("region %s, %s (nothing recorded) has figures: %v", c.what, other, rows[other])
				}
				// Every figure but the register's size is the commune's:
				// no other commune has a request or a publication yet.
				all := strings.Replace(c.want, "/9 ", fmt.Sprintf("/%d ", 9*communes), 1)
				if communes < 2 || statusInfoLine(l.GetInformationRollup()) != all || statusInfoLine(l.GetParent().GetInformation()) != all {
					t.Fatalf("region %s roll-up over %d communes:\n got %s\nwant %s", c.what, communes, statusInfoLine(l.GetInformationRollup()), all)
				}
				if p := rows[province]; p.GetReceived() != rows[council].GetReceived() || p.GetOverdueNow() != rows[council].GetOverdueNow() ||
					p.GetRegisterCategoriesPublished() != rows[council].GetRegisterCategoriesPublished() {
					t.Fatalf("region %s, the province's row: %v", c.what, p)
				}
			}
		}
		// Bad input is refused, and writes nothing.
		before := e.head()
		_, err := e.status.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: council + "/status", AsOfPosition: 1, AsOfTime: thirtieth})
		wantCode(t, err, codes.InvalidArgument, "")
		unchanged("a status with two as-ofs", before)
	})

	t.Run("CalendarCorrection", func(t *testing.T) {
		// Acceptance 3 end to end: 1 Muharram announced on Saturday 20
		// June instead of Wednesday 17 June moves the due date of D (open)
		// a day earlier, not that of A (answered); as of before the
		// correction, D's due date and the calendar are as they were.
		before, err := info.GetInformationRequest(as(official), &informationv1.GetInformationRequestRequest{Name: d.GetName()})
		if err != nil || before.GetInformationRequest().GetDueOn() != "2026-06-26" {
			t.Fatalf("D before: %v %v", before, err)
		}
		_, err = info.CorrectHoliday(as(official), &informationv1.CorrectHolidayRequest{Year: 2026, Holiday: "muharram", Date: "2026-06-20", Reference: "communiqué"})
		wantCode(t, err, codes.PermissionDenied, "")
		cr, err := info.CorrectHoliday(as(admin), &informationv1.CorrectHolidayRequest{Year: 2026, Holiday: "muharram", Date: "2026-06-20", Reference: "Communiqué du ministère des Habous, 15 juin 2026"})
		if err != nil {
			t.Fatal(err)
		}
		// 1 Muharram on a Saturday: 17 June is a working day again, D is due a day earlier.
		after, err := info.GetInformationRequest(as(official), &informationv1.GetInformationRequestRequest{Name: d.GetName(), MinPosition: cr.GetLogPosition()})
		if err != nil || after.GetInformationRequest().GetDueOn() != "2026-06-25" {
			t.Fatalf("D after the correction: %v %v", after.GetInformationRequest().GetDueOn(), err)
		}
		got, err := info.GetInformationRequest(as(amina), &informationv1.GetInformationRequestRequest{Name: a.GetName()})
		if err != nil || got.GetInformationRequest().GetDueOn() != "2026-06-26" {
			t.Fatalf("A (answered) after the correction: %v %v", got.GetInformationRequest().GetDueOn(), err)
		}
		past, err := info.GetInformationRequest(as(official), &informationv1.GetInformationRequestRequest{Name: d.GetName(), AsOfPosition: head})
		if err != nil || past.GetInformationRequest().GetDueOn() != "2026-06-26" {
			t.Fatalf("D as of before the correction: %v %v", past.GetInformationRequest().GetDueOn(), err)
		}
		cal, err := info.GetWorkCalendar(ctx, &informationv1.GetWorkCalendarRequest{Year: 2026, AsOfPosition: head})
		if err != nil || !holidayOn(cal, "muharram", "2026-06-17", false) {
			t.Fatalf("the calendar before: %v %v", cal, err)
		}
		cal, err = info.GetWorkCalendar(ctx, &informationv1.GetWorkCalendarRequest{Year: 2026})
		if err != nil || !holidayOn(cal, "muharram", "2026-06-20", true) {
			t.Fatalf("the calendar after: %v %v", cal, err)
		}
	})

	t.Run("ConcurrentReceiptsAreUnique", func(t *testing.T) {
		// Receipt numbers are unique in the council and year however many
		// requests arrive at once (the ledger is appended with the revision
		// read). A registration that loses the race too often is refused
		// as ABORTED (REVISION_CONFLICT) having taken no number, and the
		// clerk's retry with the same request id gets the next one.
		const n = 12
		numbers := make(chan string, n)
		errs := make(chan error, n)
		for i := range n {
			go func() {
				req := &informationv1.CreateInformationRequestRequest{Parent: other, RequestId: fmt.Sprintf("0190d7a0-0000-7000-8000-%012d", 100+i),
					Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_PAPER, RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON,
					RequesterName: fmt.Sprintf("Personne %d", i), RequesterContact: "boîte postale", Subject: fmt.Sprintf("Question %d", i)}
				for attempt := 1; ; attempt++ {
					r, err := info.CreateInformationRequest(as(otherOfficial), req)
					if code, why := reason(err); code == codes.Aborted && why == "REVISION_CONFLICT" && attempt < 20 {
						continue
					}
					errs <- err
					numbers <- r.GetInformationRequest().GetReceiptNumber()
					return
				}
			}()
		}
		seen := map[string]bool{}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			seen[<-numbers] = true
		}
		for i := 1; i <= n; i++ {
			if !seen[fmt.Sprintf("2026/%04d", i)] {
				t.Fatalf("receipt numbers %v: 2026/%04d missing", seen, i)
			}
		}
	})

	t.Run("SameAfterRestart", func(t *testing.T) {
		// The runner resumes from its snapshot, which holds this context's
		// read model (its own section): it answers as before, now and in
		// the past, and so do the status and the region's comparison.
		now := figureLine(figures("before the restart", &informationv1.GetInformationFiguresRequest{}))
		past := figureLine(figures("before the restart, as of 10 June", &informationv1.GetInformationFiguresRequest{AsOfPosition: atTenJune}))
		statuses := func() string {
			return e.restBody("/v1/"+council+"/status") + "\n" + e.restBody("/v1/regions/beni-mellal-khenifra/councilStatuses?asOfPosition="+fmt.Sprint(atTenJune))
		}
		statusBefore := statuses()
		e.restart()
		if got := statuses(); got != statusBefore {
			t.Fatalf("status after a restart:\n got %s\nwant %s", got, statusBefore)
		}
		// The snapshot written at the stop holds the information model.
		snaps, _ := filepath.Glob(filepath.Join(dir, "projections", "*-snapshot.gob"))
		if len(snaps) != 1 {
			t.Fatalf("snapshots: %v", snaps)
		}
		fromSnap := status.NewReadModels(newRegistry())
		if ok, err := fromSnap.LoadSnapshot(snaps[0]); !ok || err != nil {
			t.Fatalf("load %s: %v %v", snaps[0], ok, err)
		}
		if fromSnap.Information.Position() == 0 || fromSnap.Information.Figures("50910101", ireadmodel.AsOf{}).Received != 4 {
			t.Fatalf("the snapshot's information model is at %d with %+v", fromSnap.Information.Position(), fromSnap.Information.Figures("50910101", ireadmodel.AsOf{}))
		}
		info = informationv1.NewInformationServiceClient(e.conn)
		head = e.head()
		if got := figureLine(figures("after the restart", &informationv1.GetInformationFiguresRequest{})); got != now {
			t.Fatalf("after a restart:\n got %s\nwant %s", got, now)
		}
		if got := figureLine(figures("after the restart, as of 10 June", &informationv1.GetInformationFiguresRequest{AsOfPosition: atTenJune})); got != past {
			t.Fatalf("as of 10 June after a restart:\n got %s\nwant %s", got, past)
		}
		got, err := info.GetInformationRequest(as(amina), &informationv1.GetInformationRequestRequest{Name: a.GetName()})
		if err != nil || got.GetInformationRequest().GetAnswer().GetKind() != ieventsv1.AnswerKind_ANSWER_KIND_FULL {
			t.Fatalf("A after a restart: %v %v", got, err)
		}
	})

	t.Run("EraseRequester", func(t *testing.T) {
		// Erasing a requester at their request (`privacy erase
		// --information-request`) destroys the data key that sealed their
		// name and contact and records RequesterErased; the sealed identity
		// no longer opens, the public figures are unchanged, and another
		// requester's identity still opens.
		figuresBefore := figureLine(figures("before the erasure", &informationv1.GetInformationFiguresRequest{}))
		statusBefore := e.restBody("/v1/" + council + "/status")
		e.stop()
		// probe opens a data key in the service's key store (stopped: the
		// embedded data folder is locked while it runs).
		probe := func(keyID string) error {
			t.Helper()
			sc := storeConfig{DataDir: dir}
			if err := sc.resolveKeys(); err != nil {
				t.Fatal(err)
			}
			ls, err := openQuiet(ctx, sc, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer ls.Close()
			keys, err := privacy.LoadKeys(sc.KeysDir)
			if err != nil {
				t.Fatal(err)
			}
			js, err := jetstream.New(ls.NATS.Conn())
			if err != nil {
				t.Fatal(err)
			}
			ks, err := privacy.OpenKeyStore(ctx, ls.NATS.Conn(), js, "TASHARUK_PERSON_KEYS", ls.NATS.Replicas(), keys)
			if err != nil {
				t.Fatal(err)
			}
			defer ks.Close()
			_, err = ks.NameKey(ctx, "probe", keyID)
			return err
		}
		erase := func(name string) (string, error) {
			var out, errOut strings.Builder
			err := runPrivacy(ctx, []string{"erase", "--information-request", name, "--data-dir", dir}, &out, &errOut)
			return out.String(), err
		}
		// A crafted name and a request that does not exist: refused, nothing recorded.
		if _, err := erase(council + "/informationRequests/not-a-uuid"); err == nil {
			t.Fatal("erased a request with a malformed name")
		}
		if _, err := erase(council + "/informationRequests/0190d7a0-0000-7000-8000-00000000ffff"); !hasReason(err, "INFORMATION_REQUEST_NOT_FOUND") {
			t.Fatalf("erasing a request that does not exist: %v", err)
		}
		out, err := erase(a.GetName())
		if err != nil {
			t.Fatalf("privacy erase --information-request: %v", err)
		}
		keyID := regexp.MustCompile(`data key (dk\.\S+) destroyed`).FindStringSubmatch(out)
		if keyID == nil {
			t.Fatalf("erase output names no data key: %q", out)
		}
		if err := probe(keyID[1]); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("A's data key after the erasure: %v, want ErrErased", err)
		}
		// Erased once: a second erasure is refused.
		if _, err := erase(a.GetName()); !hasReason(err, "PERSON_ERASED") {
			t.Fatalf("a second erasure: %v", err)
		}
		e.start()
		info = informationv1.NewInformationServiceClient(e.conn)
		head = e.head()
		_, err = info.RevealRequester(as(official), &informationv1.RevealRequesterRequest{Name: a.GetName()})
		wantCode(t, err, codes.FailedPrecondition, "PERSON_ERASED")
		unchanged("revealing an erased requester", head)
		if paper, err := info.RevealRequester(as(official), &informationv1.RevealRequesterRequest{Name: b.GetName()}); err != nil || paper.GetRequesterName() != secrets[4] {
			t.Fatalf("B's requester after A's erasure: %v %v", paper, err)
		}
		if got := figureLine(figures("after the erasure", &informationv1.GetInformationFiguresRequest{MinPosition: e.head()})); got != figuresBefore {
			t.Fatalf("figures after the erasure:\n got %s\nwant %s", got, figuresBefore)
		}
		// The same status (the log's position moved on: the erasure and a read).
		var was, is statusv1.GetCouncilStatusResponse
		if err := protojson.Unmarshal([]byte(statusBefore), &was); err != nil {
			t.Fatal(err)
		}
		// Read at the log's head (read-your-writes): the read recorded just
		// before may not have reached the read models yet.
		if err := protojson.Unmarshal([]byte(e.restBody(fmt.Sprintf("/v1/%s/status?minPosition=%d", council, e.head()))), &is); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(was.GetStatus(), is.GetStatus()) || is.GetPosition() != was.GetPosition()+2 {
			t.Fatalf("status after the erasure:\n got %v at %d\nwant %v at %d+2", is.GetStatus(), is.GetPosition(), was.GetStatus(), was.GetPosition())
		}
		// The request itself is still there, answered as before.
		if got, err := info.GetInformationRequest(as(official), &informationv1.GetInformationRequestRequest{Name: a.GetName()}); err != nil || got.GetInformationRequest().GetAnswer().GetKind() != ieventsv1.AnswerKind_ANSWER_KIND_FULL {
			t.Fatalf("A after the erasure: %v %v", got, err)
		}
	})

	t.Run("NoRequesterIdentityInClear", func(t *testing.T) {
		// The register and figures are public; read them without a token.
		e.restBody("/v1/" + council + "/publications")
		e.restBody("/v1/workCalendar/2026")
		var out, errOut strings.Builder
		export := filepath.Join(t.TempDir(), "export.jsonl")
		e.stop()
		if err := runAudit(ctx, []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		check := func(what, hay string) {
			t.Helper()
			for _, s := range secrets {
				for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
					if strings.Contains(hay, v) {
						t.Fatalf("%s contains the requester's identity in clear: %q", what, s)
					}
				}
			}
		}
		check("service logs", e.logs.String())
		check("public responses", e.public.String())
		b, err := os.ReadFile(export)
		if err != nil || len(b) < 1000 {
			t.Fatalf("export: %d bytes, %v", len(b), err)
		}
		check("the export", string(b))
		files := 0
		if err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			check(path, string(b))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if files < 3 || len(e.public.String()) < 200 {
			t.Fatalf("too little was checked: %d files, %d bytes public", files, len(e.public.String()))
		}
	})
}

func holidayOn(cal *informationv1.GetWorkCalendarResponse, key, date string, confirmed bool) bool {
	for _, h := range cal.GetHolidays() {
		if h.GetHoliday() == key {
			return h.GetDate() == date && h.GetConfirmed() == confirmed
		}
	}
	return false
}

// hasReason reports whether err carries the catalogue reason.
func hasReason(err error, reason string) bool {
	_, r, ok := fault.Classify(err)
	return ok && r == reason
}

// statusInfoLine writes a status's information figures as figureLine
// does (without the day; refusals in the order of the exceptions).
func statusInfoLine(f *statusv1.InformationAccessFigures) string {
	var kinds []string
	for k := range f.GetRefusalsByException() {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return ieventsv1.Exception_value[kinds[i]] < ieventsv1.Exception_value[kinds[j]] })
	var refusals []string
	for _, k := range kinds {
		refusals = append(refusals, fmt.Sprintf("%s:%d", k, f.GetRefusalsByException()[k]))
	}
	return fmt.Sprintf("received=%d onTime=%d late=%d overdue=%d open=%d extended=%d median=%g head=%d cdai=%d upheld=%d rejected=%d pending=%d register=%d/%d refusals=[%s]",
		f.GetReceived(), f.GetAnsweredOnTime(), f.GetAnsweredLate(), f.GetOverdueNow(), f.GetOpen(), f.GetExtended(), f.GetMedianWorkingDays(),
		f.GetComplaintsToHead(), f.GetComplaintsToCommission(), f.GetComplaintsUpheld(), f.GetComplaintsRejected(), f.GetComplaintsPending(),
		f.GetRegisterCategoriesPublished(), f.GetRegisterCategories(), strings.Join(refusals, " "))
}

func figureLine(f *informationv1.InformationFigures) string {
	var refusals []string
	for _, r := range f.GetRefusalsByException() {
		refusals = append(refusals, fmt.Sprintf("%s:%d", r.GetException(), r.GetCount()))
	}
	return fmt.Sprintf("received=%d onTime=%d late=%d overdue=%d open=%d extended=%d median=%g head=%d cdai=%d upheld=%d rejected=%d pending=%d register=%d/%d refusals=[%s] day=%s",
		f.GetReceived(), f.GetAnsweredOnTime(), f.GetAnsweredLate(), f.GetOverdueNow(), f.GetOpen(), f.GetExtended(), f.GetMedianWorkingDays(),
		f.GetComplaintsToHead(), f.GetComplaintsToCommission(), f.GetComplaintsUpheld(), f.GetComplaintsRejected(), f.GetComplaintsPending(),
		f.GetRegisterCategoriesPublished(), f.GetRegisterCategories(), strings.Join(refusals, " "), f.GetAsOfDay())
}

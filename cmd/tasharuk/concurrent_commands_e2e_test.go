package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasharuk/tasharuk/access"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
)

// 16 clerks keying 240 workshops into one consultation at once, through the
// REST gateway: every one is recorded (commands on one aggregate queue in
// the process instead of failing each other, and the commands waiting are
// committed together) and the consultation holds each exactly once. Recording one workshop id with different facts from
// all 16 at once is a real conflict: one wins, the others are told
// WORKSHOP_EXISTS and nothing more is recorded.
func TestConcurrentClerksRecordWorkshopsIntoOneConsultation(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	staff := e.token(access.RoleStaff, "50910107", "clerk-kt")
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	pub, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: "communes/50910107", Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic participatif du PAC", Deadline: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	public := pub.GetConsultation().GetName()
	if _, err := con.CompletePhase(as(staff), &consultationsv1.CompletePhaseRequest{Name: public, Phase: consultationseventsv1.Phase_PHASE_LAUNCH}); err != nil {
		t.Fatal(err)
	}

	// post records one workshop over REST and returns the status and body.
	post := func(id string, participants int) (int, string, error) {
		b, _ := json.Marshal(map[string]any{"workshop": map[string]any{"workshopId": id, "date": "2026-11-02", "place": "salle " + id,
			"theme": "diagnostic", "participants": participants, "women": participants / 3, "youth": participants / 3, "contributions": 1}})
		req, err := http.NewRequest(http.MethodPost, e.base+"/v1/"+public+":recordWorkshop", bytes.NewReader(b))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+staff)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	// clients sends jobs from 16 clients at once and returns each answer.
	type answer struct {
		code int
		body string
		err  error
	}
	const clients = 16
	clerksN := func(clients int, jobs []func() (int, string, error)) []answer {
		out := make([]answer, len(jobs))
		next := make(chan int)
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					out[i].code, out[i].body, out[i].err = jobs[i]()
				}
			}()
		}
		for i := range jobs {
			next <- i
		}
		close(next)
		wg.Wait()
		return out
	}
	clerks := func(jobs []func() (int, string, error)) []answer { return clerksN(clients, jobs) }

	const n = 240
	jobs := make([]func() (int, string, error), n)
	for i := range jobs {
		jobs[i] = func() (int, string, error) { return post(fmt.Sprintf("w%03d", i), 10+i%7) }
	}
	start := time.Now()
	for i, a := range clerks(jobs) {
		if a.err != nil || a.code != http.StatusOK {
			t.Fatalf("workshop %d: %d %s %v", i, a.code, a.body, a.err)
		}
	}
	t.Logf("%d workshops from %d clients: %v", n, clients, time.Since(start))
	// The same from one client, for the record (no timed assertion).
	one, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: "communes/50910107", Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic, un seul clerc", Deadline: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := con.CompletePhase(as(staff), &consultationsv1.CompletePhaseRequest{Name: one.GetConsultation().GetName(), Phase: consultationseventsv1.Phase_PHASE_LAUNCH}); err != nil {
		t.Fatal(err)
	}
	target := public
	public = one.GetConsultation().GetName()
	start = time.Now()
	for i, a := range clerksN(1, jobs) {
		if a.err != nil || a.code != http.StatusOK {
			t.Fatalf("workshop %d from one client: %d %s %v", i, a.code, a.body, a.err)
		}
	}
	t.Logf("%d workshops from 1 client: %v", n, time.Since(start))
	public = target
	got, err := con.GetConsultation(e.ctxBG(), &consultationsv1.GetConsultationRequest{Name: public, MinPosition: e.head()})
	if err != nil {
		t.Fatal(err)
	}
	participants := 0
	for i := range n {
		participants += 10 + i%7
	}
	if w := got.GetConsultation().GetWorkshops(); len(w) != n || got.GetConsultation().GetParticipation().GetParticipants() != int32(participants) {
		t.Fatalf("the consultation holds %d workshops, %d participants; want %d, %d", len(w), got.GetConsultation().GetParticipation().GetParticipants(), n, participants)
	}
	ids := map[string]bool{}
	for _, w := range got.GetConsultation().GetWorkshops() {
		ids[w.GetWorkshopId()] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct workshops among %d recorded", len(ids), n)
	}

	// One workshop id, 16 different versions of its facts, at once.
	jobs = make([]func() (int, string, error), clients)
	for i := range jobs {
		jobs[i] = func() (int, string, error) { return post("contested", 20+i) }
	}
	won := 0
	for _, a := range clerks(jobs) {
		switch {
		case a.err != nil:
			t.Fatal(a.err)
		case a.code == http.StatusOK:
			won++
		case a.code != http.StatusConflict || !strings.Contains(a.body, "WORKSHOP_EXISTS"):
			t.Fatalf("a losing version: %d %s, want 409 WORKSHOP_EXISTS", a.code, a.body)
		}
	}
	if won != 1 {
		t.Fatalf("%d versions of one workshop were recorded, want 1", won)
	}
	got, err = con.GetConsultation(e.ctxBG(), &consultationsv1.GetConsultationRequest{Name: public, MinPosition: e.head()})
	if err != nil {
		t.Fatal(err)
	}
	if w := got.GetConsultation().GetWorkshops(); len(w) != n+1 || w[n].GetWorkshopId() != "contested" {
		t.Fatalf("after the contested workshop the consultation holds %d workshops, want %d", len(w), n+1)
	}

	// For the record, how many commits the 240 workshops took in each
	// consultation: the events of one append share their recorded_at.
	e.stop()
	var streams []string
	commits, workshops := map[string]map[int64]bool{}, map[string]int{}
	for _, ev := range readEvents(t, e) {
		if ev.Type != "consultations.WorkshopHeld" {
			continue
		}
		if commits[ev.Stream] == nil {
			commits[ev.Stream] = map[int64]bool{}
			streams = append(streams, ev.Stream)
		}
		if workshops[ev.Stream]++; workshops[ev.Stream] <= n {
			commits[ev.Stream][ev.RecordedAt.UnixNano()] = true
		}
	}
	if len(streams) != 2 || workshops[streams[0]] != n+1 || workshops[streams[1]] != n {
		t.Fatalf("workshops in the log by consultation: %v, want %d and %d", workshops, n+1, n)
	}
	t.Logf("%d workshops took %d commits from %d clients, %d from 1 client", n, len(commits[streams[0]]), clients, len(commits[streams[1]]))
}

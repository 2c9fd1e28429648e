package readmodel_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
)

type feed struct {
	m   *readmodel.Model
	pos uint64
	at  time.Time
}

func (f *feed) add(t *testing.T, stream string, p proto.Message) uint64 {
	t.Helper()
	f.pos++
	f.at = f.at.Add(time.Hour)
	if err := f.m.Apply(&eventstore.Event{Position: f.pos, Stream: stream, RecordedAt: f.at}, p); err != nil {
		t.Fatal(err)
	}
	return f.pos
}

func day(t *testing.T, s string) domain.Day {
	t.Helper()
	d, err := domain.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const (
	open     = "communes/50910101/informationRequests/0190d7a0-0000-7000-8000-00000000000a"
	answered = "communes/50910101/informationRequests/0190d7a0-0000-7000-8000-00000000000b"
)

func receivedOn(name, on string) *ieventsv1.RequestReceived {
	return &ieventsv1.RequestReceived{Name: name, ReceiptNumber: "2026/" + name[len(name)-4:], ReceivedOn: on, Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_PAPER,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, Subject: "Budget"}
}

func stream(name string) string {
	return domain.RequestStream("50910101", name[len("communes/50910101/informationRequests/"):])
}

// Acceptance 3 of issue 19: a correction of a lunar holiday (the second
// day of Eid al-Adha moved onto a Saturday) changes the due date of an
// open request and not of one already answered; as of a position before
// the correction, the open request has its old due date again.
func TestCalendarCorrectionMovesOpenRequestsOnly(t *testing.T) {
	f := &feed{m: readmodel.New(es.NewRegistry(domain.EventTypes)), at: time.Date(2026, 5, 26, 8, 0, 0, 0, time.UTC)}
	f.add(t, stream(open), receivedOn(open, "2026-05-26"))
	f.add(t, stream(answered), receivedOn(answered, "2026-05-26"))
	f.add(t, stream(answered), &ieventsv1.RequestAnswered{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x", AnsweredOn: "2026-06-26"})
	before := f.pos
	now := readmodel.AsOf{Today: day(t, "2026-06-01")}
	for _, n := range []string{open, answered} {
		r, _ := f.m.Request(n, now)
		if got := r.DueOn.Format(domain.DayLayout); got != "2026-06-26" {
			t.Fatalf("%s due %s before the correction", n, got)
		}
	}
	f.add(t, domain.CalendarStream(2026), &ieventsv1.HolidayCorrected{Holiday: "eid-al-adha-2", Date: "2026-05-30", Reference: "communiqué du ministère des Habous"})
	r, _ := f.m.Request(open, now)
	if got := r.DueOn.Format(domain.DayLayout); got != "2026-06-25" {
		t.Fatalf("open request due %s after the correction, want 2026-06-25", got)
	}
	a, _ := f.m.Request(answered, now)
	if got := a.DueOn.Format(domain.DayLayout); got != "2026-06-26" || !a.OnTime {
		t.Fatalf("answered request due %s (on time %v) after the correction, want 2026-06-26 and on time", got, a.OnTime)
	}
	past, _ := f.m.Request(open, readmodel.AsOf{Position: before, Today: day(t, "2026-06-01")})
	if got := past.DueOn.Format(domain.DayLayout); got != "2026-06-26" {
		t.Fatalf("as of before the correction: due %s, want 2026-06-26", got)
	}
	// Both calendars stay readable: the log keeps the default and the
	// correction.
	if f.m.Calendar(before).WorkingDay(day(t, "2026-05-28")) || !f.m.Calendar(0).WorkingDay(day(t, "2026-05-28")) {
		t.Fatal("calendars at the two positions")
	}

	// A snapshot restores the same answers.
	b, err := f.m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	g := readmodel.New(es.NewRegistry(domain.EventTypes))
	if err := g.Restore(b); err != nil {
		t.Fatal(err)
	}
	if g.Position() != f.m.Position() {
		t.Fatalf("restored at %d, want %d", g.Position(), f.m.Position())
	}
	if x, y := f.m.Figures("50910101", now), g.Figures("50910101", now); x.Received != 2 || x.AnsweredOnTime != 1 || x.Open != 1 || y.Received != x.Received || y.AnsweredOnTime != x.AnsweredOnTime || y.Open != x.Open {
		t.Fatalf("figures %+v, restored %+v", x, y)
	}
	r2, _ := g.Request(open, now)
	if r2.DueOn != r.DueOn {
		t.Fatalf("restored due %v, want %v", r2.DueOn, r.DueOn)
	}
}

// A request recorded under another council's name in its stream is never
// found.
func TestRequestOnlyUnderItsStreamsName(t *testing.T) {
	f := &feed{m: readmodel.New(es.NewRegistry(domain.EventTypes)), at: time.Now()}
	forged := "communes/50910113/informationRequests/0190d7a0-0000-7000-8000-00000000000a"
	f.add(t, stream(open), receivedOn(forged, "2026-05-26"))
	if _, ok := f.m.Request(forged, readmodel.AsOf{}); ok {
		t.Fatal("found under the name it claimed")
	}
	if _, ok := f.m.Request(open, readmodel.AsOf{}); ok {
		t.Fatal("found under the stream's name without a matching record")
	}
	if f.m.Position() != 1 {
		t.Fatalf("position %d, want 1", f.m.Position())
	}
}

// Rollup sums councils' figures for a comparison; the median is over the
// answered requests of all of them.
func TestRollup(t *testing.T) {
	f := &feed{m: readmodel.New(es.NewRegistry(domain.EventTypes)), at: time.Date(2026, 5, 26, 8, 0, 0, 0, time.UTC)}
	other := "communes/50910113/informationRequests/0190d7a0-0000-7000-8000-00000000000c"
	f.add(t, stream(open), receivedOn(open, "2026-05-26"))
	f.add(t, stream(answered), receivedOn(answered, "2026-05-26"))
	f.add(t, stream(answered), &ieventsv1.RequestAnswered{Kind: ieventsv1.AnswerKind_ANSWER_KIND_REFUSED, Exceptions: []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_PRIVATE_LIFE}, Reasons: "Données personnelles", AnsweredOn: "2026-06-10"})
	f.add(t, domain.RequestStream("50910113", other[len("communes/50910113/informationRequests/"):]), receivedOn(other, "2026-05-26"))
	f.add(t, domain.RequestStream("50910113", other[len("communes/50910113/informationRequests/"):]), &ieventsv1.RequestAnswered{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x", AnsweredOn: "2026-07-01"})
	f.add(t, domain.PublicationStream("50910113"), &ieventsv1.PublicationRecorded{Category: ieventsv1.PublicationCategory_PUBLICATION_CATEGORY_BUDGET, Title: "Budget", PublishedOn: "2026-06-01", Url: "https://x.ma/b"})
	each, total := f.m.Rollup([]string{"50910101", "50910113"}, readmodel.AsOf{Today: day(t, "2026-07-02")})
	if len(each) != 2 || each[0].Received != 2 || each[0].OverdueNow != 1 || each[1].Received != 1 || each[1].AnsweredLate != 1 || each[1].RegisterPublished != 1 {
		t.Fatalf("each: %+v", each)
	}
	// 9 working days (to 10 June) and 23 (to 1 July, 1 Muharram off): median 16.
	if total.Received != 3 || total.AnsweredOnTime != 1 || total.AnsweredLate != 1 || total.OverdueNow != 1 || total.MedianWorkingDays != 16 ||
		total.RefusalsByException[ieventsv1.Exception_EXCEPTION_PRIVATE_LIFE] != 1 || total.RegisterPublished != 1 || total.RegisterCategories != 18 {
		t.Fatalf("total: %+v", total)
	}
}

// The runner's as-of (what status resolves) read by this model: a time
// before the log's first event counts nothing (Resolve marks it with a
// position past any and a valid time of the epoch), a valid time leaves out
// what occurred after it, and a position what was recorded after it.
func TestAtRunnersAsOf(t *testing.T) {
	reg := es.NewRegistry(domain.EventTypes)
	f := &feed{m: readmodel.New(reg), at: time.Date(2026, 5, 26, 8, 0, 0, 0, time.UTC)}
	f.add(t, stream(open), receivedOn(open, "2026-05-26"))
	first := f.at
	f.add(t, stream(answered), receivedOn(answered, "2026-05-26"))
	f.add(t, domain.PublicationStream("50910101"), &ieventsv1.PublicationRecorded{Category: ieventsv1.PublicationCategory_PUBLICATION_CATEGORY_BUDGET, Title: "Budget", PublishedOn: "2026-06-01", Url: "https://x.ma/b"})
	now := time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC)
	// A runner that has recorded nothing: every time is before its first event.
	runner := projections.New(reg)

	before, err := runner.Resolve(0, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.m.Figures("50910101", readmodel.At(before)); got.Received != 0 || got.Open != 0 || got.OverdueNow != 0 || got.RegisterPublished != 0 {
		t.Fatalf("before the first event: %+v, want nothing counted", got)
	}
	valid, _ := runner.Resolve(0, time.Time{}, first, now)
	if got := f.m.Figures("50910101", readmodel.At(valid)); got.Received != 1 || got.RegisterPublished != 0 || got.Today != day(t, "2026-05-26") {
		t.Fatalf("valid time at the first request: %+v, want 1 received, judged on 26 May", got)
	}
	latest, _ := runner.Resolve(0, time.Time{}, time.Time{}, now)
	if got := f.m.Figures("50910101", readmodel.At(latest)); got.Received != 2 || got.OverdueNow != 2 || got.RegisterPublished != 1 || got.Today != day(t, "2026-07-02") {
		t.Fatalf("now: %+v, want 2 received, both overdue on 2 July, 1 category published", got)
	}
	if got := f.m.Figures("50910101", readmodel.At(projections.AsOf{Position: 1, Now: now})); got.Received != 1 {
		t.Fatalf("as of position 1: %+v", got)
	}
}

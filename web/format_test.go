package web

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

func TestNumbersAndDatesInTheReadersLocale(t *testing.T) {
	cs := loadTestCatalogues(t)
	ar, fr, en := cs["ar"], cs["fr"], cs["en"]
	for _, c := range []struct {
		got, want string
	}{
		{en.Int(int64(2510799)), "2,510,799"},
		{fr.Int(int64(2510799)), "2\u202f510\u202f799"},
		{ar.Int(int64(2510799)), "2.510.799"},
		{fr.Int(int32(999)), "999"},
		{fr.Int(1000), "1\u202f000"},
		{en.Int(-1234), "-1,234"},
		{fr.Pct(2.0 / 3), "66,7 %"},
		{en.Pct(2.0 / 3), "66.7 %"},
		{fr.Num(12345.25), "12\u202f345,2"},
		// Nothing to compute from: a dash, not 0.0.
		{fr.PctOf(int32(0), 0), "—"},
		{fr.NumOf(int32(0), 0), "—"},
		{fr.PctOf(int32(3), 1.0/3), "33,3 %"},
		{en.NumOf(int32(2), 4.5), "4.5"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// 23:30 UTC on 1 November is 0:30 on 2 November in Casablanca (UTC+1).
	ts := timestamppb.New(time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC))
	for _, c := range []struct {
		l          *Locale
		date, time string
	}{
		{fr, "2 novembre 2026", "2 novembre 2026 à 00:30"},
		{ar, "2 نونبر 2026", "2 نونبر 2026 على الساعة 00:30"},
		{en, "2 November 2026", "2 November 2026, 00:30"},
	} {
		if got := c.l.Date(ts); got != c.date {
			t.Errorf("%s date %q, want %q", c.l.Lang, got, c.date)
		}
		if got := c.l.DateTime(ts); got != c.time {
			t.Errorf("%s datetime %q, want %q", c.l.Lang, got, c.time)
		}
	}
	if today(time.Date(2026, 11, 1, 23, 30, 0, 0, time.UTC)) != "2026-11-02" {
		t.Error("today is not Morocco's day")
	}
}

// Public timelines name offices, never accounts.
func TestTimelineNamesOffices(t *testing.T) {
	cs := loadTestCatalogues(t)
	p := &petitionsv1.Petition{Agent: "amina", ReceiptNumber: "50910113-2026-000001",
		DecisionDeadline: timestamppb.New(time.Date(2027, 1, 2, 12, 0, 0, 0, time.UTC))}
	entries := []*petitionsv1.TimelineEntry{
		{Type: "petitions.PetitionDrafted", ActorRole: "citizen", Actor: "amina", Summary: "Petition drafted: x"},
		{Type: "petitions.SignatureAdded", ActorRole: "citizen", Actor: "karim"},
		{Type: "petitions.PetitionDeposited", ActorRole: "staff", Actor: "staff-50910113", Summary: "Deposited, receipt …"},
	}
	for _, lang := range []string{"ar", "fr", "en"} {
		l := cs[lang]
		lines := timeline(l, p, entries)
		want := []string{l.T("office.agent"), l.T("office.citizen"), l.T("office.staff")}
		for i, line := range lines {
			if line.By != want[i] {
				t.Errorf("%s line %d by %q, want %q", lang, i, line.By, want[i])
			}
			for _, account := range []string{"amina", "karim", "staff-50910113"} {
				if line.By == account || line.Summary == account {
					t.Errorf("%s line %d names the account %s", lang, i, account)
				}
			}
		}
		if lang != "en" && lines[0].Summary != "" {
			t.Errorf("%s: an English summary on a %s page: %q", lang, lang, lines[0].Summary)
		}
		if lang == "fr" && lines[2].Summary != "Récépissé 50910113-2026-000001 ; décision attendue au plus tard le 2 janvier 2027" {
			t.Errorf("fr deposit summary %q", lines[2].Summary)
		}
	}
	if got := cs["ar"].CaseState("DRAFT"); got != cs["ar"].msgs["enum.PETITION_STATE_DRAFT"] {
		t.Errorf("audit state DRAFT shows %q", got)
	}
}

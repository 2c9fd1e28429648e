package domain_test

import (
	"math"
	"slices"
	"testing"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

const surveyID = "0193c4b2-0000-7000-8000-00000000s001"

func survey() domain.RecordSurvey {
	return domain.RecordSurvey{
		ID: surveyID, Council: beniMellal, Service: "État civil", Period: "2026-10",
		ScoreCounts: []int32{10, 20, 30, 25, 15},
	}
}

// A satisfaction survey's aggregated results are recorded once: a service,
// a period that has begun, and how many forms gave each score 1 to 5.
func TestRecordSurvey(t *testing.T) {
	evs, err := domain.DecideSurvey(domain.SurveyState{}, survey(), asClerk)
	if err != nil || len(evs) != 1 {
		t.Fatalf("DecideSurvey = %v, %v", evs, err)
	}
	p, ok := evs[0].Payload.(*consultationseventsv1.SurveyResultsRecorded)
	if !ok || p.GetSurveyId() != surveyID || p.GetCouncil() != beniMellal || p.GetService() != "État civil" ||
		p.GetPeriod() != "2026-10" || p.GetResponses() != 100 || !slices.Equal(p.GetScoreCounts(), []int32{10, 20, 30, 25, 15}) {
		t.Fatalf("event %v", evs[0].Payload)
	}
	s := domain.EvolveSurvey(domain.SurveyState{}, domain.Recorded{Payload: p, RecordedAt: now})
	if !s.Exists || s.Responses != 100 || s.Service != "État civil" || !s.RecordedAt.Equal(now) ||
		s.Name() != beniMellal+"/surveys/"+surveyID || domain.SurveyStreamID(beniMellal, surveyID) != "survey.50910101."+surveyID {
		t.Fatalf("survey state %+v", s)
	}

	for _, period := range []string{"2026", "2025", "2026-11"} {
		c := survey()
		c.Period = period
		if _, err := domain.DecideSurvey(domain.SurveyState{}, c, asClerk); err != nil {
			t.Errorf("period %s: %v", period, err)
		}
	}

	for _, tc := range []struct {
		name  string
		edit  func(*domain.RecordSurvey)
		field string
	}{
		{"not a council", func(c *domain.RecordSurvey) { c.Council = "x" }, "parent"},
		{"service missing", func(c *domain.RecordSurvey) { c.Service = " " }, "service"},
		{"period missing", func(c *domain.RecordSurvey) { c.Period = "" }, "period"},
		{"period malformed", func(c *domain.RecordSurvey) { c.Period = "10/2026" }, "period"},
		{"period month 13", func(c *domain.RecordSurvey) { c.Period = "2026-13" }, "period"},
		{"period next month", func(c *domain.RecordSurvey) { c.Period = "2026-12" }, "period"},
		{"period next year", func(c *domain.RecordSurvey) { c.Period = "2027" }, "period"},
		{"four counts", func(c *domain.RecordSurvey) { c.ScoreCounts = []int32{1, 2, 3, 4} }, "score_counts"},
		{"six counts", func(c *domain.RecordSurvey) { c.ScoreCounts = []int32{1, 2, 3, 4, 5, 6} }, "score_counts"},
		{"no counts", func(c *domain.RecordSurvey) { c.ScoreCounts = nil }, "score_counts"},
		{"a negative count", func(c *domain.RecordSurvey) { c.ScoreCounts = []int32{10, -1, 3, 4, 5} }, "score_counts"},
		{"no forms", func(c *domain.RecordSurvey) { c.ScoreCounts = []int32{0, 0, 0, 0, 0} }, "score_counts"},
		{"more forms than an int32", func(c *domain.RecordSurvey) {
			c.ScoreCounts = []int32{math.MaxInt32, 1, 0, 0, 0}
		}, "score_counts"},
	} {
		t.Run("field "+tc.name, func(t *testing.T) {
			c := survey()
			tc.edit(&c)
			_, err := domain.DecideSurvey(domain.SurveyState{}, c, asClerk)
			(&outcome{t: t, err: err}).thenField(tc.field)
		})
	}
	t.Run("recorded twice", func(t *testing.T) {
		_, err := domain.DecideSurvey(s, survey(), asClerk)
		(&outcome{t: t, err: err}).thenError(fault.AlreadyExists, "SURVEY_EXISTS")
	})
}

// MeanScore weighs each score by its forms.
func TestMeanScore(t *testing.T) {
	for _, tc := range []struct {
		counts []int32
		want   float64
	}{
		{[]int32{10, 20, 30, 25, 15}, 3.15}, // 315 points / 100 forms
		{[]int32{0, 0, 0, 0, 7}, 5},
		{[]int32{1, 0, 0, 0, 1}, 3},
		{[]int32{0, 0, 0, 0, 0}, 0},
		{nil, 0},
	} {
		if got := domain.MeanScore(tc.counts); got != tc.want {
			t.Errorf("MeanScore(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}

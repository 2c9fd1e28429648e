package domain

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// Scores is the number of points on a survey's scale: from 1 (very
// dissatisfied) to 5 (very satisfied).
const Scores = 5

// SurveyState is a citizen satisfaction survey as its event left it.
// Stream "survey.<council code>.<id>".
type SurveyState struct {
	Exists      bool
	ID          string
	Council     string
	Service     string
	Period      string
	Responses   int32
	ScoreCounts []int32
	RecordedAt  time.Time
}

// Name returns the survey's resource name.
func (s SurveyState) Name() string { return SurveyName(s.Council, s.ID) }

// RecordSurvey records the aggregated results of a survey of one service
// over a period ("YYYY" or "YYYY-MM"): how many forms gave each score, 1
// to 5.
type RecordSurvey struct {
	ID          string
	Council     string
	Service     string
	Period      string
	ScoreCounts []int32
}

var periodPattern = regexp.MustCompile(`^\d{4}(-(0[1-9]|1[0-2]))?$`)

// EvolveSurvey applies one recorded event to a survey.
func EvolveSurvey(s SurveyState, e Recorded) SurveyState {
	if p, ok := e.Payload.(*consultationseventsv1.SurveyResultsRecorded); ok {
		s.Exists = true
		s.ID, s.Council, s.Service, s.Period = p.GetSurveyId(), p.GetCouncil(), p.GetService(), p.GetPeriod()
		s.Responses = p.GetResponses()
		s.ScoreCounts = append([]int32(nil), p.GetScoreCounts()...)
		s.RecordedAt = e.RecordedAt
	}
	return s
}

// DecideSurvey decides the recording of a survey's results; they are
// recorded once.
func DecideSurvey(s SurveyState, c RecordSurvey, ctx Context) ([]Event, error) {
	if s.Exists {
		return nil, fault.New(fault.AlreadyExists, "SURVEY_EXISTS", "survey %s already exists", c.ID)
	}
	if c.ID == "" {
		return nil, fmt.Errorf("consultations: survey without an id")
	}
	if !councilPattern.MatchString(c.Council) {
		return nil, fault.Field("parent", "%q is not a council: want communes/{code}, provinces/{code} or regions/{code}", c.Council)
	}
	service := strings.TrimSpace(c.Service)
	if err := text("service", service, MaxShort); err != nil {
		return nil, err
	}
	if !periodPattern.MatchString(c.Period) {
		return nil, fault.Field("period", "a year YYYY or a month YYYY-MM")
	}
	layout := "2006"
	if len(c.Period) > 4 {
		layout = "2006-01"
	}
	start, err := time.Parse(layout, c.Period)
	if err != nil {
		return nil, fault.Field("period", "a year YYYY or a month YYYY-MM")
	}
	// A period that has not begun has no results yet.
	if start.After(today(ctx.Now)) {
		return nil, fault.Field("period", "%s is in the future", c.Period)
	}
	if len(c.ScoreCounts) != Scores {
		return nil, fault.Field("score_counts", "exactly %d counts, for scores 1 to %d; got %d", Scores, Scores, len(c.ScoreCounts))
	}
	var sum int64
	for i, n := range c.ScoreCounts {
		if n < 0 {
			return nil, fault.Field("score_counts", "the count for score %d is negative (%d)", i+1, n)
		}
		sum += int64(n)
	}
	if sum == 0 {
		return nil, fault.Field("score_counts", "no forms returned")
	}
	if sum > math.MaxInt32 {
		return nil, fault.Field("score_counts", "%d forms in all, at most %d", sum, math.MaxInt32)
	}
	return one(&consultationseventsv1.SurveyResultsRecorded{
		SurveyId: c.ID, Council: c.Council, Service: service, Period: c.Period,
		Responses: int32(sum), ScoreCounts: append([]int32(nil), c.ScoreCounts...),
	}), nil
}

// MeanScore returns the mean score of counts, where counts[i] forms gave
// score i+1; 0 when there are no forms.
func MeanScore(counts []int32) float64 {
	var forms, points int64
	for i, n := range counts {
		forms += int64(n)
		points += int64(i+1) * int64(n)
	}
	if forms == 0 {
		return 0
	}
	return float64(points) / float64(forms)
}

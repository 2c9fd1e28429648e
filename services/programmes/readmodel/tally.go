package readmodel

import (
	"time"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
)

// Tally counts satisfaction forms: how many, and per group of respondents
// ("" for everyone, "sex=SEX_FEMALE", "age_band=AGE_BAND_18_34",
// "disability=DISABILITY_YES", ...) and per service how many gave each
// score 1-5.
type Tally struct {
	Forms  int64
	Groups map[string]map[int32][5]int64
}

// NewTally returns an empty tally.
func NewTally() Tally { return Tally{Groups: map[string]map[int32][5]int64{}} }

// Groups a form counts in.
func groupsOf(f *eventsv1.SurveyForm) []string {
	g := []string{""}
	if f.GetSex() != eventsv1.Sex_SEX_UNSPECIFIED {
		g = append(g, "sex="+f.GetSex().String())
	}
	if f.GetAgeBand() != eventsv1.AgeBand_AGE_BAND_UNSPECIFIED {
		g = append(g, "age_band="+f.GetAgeBand().String())
	}
	if f.GetDisability() != eventsv1.Disability_DISABILITY_UNSPECIFIED {
		g = append(g, "disability="+f.GetDisability().String())
	}
	return g
}

// Add counts one form.
func (t *Tally) Add(f *eventsv1.SurveyForm) {
	t.Forms++
	for _, g := range groupsOf(f) {
		services := t.Groups[g]
		if services == nil {
			services = map[int32][5]int64{}
			t.Groups[g] = services
		}
		for _, s := range f.GetScores() {
			c := services[int32(s.GetService())]
			c[s.GetScore()-1]++
			services[int32(s.GetService())] = c
		}
	}
}

// Merge adds another tally.
func (t *Tally) Merge(o Tally) {
	t.Forms += o.Forms
	for g, services := range o.Groups {
		mine := t.Groups[g]
		if mine == nil {
			mine = map[int32][5]int64{}
			t.Groups[g] = mine
		}
		for s, c := range services {
			m := mine[s]
			for i := range c {
				m[i] += c[i]
			}
			mine[s] = m
		}
	}
}

// Rated returns, for a group and a service, the forms rating it, their
// mean score and the share of scores 4 and 5.
func (t Tally) Rated(group string, service int32) (forms int64, mean, satisfied float64) {
	c := t.Groups[group][service]
	var points, happy int64
	for i, n := range c {
		forms += n
		points += int64(i+1) * n
		if i >= 3 {
			happy += n
		}
	}
	if forms == 0 {
		return 0, 0, 0
	}
	return forms, float64(points) / float64(forms), float64(happy) / float64(forms)
}

func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

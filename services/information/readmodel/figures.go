package readmodel

import (
	"slices"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Figures are one council's figures under law 31-13 at one moment. It is
// the function services/status can show in a council's status and sum in
// the regional comparison: Model.Figures(code, AsOf) for each council.
type Figures struct {
	Council        string
	Received       int
	AnsweredOnTime int
	AnsweredLate   int
	OverdueNow     int
	Open           int
	Extended       int
	// MedianWorkingDays from receipt to answer, over answered requests
	// (0 when none).
	MedianWorkingDays float64
	// RefusalsByException counts partial answers and refusals per ground
	// of art. 7 (an answer citing two grounds counts for both).
	RefusalsByException map[ieventsv1.Exception]int
	ComplaintsToHead    int
	ComplaintsToCDAI    int
	ComplaintsUpheld    int
	ComplaintsRejected  int
	ComplaintsPending   int
	// RegisterPublished of RegisterCategories categories of art. 10 have
	// at least one publication.
	RegisterPublished  int
	RegisterCategories int
	Today              domain.Day
}

// Add sums g into f (a province's or a region's total); the median is not
// additive and is left as f's.
func (f *Figures) Add(g Figures) {
	f.Received += g.Received
	f.AnsweredOnTime += g.AnsweredOnTime
	f.AnsweredLate += g.AnsweredLate
	f.OverdueNow += g.OverdueNow
	f.Open += g.Open
	f.Extended += g.Extended
	f.ComplaintsToHead += g.ComplaintsToHead
	f.ComplaintsToCDAI += g.ComplaintsToCDAI
	f.ComplaintsUpheld += g.ComplaintsUpheld
	f.ComplaintsRejected += g.ComplaintsRejected
	f.ComplaintsPending += g.ComplaintsPending
	if f.RefusalsByException == nil {
		f.RefusalsByException = map[ieventsv1.Exception]int{}
	}
	for k, v := range g.RefusalsByException {
		f.RefusalsByException[k] += v
	}
}

// Figures returns the council code's figures at a.
func (m *Model) Figures(code string, a AsOf) Figures {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, _ := m.figures(code, a)
	return f
}

// Rollup returns the figures of each council code at a and their total,
// for a province's or a region's comparison (services/status): the
// total's median is over every answered request of the councils, its
// register counts are summed.
func (m *Model) Rollup(codes []string, a AsOf) (each []Figures, total Figures) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	total = Figures{RefusalsByException: map[ieventsv1.Exception]int{}, Today: a.Today}
	var all []int
	for _, code := range codes {
		f, days := m.figures(code, a)
		each = append(each, f)
		total.Add(f)
		total.RegisterPublished += f.RegisterPublished
		total.RegisterCategories += f.RegisterCategories
		all = append(all, days...)
	}
	total.MedianWorkingDays = median(all)
	return each, total
}

// figures computes one council's figures and the working days each
// answered request took. Lock held.
func (m *Model) figures(code string, a AsOf) (Figures, []int) {
	council := "communes/" + code
	f := Figures{Council: council, RefusalsByException: map[ieventsv1.Exception]int{}, Today: a.Today}
	var days []int
	prefix := council + "/informationRequests/"
	for _, name := range m.names {
		if len(name) <= len(prefix) || name[:len(prefix)] != prefix {
			continue
		}
		r, ok := m.fold(m.requests[name], a)
		if !ok {
			continue
		}
		s := r.State
		f.Received++
		if s.Extended {
			f.Extended++
		}
		switch {
		case s.Answered && r.OnTime:
			f.AnsweredOnTime++
		case s.Answered:
			f.AnsweredLate++
		case r.Overdue:
			f.OverdueNow++
		default:
			f.Open++
		}
		if s.Answered {
			days = append(days, r.WorkingDays)
			if s.Answer.Kind != ieventsv1.AnswerKind_ANSWER_KIND_FULL {
				for _, e := range s.Answer.Exceptions {
					f.RefusalsByException[e]++
				}
			}
		}
		for level, c := range s.Complaints {
			if level == ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD {
				f.ComplaintsToHead++
			} else {
				f.ComplaintsToCDAI++
			}
			switch {
			case !c.Decided:
				f.ComplaintsPending++
			case c.Outcome == ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_REJECTED:
				f.ComplaintsRejected++
			default:
				f.ComplaintsUpheld++
			}
		}
	}
	f.MedianWorkingDays = median(days)
	_, missing := m.publicationsAt(code, a)
	f.RegisterCategories = len(domain.Categories())
	f.RegisterPublished = f.RegisterCategories - len(missing)
	return f, days
}

func median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

package domain

import (
	"time"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
)

// Composition sums up the members in office: how many, how many women,
// young members (AGE_BAND_YOUTH) and members with a disability, and each
// count's share of the members (0 when there are none), so a dashboard can
// show who the body gives a voice to (DOMAIN.md §3).
func Composition(s State) (members, women, youth, disability int, womenShare, youthShare, disabilityShare float64) {
	for _, m := range s.Members {
		if !m.Active {
			continue
		}
		members++
		if m.Member.GetSex() == advisoryeventsv1.Sex_SEX_FEMALE {
			women++
		}
		if m.Member.GetAgeBand() == advisoryeventsv1.AgeBand_AGE_BAND_YOUTH {
			youth++
		}
		if m.Member.GetDisability() {
			disability++
		}
	}
	if members == 0 {
		return 0, 0, 0, 0, 0, 0, 0
	}
	n := float64(members)
	return members, women, youth, disability, float64(women) / n, float64(youth) / n, float64(disability) / n
}

// DaysToResponse returns the days, fractional, from an opinion's
// transmission to the council's response, or 0 while it has not been both
// transmitted and responded to: how long the council took is the measure of
// its accountability (DOMAIN.md §3).
func DaysToResponse(op Opinion) float64 {
	if op.TransmittedAt.IsZero() || op.RespondedAt.IsZero() {
		return 0
	}
	return float64(op.RespondedAt.Sub(op.TransmittedAt)) / float64(24*time.Hour)
}

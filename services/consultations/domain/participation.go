package domain

import (
	"math"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
)

// Participation sums up workshops: totals, and the shares of women, young
// people and people with disabilities among all participants (0 when no
// one took part). The rates are plain divisions of the totals, so 66 women
// of 200 participants give exactly 0.33.
func Participation(workshops []*consultationseventsv1.WorkshopHeld) *consultationseventsv1.Participation {
	var participants, women, youth, disability, contributions int64
	for _, w := range workshops {
		participants += int64(w.GetParticipants())
		women += int64(w.GetWomen())
		youth += int64(w.GetYouth())
		disability += int64(w.GetDisability())
		contributions += int64(w.GetContributions())
	}
	p := &consultationseventsv1.Participation{
		Workshops:     int32(len(workshops)),
		Participants:  clamp32(participants),
		Women:         clamp32(women),
		Youth:         clamp32(youth),
		Disability:    clamp32(disability),
		Contributions: clamp32(contributions),
	}
	if participants > 0 {
		p.WomenRate = float64(women) / float64(participants)
		p.YouthRate = float64(youth) / float64(participants)
		p.DisabilityRate = float64(disability) / float64(participants)
	}
	return p
}

// clamp32 returns n as an int32, saturated rather than wrapped.
func clamp32(n int64) int32 {
	return int32(min(n, math.MaxInt32))
}

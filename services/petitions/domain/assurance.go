package domain

import (
	"slices"
	"strings"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// CountedSignatures is how many valid signatures of t count toward the
// threshold when the rulebook counts the levels of assurance levels (nil:
// all of them, t.Valid). A rulebook that counts only some levels needs the
// tally by level; without it the count is refused rather than guessed.
func CountedSignatures(t Tally, levels []petitionseventsv1.SignatureAssurance) (int, error) {
	if len(levels) == 0 {
		return t.Valid, nil
	}
	if t.ByAssurance == nil {
		return 0, fault.New(fault.Unavailable, "READ_MODEL_BEHIND", "the signatures are not yet counted by level of assurance; retry in a moment")
	}
	n := 0
	for level, count := range t.ByAssurance {
		if slices.Contains(levels, level) {
			n += count
		}
	}
	return n, nil
}

// levelsNote names the levels counted, for a refusal's message ("" when
// all count).
func levelsNote(levels []petitionseventsv1.SignatureAssurance) string {
	if len(levels) == 0 {
		return ""
	}
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = strings.TrimPrefix(l.String(), "SIGNATURE_ASSURANCE_")
	}
	return " (this council counts " + strings.Join(names, ", ") + ")"
}

// CountedByLevel is how many of valid signatures, counted by level in
// byLevel, count toward the threshold when the rulebook counts levels (nil:
// all).
func CountedByLevel(valid int32, byLevel map[petitionseventsv1.SignatureAssurance]int32, levels []petitionseventsv1.SignatureAssurance) int {
	if len(levels) == 0 {
		return int(valid)
	}
	n := 0
	for level, count := range byLevel {
		if slices.Contains(levels, level) {
			n += int(count)
		}
	}
	return n
}

package domain

import "testing"

// The stream ids are in every stored hash chain: these are the formats of
// logs already written, byte for byte.
func TestStreamFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{StreamID("communes/50910101", "c1"), "consultation.50910101.c1"},
		{SurveyStreamID("communes/50910101", "s1"), "survey.50910101.s1"},
		{ConsultationStream("50910101", "c1"), "consultation.50910101.c1"},
		{SurveyStream("50910101", "s1"), "survey.50910101.s1"},
		{StreamCouncil("survey.50910101.s1"), "50910101"},
		{StreamCouncil("body.50910101.b1"), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

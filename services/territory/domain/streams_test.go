package domain

import "testing"

// The stream id is in every stored hash chain: this is the format of logs
// already written, byte for byte.
func TestStreamFormats(t *testing.T) {
	if got := StreamID("50910101"); got != "council.50910101" {
		t.Errorf("StreamID = %q", got)
	}
	if code, ok := ParseStreamID("council.50910101"); !ok || code != "50910101" {
		t.Errorf("ParseStreamID = %q, %v", code, ok)
	}
	if got := StreamCouncil("council.50910101"); got != "50910101" {
		t.Errorf("StreamCouncil = %q", got)
	}
}

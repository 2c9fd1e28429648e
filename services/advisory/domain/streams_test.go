package domain

import "testing"

// The stream id is in every stored hash chain: this is the format of logs
// already written, byte for byte.
func TestStreamFormats(t *testing.T) {
	if got := BodyStream("50910101", "equity-gender"); got != "body.50910101.equity-gender" {
		t.Errorf("BodyStream = %q", got)
	}
	if code, body, ok := ParseBodyStream("body.50910101.equity-gender"); !ok || code != "50910101" || body != "equity-gender" {
		t.Errorf("ParseBodyStream = %q, %q, %v", code, body, ok)
	}
	if got := StreamCouncil("petition.50910101.p1"); got != "" {
		t.Errorf("StreamCouncil of a petition stream = %q", got)
	}
}

package audit

import "testing"

// The checkpoint stream id is in every stored hash chain: this is the
// format of logs already written, byte for byte.
func TestCheckpointStreamFormat(t *testing.T) {
	if got := CheckpointStream("tasharuk"); got != "checkpoint.tasharuk" {
		t.Errorf("CheckpointStream = %q", got)
	}
	if name, ok := ParseCheckpointStream("checkpoint.tasharuk"); !ok || name != "tasharuk" {
		t.Errorf("ParseCheckpointStream = %q, %v", name, ok)
	}
	if _, ok := ParseCheckpointStream("petition.50910101.p1"); ok {
		t.Error("ParseCheckpointStream accepted a petition stream")
	}
}

package domain_test

import (
	"testing"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/domain"
)

// Erasing a requester records the data key destroyed; afterwards the
// identity is not revealed (no read recorded), a second erasure is refused,
// and the request's clock and answer are untouched.
func TestEraseRequester(t *testing.T) {
	rec := received("2026-05-26", false)
	rec.IdentityKeyId = "dk.0190d7a0"
	answered := &ieventsv1.RequestAnswered{Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "x", AnsweredOn: "2026-06-10"}
	s := given(rec, answered)
	out, err := domain.Decide(s, domain.EraseRequester{}, domain.Env{})
	if err != nil || len(out) != 1 {
		t.Fatalf("erase: %v %v", out, err)
	}
	ev, ok := out[0].Payload.(*ieventsv1.RequesterErased)
	if !ok || ev.GetIdentityKeyId() != "dk.0190d7a0" {
		t.Fatalf("erase recorded %v", out[0].Payload)
	}
	after := given(rec, answered, ev)
	if !after.IdentityErased || !after.Answered || after.ReceivedOn != s.ReceivedOn || after.Answer.On != s.Answer.On {
		t.Fatalf("state after the erasure: %+v", after)
	}
	for what, c := range map[string]domain.Command{"reveal": domain.Reveal{}, "erase again": domain.EraseRequester{}} {
		_, err := domain.Decide(after, c, domain.Env{})
		if _, reason, _ := fault.Classify(err); reason != domain.ReasonPersonErased {
			t.Errorf("%s after the erasure: %v, want %s", what, err, domain.ReasonPersonErased)
		}
	}
	if _, err := domain.Decide(domain.State{}, domain.EraseRequester{}, domain.Env{}); err == nil {
		t.Fatal("erased the requester of no request")
	}
}

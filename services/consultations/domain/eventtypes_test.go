package domain_test

import (
	"strings"
	"testing"

	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// Every message of consultations/events/v1/events.proto is registered once,
// as "consultations.<Message>" version 1; Participation is the domain's sum
// of workshops (a part of the read state), not an event.
func TestEventTypes(t *testing.T) {
	r := es.NewRegistry(domain.EventTypes) // panics on a duplicate
	msgs := consultationseventsv1.File_tasharuk_consultations_events_v1_events_proto.Messages()
	if len(domain.EventTypes) != msgs.Len()-1 {
		t.Errorf("%d event types for %d messages (less Participation)", len(domain.EventTypes), msgs.Len())
	}
	for i := range msgs.Len() {
		if msgs.Get(i).Name() == "Participation" {
			continue
		}
		name := "consultations." + string(msgs.Get(i).Name())
		if !r.Known(name, 1) {
			t.Errorf("%s version 1 is not registered", name)
		}
	}
	for _, et := range domain.EventTypes {
		if !strings.HasSuffix(et.Name, "."+string(et.Sample.ProtoReflect().Descriptor().Name())) || et.Version != 1 {
			t.Errorf("%s v%d registers %T", et.Name, et.Version, et.Sample)
		}
	}
}

package domain_test

import (
	"strings"
	"testing"

	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/consultations/domain"
)

// Every message of consultations/v1/events.proto is registered once, as
// "consultations.<Message>" version 1.
func TestEventTypes(t *testing.T) {
	r := es.NewRegistry(domain.EventTypes) // panics on a duplicate
	msgs := consultationsv1.File_tasharuk_consultations_v1_events_proto.Messages()
	if len(domain.EventTypes) != msgs.Len() {
		t.Errorf("%d event types for %d messages", len(domain.EventTypes), msgs.Len())
	}
	for i := range msgs.Len() {
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

package es_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

func TestRoundTripAndUnknown(t *testing.T) {
	r := es.NewRegistry([]es.Type{{Name: "territory.CouncilRegistered", Version: 1, Sample: &territoryeventsv1.CouncilRegistered{}}})
	in := &territoryeventsv1.CouncilRegistered{Code: "50910101", Population: 209104}
	name, v, b, err := r.Encode(in)
	if err != nil || name != "territory.CouncilRegistered" || v != 1 {
		t.Fatalf("encode: %s %d %v", name, v, err)
	}
	out, err := r.Decode(name, v, b)
	if err != nil || !proto.Equal(in, out) {
		t.Fatalf("decode: %v %v", out, err)
	}
	if _, err := r.Decode(name, 2, b); err == nil {
		t.Fatal("unknown version decoded")
	}
	if _, _, _, err := r.Encode(&territoryeventsv1.CouncilPopulationRecorded{}); err == nil {
		t.Fatal("unregistered message encoded")
	}
}

func TestDuplicateRegistrationPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on duplicate type")
		}
	}()
	ty := es.Type{Name: "x.Y", Version: 1, Sample: &territoryeventsv1.CouncilRegistered{}}
	es.NewRegistry([]es.Type{ty}, []es.Type{ty})
}

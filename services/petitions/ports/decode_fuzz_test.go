package ports

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
	"github.com/tasharuk/tasharuk/services/petitions/app"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// FuzzDecodeRequest feeds hostile request bodies and query values through
// what a REST call meets before anything is written: the gateway's JSON
// decoding, resource-name and filter parsing, page tokens, timestamps and
// the draft rules. Nothing may panic, every refusal must be a typed error
// (so it maps to InvalidArgument/FailedPrecondition with a reason, never
// Internal), and what is accepted must be well formed.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"parent":"communes/081301","kind":"PETITIONER_KIND_CITIZENS","title":"Éclairage public","request":"Installer des lampadaires","reasons":"Sécurité"}`),
		"communes/081301/petitions/7f0c6a64-2a47-4a0e-9b1c-0a1b2c3d4e5f", "state=DEPOSITED AND overdue=true", "")
	f.Add([]byte(`{"name":"communes/081301/petitions/x","signer":{"national_id":"AB123456","full_name":"x"}}`), "regions/08/petitions/../../etc", "state=", "MHxhYmM")
	f.Add([]byte(`{"title":"\u0000\ud800","kind":99,"association":{"name":"","registered_on":"0001-01-01"}}`), "communes//petitions/", "overdue=false", "-1|x")
	f.Add([]byte(`{"name":"communes/081301/petitions/7f0c6a64-2a47-4a0e-9b1c-0a1b2c3d4e5f","receive_time":"9999-12-31T23:59:59Z"}`), "provinces/081/petitions/7F0C6A64-2A47-4A0E-9B1C-0A1B2C3D4E5F", " AND ", "%%%")
	f.Add([]byte(`[`), "\xff", "state=\xff", "\x00")
	marshaler := &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{}}
	ctx := domain.Context{Now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Actor: eventstore.Actor{Subject: "fuzz", Role: "citizen"}}

	f.Fuzz(func(t *testing.T, body []byte, name, filter, pageToken string) {
		typed := func(what string, err error) {
			if err == nil {
				return
			}
			if _, _, ok := fault.Classify(err); !ok {
				t.Fatalf("%s: untyped error %T: %v", what, err, err)
			}
		}

		// The gateway decodes the body; a refusal here is a 400 before any
		// handler runs. Whatever decodes goes on to the rules.
		var create petitionsv1.CreatePetitionRequest
		if err := marshaler.NewDecoder(bytes.NewReader(body)).Decode(&create); err == nil {
			evs, err := domain.Decide(domain.State{}, domain.Draft{ID: "7f0c6a64-2a47-4a0e-9b1c-0a1b2c3d4e5f", Council: create.GetParent(),
				Kind: create.GetKind(), Title: create.GetTitle(), Request: create.GetRequest(), Reasons: create.GetReasons(), Association: create.GetAssociation()}, ctx)
			typed("draft", err)
			if err == nil {
				if len(evs) == 0 {
					t.Fatal("an accepted draft decided no event")
				}
				for _, s := range []string{create.GetTitle(), create.GetRequest(), create.GetReasons()} {
					if !utf8.ValidString(s) {
						t.Fatalf("a draft with invalid UTF-8 %q was accepted", s)
					}
				}
			}
		}
		var dep petitionsv1.DepositPetitionRequest
		if err := marshaler.NewDecoder(bytes.NewReader(body)).Decode(&dep); err == nil {
			at, err := optTime(dep.GetReceiveTime(), "receive_time")
			typed("receive_time", err)
			if err == nil && dep.GetReceiveTime() != nil && !at.Equal(dep.GetReceiveTime().AsTime()) {
				t.Fatalf("receive_time %v read as %v", dep.GetReceiveTime(), at)
			}
		}

		if n, err := app.ParseName(name); err != nil {
			typed("name", err)
		} else if n.String() != name {
			t.Fatalf("name %q parsed to %q", name, n.String())
		}

		pf, err := parseFilter(filter)
		typed("filter", err)
		_ = pf

		if off, ok := names.DecodePageToken(pageToken, filter, name); ok && off < 0 {
			t.Fatalf("page token %q decoded to offset %d", pageToken, off)
		}
		if back, ok := names.DecodePageToken(names.EncodePageToken(len(pageToken), filter, name), filter, name); !ok || back != len(pageToken) {
			t.Fatalf("page token round trip: %d, %v", back, ok)
		}
		if _, ok := names.DecodePageToken(names.EncodePageToken(1, filter, name), filter+"x", name); ok {
			t.Fatal("a page token was accepted for another filter")
		}
	})
}

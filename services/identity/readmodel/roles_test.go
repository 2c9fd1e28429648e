package readmodel_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/identity/domain"
	"github.com/tasharuk/tasharuk/services/identity/readmodel"
)

func userKey(subject string) string { return "k-" + subject }

// RolesOf answers from the grants and revocations applied, ignores other
// streams, and a snapshot restores the same answers.
func TestRolesOf(t *testing.T) {
	m := readmodel.NewRoles(userKey)
	pos := uint64(0)
	apply := func(stream string, p proto.Message) {
		t.Helper()
		pos++
		if err := m.Apply(&eventstore.Event{Stream: stream, Position: pos}, p); err != nil {
			t.Fatal(err)
		}
	}
	amina := domain.UserStream(userKey("amina"))
	apply(amina, &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	apply(amina, &identityeventsv1.RoleGranted{Role: "staff", Council: "50910101"})
	apply(amina, &identityeventsv1.RoleGranted{Role: "admin"})
	apply(amina, &identityeventsv1.RoleRevoked{Role: "staff", Council: "50910113"})
	// Another context's event on another stream changes nothing.
	apply("petition.50910113.p1", &petitionseventsv1.PetitionDrafted{})
	want := []domain.Grant{{Role: "admin"}, {Role: "staff", Council: "50910101"}}
	if got := m.RolesOf("amina"); !slices.Equal(got, want) {
		t.Fatalf("RolesOf(amina) = %v, want %v", got, want)
	}
	if got := m.RolesOf("omar"); len(got) != 0 {
		t.Fatalf("an account without grants has %v", got)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := readmodel.NewRoles(userKey)
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := r.RolesOf("amina"); !slices.Equal(got, want) || r.Position() != m.Position() {
		t.Fatalf("restored: %v at %d, want %v at %d", got, r.Position(), want, m.Position())
	}
	if r.Name() == "" {
		t.Fatal("no snapshot section name")
	}
}

// Holders lists a council's staff from the grants in force: not another
// council's, not another role's, not a revoked grant; a snapshot restores
// the same answer.
func TestHoldersOfACouncilRole(t *testing.T) {
	m := readmodel.NewRoles(userKey)
	pos := uint64(0)
	apply := func(who string, p proto.Message) {
		t.Helper()
		pos++
		if err := m.Apply(&eventstore.Event{Stream: domain.UserStream(userKey(who)), Position: pos}, p); err != nil {
			t.Fatal(err)
		}
	}
	apply("samira", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	apply("omar", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	apply("omar", &identityeventsv1.RoleRevoked{Role: "staff", Council: "50910113"})
	apply("badr", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910107"})
	apply("nadia", &identityeventsv1.RoleGranted{Role: "advisory", Council: "50910113"})
	apply("aicha", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	want := []string{userKey("aicha"), userKey("samira")}
	if got := m.Holders("staff", "50910113"); !slices.Equal(got, want) {
		t.Fatalf("staff of 50910113 = %v, want %v", got, want)
	}
	if got := m.Holders("advisory", "50910113"); !slices.Equal(got, []string{userKey("nadia")}) {
		t.Fatalf("advisory of 50910113 = %v", got)
	}
	if got := m.Holders("staff", "50910199"); len(got) != 0 {
		t.Fatalf("a council without staff has %v", got)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := readmodel.NewRoles(userKey)
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := r.Holders("staff", "50910113"); !slices.Equal(got, want) {
		t.Fatalf("restored: %v, want %v", got, want)
	}
}

// InForce lists every grant in force, revoked ones left out, in a stable
// order (role, council, user key).
func TestGrantsInForce(t *testing.T) {
	m := readmodel.NewRoles(userKey)
	pos := uint64(0)
	apply := func(who string, p proto.Message) {
		t.Helper()
		pos++
		if err := m.Apply(&eventstore.Event{Stream: domain.UserStream(userKey(who)), Position: pos}, p); err != nil {
			t.Fatal(err)
		}
	}
	apply("samira", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	apply("omar", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910113"})
	apply("omar", &identityeventsv1.RoleRevoked{Role: "staff", Council: "50910113"})
	apply("badr", &identityeventsv1.RoleGranted{Role: "staff", Council: "50910107"})
	apply("root", &identityeventsv1.RoleGranted{Role: "admin"})
	got := m.InForce()
	want := []readmodel.Holding{
		{UserKey: userKey("root"), Grant: domain.Grant{Role: "admin"}},
		{UserKey: userKey("badr"), Grant: domain.Grant{Role: "staff", Council: "50910107"}},
		{UserKey: userKey("samira"), Grant: domain.Grant{Role: "staff", Council: "50910113"}},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("in force = %v, want %v", got, want)
	}
}

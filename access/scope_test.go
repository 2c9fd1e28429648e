package access

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// globalMethods are the non-public methods that act on no one council, so
// are not Scoped: the admins' acts on the territory. Every other
// non-public method is Scoped. Adding a method here is a decision that it
// may act across councils; it must then be admin-only.
var globalMethods = []string{
	territoryv1.TerritoryService_RegisterCouncil_FullMethodName,
	territoryv1.TerritoryService_RecordPopulation_FullMethodName,
	// The working-day calendar is national (law 31-13 deadlines run on it).
	informationv1.InformationService_CorrectHoliday_FullMethodName,
	// Roles are granted across councils: by admins only.
	identityv1.IdentityService_GrantRole_FullMethodName,
	identityv1.IdentityService_RevokeRole_FullMethodName,
	// The outbox is the installation's: its dead letters are seen and
	// resent by admins.
	notificationsv1.NotificationService_ListDeadLetters_FullMethodName,
	notificationsv1.NotificationService_ResendDeadLetter_FullMethodName,
	territoryv1.TerritoryService_AmendRulebook_FullMethodName,
}

// Every tasharuk service in the proto registry (each API package the
// policy imports registers its files) is one the tests know is served, so
// the checks below see every RPC.
func TestEveryRegisteredServiceIsServed(t *testing.T) {
	var names []string
	for _, d := range served {
		names = append(names, d.ServiceName)
	}
	count := 0
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "tasharuk.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			count++
			if s := string(fd.Services().Get(i).FullName()); !slices.Contains(names, s) {
				t.Errorf("service %s is registered but not in the served list of the policy tests", s)
			}
		}
		return true
	})
	if count != len(apiServices) {
		t.Errorf("%d tasharuk services registered, %d in apiServices", count, len(apiServices))
	}
}

// Every non-public row of every served service is Scoped (its council is
// checked for staff and advisory tokens, and the property test in
// cmd/tasharuk tries it across councils), or explicitly global and then
// for admins only.
func TestNonPublicRowsAreScopedOrGlobal(t *testing.T) {
	policy := DefaultPolicy()
	for _, m := range methodsOf(served) {
		rule, ok := policy[m]
		switch {
		case !ok:
			t.Errorf("%s has no row", m)
		case rule.Public:
		case slices.Contains(globalMethods, m):
			if rule.Scoped || !slices.Equal(rule.Roles, []Role{RoleAdmin}) {
				t.Errorf("%s is listed as global: want admin only and not scoped, got roles %v, scoped %v", m, rule.Roles, rule.Scoped)
			}
		case !rule.Scoped:
			t.Errorf("%s is neither public, scoped nor listed as global (roles %v)", m, rule.Roles)
		}
	}
	for _, m := range globalMethods {
		if _, ok := policy[m]; !ok {
			t.Errorf("global method %s has no row", m)
		}
	}
}

// A scoped method's request names its council in a string field "name" or
// "parent" (what Check reads), and is unary (a stream's request is not
// known when the scope is checked).
func TestScopedRequestsNameTheirCouncil(t *testing.T) {
	policy := DefaultPolicy()
	for _, m := range policy.Methods() {
		if !policy[m].Scoped || policy[m].Public {
			continue
		}
		svc, name := m[1:strings.LastIndex(m, "/")], m[strings.LastIndex(m, "/")+1:]
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
		if md == nil {
			t.Errorf("%s: no such method", m)
			continue
		}
		if md.IsStreamingClient() || md.IsStreamingServer() {
			t.Errorf("%s is scoped but streams", m)
		}
		fields := md.Input().Fields()
		f := fields.ByName("name")
		if f == nil {
			f = fields.ByName("parent")
		}
		if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
			t.Errorf("%s is scoped but %s has no string name or parent field", m, md.Input().FullName())
		}
	}
}

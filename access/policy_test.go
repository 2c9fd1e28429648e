package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"

	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// apiServices are tasharuk's own services; served lists every service the
// server registers.
var (
	apiServices = []*grpc.ServiceDesc{
		&eventlogv1.EventLogService_ServiceDesc,
		&territoryv1.TerritoryService_ServiceDesc,
		&petitionsv1.PetitionService_ServiceDesc,
		&statusv1.StatusService_ServiceDesc,
		&advisoryv1.AdvisoryService_ServiceDesc,
		&auditv1.AuditService_ServiceDesc,
		&consultationsv1.ConsultationService_ServiceDesc,
		&informationv1.InformationService_ServiceDesc,
		&identityv1.IdentityService_ServiceDesc,
		&programmesv1.ProgrammeService_ServiceDesc,
		&statusv1.DashboardService_ServiceDesc,
		&notificationsv1.NotificationService_ServiceDesc,
	}
	served = append(slices.Clone(apiServices),
		&healthpb.Health_ServiceDesc,
		&reflectionv1.ServerReflection_ServiceDesc,
		&reflectionv1alpha.ServerReflection_ServiceDesc,
	)
)

// methodsOf returns the full names of the unary and streaming methods of
// descs.
func methodsOf(descs []*grpc.ServiceDesc) []string {
	var ms []string
	for _, d := range descs {
		for _, m := range d.Methods {
			ms = append(ms, "/"+d.ServiceName+"/"+m.MethodName)
		}
		for _, s := range d.Streams {
			ms = append(ms, "/"+d.ServiceName+"/"+s.StreamName)
		}
	}
	return ms
}

// An RPC added to a proto without a row in DefaultPolicy fails here (and
// would be refused to everyone at run time).
func TestDefaultPolicyCoversEveryMethod(t *testing.T) {
	policy := DefaultPolicy()
	for _, m := range methodsOf(served) {
		if _, ok := policy[m]; !ok {
			t.Errorf("%s has no row in DefaultPolicy", m)
		}
	}
}

func TestDefaultPolicyHasNoStaleRows(t *testing.T) {
	known := methodsOf(served)
	for _, m := range DefaultPolicy().Methods() {
		if !slices.Contains(known, m) {
			t.Errorf("DefaultPolicy has a row for %s, which no served service has", m)
		}
	}
}

// Reads are public and acts are not: a method of the API is public exactly
// when it is a Get or a List — except the list of signers, which shows
// personal data to the council's staff only, and requests for information,
// which only their requester and the council's designated official read
// (what a person asks a council is theirs; law 31-13 keeps no public
// record of requests, only figures), and dead letters, which name who was
// to be told (admins only). Following a petition or a council by email is an
// act anyone may do: the double opt-in and the signed links in the messages
// are its authorization, not a role.
func TestDefaultPolicyReadsArePublic(t *testing.T) {
	policy := DefaultPolicy()
	// Supporting documents (proofs of residence, signature sheets) are
	// staff-only as well.
	personal := map[string]bool{"ListSignatures": true, "GetInformationRequest": true, "ListInformationRequests": true, "ListDeadLetters": true, "GetDocument": true}
	publicActs := map[string]bool{"CreateFollow": true, "ConfirmFollow": true, "Unsubscribe": true}
	for _, m := range methodsOf(apiServices) {
		name := shortMethod(m)
		read := (strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")) && !personal[name] || publicActs[name]
		if policy[m].Public != read {
			t.Errorf("%s: Public = %v, want %v", m, policy[m].Public, read)
		}
	}
	for _, m := range methodsOf(served[len(apiServices):]) {
		if !policy[m].Public {
			t.Errorf("%s: not public", m)
		}
	}
}

// TestDefaultPolicyRows states the table in words a reviewer can check
// against the procedure, independently of how default_policy.go spells it.
func TestDefaultPolicyRows(t *testing.T) {
	const (
		pet = "/tasharuk.petitions.v1.PetitionService/"
		ter = "/tasharuk.territory.v1.TerritoryService/"
		adv = "/tasharuk.advisory.v1.AdvisoryService/"
		con = "/tasharuk.consultations.v1.ConsultationService/"
		inf = "/tasharuk.information.v1.InformationService/"
		ids = "/tasharuk.identity.v1.IdentityService/"
		prg = "/tasharuk.programmes.v1.ProgrammeService/"
		ntf = "/tasharuk.notifications.v1.NotificationService/"
	)
	official := "information scoped"
	requester := "citizen information scoped"
	petitioner := "citizen staff admin scoped"
	council := "staff scoped"
	secretary := "advisory scoped"
	want := map[string]string{
		pet + "CreatePetition":             petitioner,
		pet + "OpenPetitionForSignatures":  petitioner,
		pet + "SignPetition":               petitioner,
		pet + "CheckSignature":             petitioner,
		pet + "WithdrawSignature":          petitioner,
		pet + "WithdrawPetition":           petitioner,
		pet + "DepositPetition":            "citizen staff scoped",
		pet + "StrikeSignature":            council,
		pet + "ImportSignatures":           council,
		pet + "ReferPetitionToBureau":      council,
		pet + "DecideAdmissibility":        council,
		pet + "SchedulePetition":           council,
		pet + "ReferPetitionToCommittee":   council,
		pet + "RecordCommitteeReport":      council,
		pet + "RecordDeliberation":         council,
		pet + "NotifyAgent":                council,
		pet + "ClosePetition":              council,
		pet + "CorrectPetitionRecord":      council,
		pet + "ListSignatures":             council,
		pet + "ModeratePetition":           "staff moderator scoped",
		pet + "AmendPetition":              "citizen staff admin scoped",
		pet + "AttachDocument":             "citizen staff admin scoped",
		pet + "GetDocument":                "staff admin auditor scoped",
		ter + "RegisterCouncil":            "admin",
		ter + "RecordPopulation":           "admin",
		ter + "AmendRulebook":              "admin",
		ter + "SetCouncilRules":            "staff admin scoped",
		adv + "CreateBody":                 council,
		adv + "RespondToOpinion":           council,
		adv + "AddMember":                  secretary,
		adv + "RemoveMember":               secretary,
		adv + "AssignBureauRole":           secretary,
		adv + "RecordMeeting":              secretary,
		adv + "CreateOpinion":              secretary,
		adv + "AdoptOpinion":               secretary,
		adv + "TransmitOpinion":            secretary,
		con + "CreateConsultation":         council,
		con + "AcknowledgeConsultation":    "staff advisory scoped",
		con + "RecordWorkshop":             council,
		con + "CompletePhase":              council,
		con + "AnswerConsultation":         "staff advisory scoped",
		con + "WithdrawConsultation":       council,
		con + "RecordSurvey":               council,
		inf + "CreateInformationRequest":   requester,
		inf + "GetInformationRequest":      requester,
		inf + "ListInformationRequests":    requester,
		inf + "ComplainInformationRequest": requester,
		inf + "ExtendInformationRequest":   official,
		inf + "AnswerInformationRequest":   official,
		inf + "RefuseInformationRequest":   official,
		inf + "DecideInformationComplaint": official,
		inf + "RecordPublication":          official,
		inf + "RevealRequester":            official,
		inf + "CorrectHoliday":             "admin",
		ids + "GrantRole":                  "admin",
		ids + "RevokeRole":                 "admin",
		ntf + "ListDeadLetters":            "admin",
		ntf + "ResendDeadLetter":           "admin",
		// The commune's staff keep its action programme and import its
		// satisfaction forms.
		prg + "CreateProgramme":   council,
		prg + "AddProject":        council,
		prg + "AdoptProgramme":    council,
		prg + "UpdateProgramme":   council,
		prg + "RecordProgress":    council,
		prg + "EvaluateYear":      council,
		prg + "ImportSurveyForms": council,
	}
	policy := DefaultPolicy()
	for _, m := range policy.Methods() {
		rule := policy[m]
		if rule.Public {
			if w, ok := want[m]; ok {
				t.Errorf("%s is public, want %q", m, w)
			}
			continue
		}
		var got []string
		for _, r := range rule.Roles {
			got = append(got, string(r))
		}
		if rule.Scoped {
			got = append(got, "scoped")
		}
		if g := strings.Join(got, " "); g != want[m] {
			t.Errorf("%s: %q, want %q", m, g, want[m])
		}
	}
}

// Fake requests naming a council by name, by parent, or not at all.
type (
	named    struct{ name string }
	parented struct{ parent string }
	bare     struct{}
)

func (r named) GetName() string      { return r.name }
func (r parented) GetParent() string { return r.parent }

const (
	home  = "50910101" // the council of the tokens in the matrix
	other = "50910107"
)

// expectCode re-states the semantics of a Rule: public methods are open to
// all; others need a caller whose role the rule lists; scoped rules then
// hold staff and advisory members (only them) to their own council, and
// refuse them a request that names none.
func expectCode(rule Rule, caller *Principal, reqCouncil string) codes.Code {
	if rule.Public {
		return codes.OK
	}
	if caller == nil {
		return codes.Unauthenticated
	}
	listed := false
	for _, r := range rule.Roles {
		if r == caller.Role {
			listed = true
		}
	}
	if !listed {
		return codes.PermissionDenied
	}
	if rule.Scoped && caller.Role.CouncilBound() && reqCouncil != caller.Council {
		return codes.PermissionDenied
	}
	return codes.OK
}

// everyRule returns a policy with one row per combination of roles and
// scope, plus a public row, so the matrix also covers rules (advisory,
// auditor, scoped admin...) the default table does not use yet.
func everyRule() Policy {
	p := Policy{"/test.Every/Public": {Public: true}}
	roles := Roles()
	for mask := range 1 << len(roles) {
		var rs []Role
		for i, r := range roles {
			if mask&(1<<i) != 0 {
				rs = append(rs, r)
			}
		}
		for _, scoped := range []bool{false, true} {
			p[fmt.Sprintf("/test.Every/Roles%02dScoped%v", mask, scoped)] = Rule{Roles: rs, Scoped: scoped}
		}
	}
	return p
}

func TestCheckMatrix(t *testing.T) {
	callers := []*Principal{nil} // anonymous
	for _, r := range Roles() {
		callers = append(callers, &Principal{Subject: "s", Role: r, Council: home})
	}
	callers = append(callers, &Principal{Subject: "c", Role: RoleCitizen}, &Principal{Subject: "a", Role: RoleAdmin})
	requests := []struct {
		req     any
		council string
	}{
		{named{"communes/" + home + "/petitions/p-1"}, home},
		{named{"communes/" + other + "/petitions/p-1"}, other},
		{named{"provinces/" + home}, home},
		{parented{"regions/" + home}, home},
		{parented{"regions/" + other}, other},
		{named{""}, ""},
		{bare{}, ""},
		{nil, ""},
	}
	n := 0
	for name, policy := range map[string]Policy{"default": DefaultPolicy(), "every rule": everyRule()} {
		for _, m := range policy.Methods() {
			for _, c := range callers {
				for _, rq := range requests {
					want := expectCode(policy[m], c, rq.council)
					err := policy.Check(m, c, rq.req)
					n++
					if got := status.Code(err); got != want {
						t.Errorf("%s: Check(%s, %+v, %#v) = %v (%v), want %v", name, m, c, rq.req, got, err, want)
						continue
					}
					checkReason(t, err)
				}
			}
		}
	}
	t.Logf("%d decisions checked", n)
}

// checkReason checks that a refusal carries the ErrorInfo its code calls
// for.
func checkReason(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	want := map[codes.Code]string{
		codes.Unauthenticated:  ReasonUnauthenticated,
		codes.PermissionDenied: ReasonPermissionDenied,
	}[status.Code(err)]
	info := errorInfo(err)
	if info == nil || info.GetReason() != want || info.GetDomain() != ErrorDomain {
		t.Errorf("error %v: ErrorInfo %v, want reason %s in %s", err, info, want, ErrorDomain)
	}
}

func errorInfo(err error) *errdetails.ErrorInfo {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func TestCheckStaffOfAnotherCouncil(t *testing.T) {
	staff := &Principal{Subject: "clerk", Role: RoleStaff, Council: "50910107"}
	req := &petitionsv1.DecideAdmissibilityRequest{Name: "communes/50910101/petitions/x"}
	err := DefaultPolicy().Check(petitionsv1.PetitionService_DecideAdmissibility_FullMethodName, staff, req)
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Check = %v, want PermissionDenied", err)
	}
	if info := errorInfo(err); info.GetReason() != "PERMISSION_DENIED" || info.GetDomain() != "tasharuk.ma" {
		t.Errorf("ErrorInfo = %v", info)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "50910107 cannot act on communes/50910101") {
		t.Errorf("message %q does not say whose council it is", msg)
	}
	req.Name = "communes/50910107/petitions/x"
	if err := DefaultPolicy().Check(petitionsv1.PetitionService_DecideAdmissibility_FullMethodName, staff, req); err != nil {
		t.Errorf("staff on its own council: %v", err)
	}
}

// The real request messages expose their council the way Check reads it.
func TestCheckRealRequests(t *testing.T) {
	policy := DefaultPolicy()
	staff := &Principal{Subject: "clerk", Role: RoleStaff, Council: home}
	citizen := &Principal{Subject: "amina", Role: RoleCitizen}
	for _, tc := range []struct {
		method string
		caller *Principal
		req    any
		want   codes.Code
	}{
		{petitionsv1.PetitionService_CreatePetition_FullMethodName, staff, &petitionsv1.CreatePetitionRequest{Parent: "communes/" + home}, codes.OK},
		{petitionsv1.PetitionService_CreatePetition_FullMethodName, staff, &petitionsv1.CreatePetitionRequest{Parent: "communes/" + other}, codes.PermissionDenied},
		{petitionsv1.PetitionService_CreatePetition_FullMethodName, citizen, &petitionsv1.CreatePetitionRequest{Parent: "communes/" + other}, codes.OK},
		{petitionsv1.PetitionService_SignPetition_FullMethodName, citizen, &petitionsv1.SignPetitionRequest{Name: "regions/01/petitions/p"}, codes.OK},
		{petitionsv1.PetitionService_DepositPetition_FullMethodName, staff, &petitionsv1.DepositPetitionRequest{Name: "communes/" + other + "/petitions/p"}, codes.PermissionDenied},
		{petitionsv1.PetitionService_DecideAdmissibility_FullMethodName, citizen, &petitionsv1.DecideAdmissibilityRequest{Name: "communes/" + home + "/petitions/p"}, codes.PermissionDenied},
		{petitionsv1.PetitionService_DecideAdmissibility_FullMethodName, nil, &petitionsv1.DecideAdmissibilityRequest{Name: "communes/" + home + "/petitions/p"}, codes.Unauthenticated},
		{petitionsv1.PetitionService_GetPetition_FullMethodName, nil, &petitionsv1.GetPetitionRequest{Name: "communes/" + other + "/petitions/p"}, codes.OK},
		{territoryv1.TerritoryService_RecordPopulation_FullMethodName, staff, &territoryv1.RecordPopulationRequest{Name: "communes/" + home}, codes.PermissionDenied},
		{territoryv1.TerritoryService_RegisterCouncil_FullMethodName, &Principal{Subject: "root", Role: RoleAdmin}, &territoryv1.RegisterCouncilRequest{}, codes.OK},
		{statusv1.StatusService_ListCouncilStatuses_FullMethodName, nil, &statusv1.ListCouncilStatusesRequest{}, codes.OK},
	} {
		err := policy.Check(tc.method, tc.caller, tc.req)
		if got := status.Code(err); got != tc.want {
			t.Errorf("Check(%s, %+v, %v) = %v, want %v", shortMethod(tc.method), tc.caller, tc.req, err, tc.want)
		}
		checkReason(t, err)
	}
}

func TestCheckUnknownMethod(t *testing.T) {
	for _, c := range []*Principal{nil, {Subject: "root", Role: RoleAdmin}} {
		err := DefaultPolicy().Check("/tasharuk.petitions.v1.PetitionService/DissolveCouncil", c, nil)
		if status.Code(err) != codes.PermissionDenied || status.Convert(err).Message() != "method not in the authorization table" {
			t.Errorf("caller %+v: Check = %v", c, err)
		}
		checkReason(t, err)
	}
}

func TestCheckNamesTheNeededRole(t *testing.T) {
	err := DefaultPolicy().Check(territoryv1.TerritoryService_RegisterCouncil_FullMethodName, &Principal{Subject: "c", Role: RoleCitizen}, nil)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "needs role admin") {
		t.Errorf("message %q does not name the role needed", msg)
	}
}

func TestParseCouncil(t *testing.T) {
	for _, tc := range []struct{ name, resource, code string }{
		{"communes/50910101", "communes/50910101", "50910101"},
		{"communes/50910101/petitions/p-1", "communes/50910101", "50910101"},
		{"communes/50910101/status", "communes/50910101", "50910101"},
		{"provinces/091", "provinces/091", "091"},
		{"regions/05/petitions/x", "regions/05", "05"},
		{"", "", ""},
		{"communes", "", ""},
		{"communes/", "", ""},
		{"communes//petitions/x", "", ""},
		{"petitions/50910101", "", ""},
		{"Communes/50910101", "", ""},
	} {
		resource, code, ok := parseCouncil(tc.name)
		if resource != tc.resource || code != tc.code || ok != (tc.code != "") {
			t.Errorf("parseCouncil(%q) = %q, %q, %v; want %q, %q", tc.name, resource, code, ok, tc.resource, tc.code)
		}
	}
}

func TestDefaultPolicyIsFresh(t *testing.T) {
	a := DefaultPolicy()
	a[petitionsv1.PetitionService_SignPetition_FullMethodName].Roles[0] = RoleAuditor
	delete(a, petitionsv1.PetitionService_GetPetition_FullMethodName)
	b := DefaultPolicy()
	if b[petitionsv1.PetitionService_SignPetition_FullMethodName].Roles[0] != RoleCitizen || !b[petitionsv1.PetitionService_GetPetition_FullMethodName].Public {
		t.Error("editing one DefaultPolicy changed the next")
	}
	if a[petitionsv1.PetitionService_OpenPetitionForSignatures_FullMethodName].Roles[0] != RoleCitizen {
		t.Error("rows of one table share their Roles")
	}
}

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/tasharuk/tasharuk/access"
	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	programmeseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// The property test of the authorization table (DESIGN.md "Authorization:
// by resource, in one place"): every council-scoped RPC of the table is
// tried with council B's resource addressed under council A's name, with
// B's resource under its code at another level ("provinces/{B's code}"),
// with B's resource under B's own name and A's council-bound tokens, and
// with every role the row does not name. The cases are keyed by method; a
// scoped method of the table without a case fails the test, so a new RPC
// cannot ship untried.

// councilFixture is one council's real resources, made through the API.
type councilFixture struct {
	council string // "communes/50910101"
	code    string
	tag     string // national id prefix of its signers
	// tokens of the council's clerk and its body's secretary.
	staff, advisory string

	petition string // petition id
	signers  [][2]string
	sigRefs  []string

	body       string // body name
	members    []string
	meeting    string
	opinion    string // opinion id
	cBody      string // consultation id, addressed to the body
	cPub       string // consultation id, public, action programme
	survey     string // survey name
	workshopID string

	info        string // token of the council's designated official (law 31-13)
	infoRequest string // a request for information's resource name
}

type authzFixture struct {
	e              *env
	a, b           *councilFixture
	citizen, admin string
	audit          auditv1.AuditServiceClient
	// secrets is the personal data the fixture used: no answer may show it.
	secrets []string
}

// authzCase builds the request of one scoped method acting on council B's
// resource, addressed under the council prefix `under`: A's prefix for the
// cross-council name, B's own for the scope check and the role check.
type authzCase struct {
	build func(f *authzFixture, under string) proto.Message
	// creates: the request creates a resource; reusing B's id under A's
	// name may also be refused as ALREADY_EXISTS.
	creates bool
	// parentOnly: the request names only a council and carries no id of
	// B's (server-chosen ids): under A's name it is A's own legitimate
	// act, so only B's name with A's tokens and the role check are tried.
	parentOnly bool
}

const bodyKind = "/advisoryBodies/equity-gender"

func (f *authzFixture) petitionName(under string) string { return under + "/petitions/" + f.b.petition }
func (f *authzFixture) opinionName(under string) string {
	return under + bodyKind + "/opinions/" + f.b.opinion
}

// authzCases has one case per council-scoped method of the table.
func authzCases() map[string]authzCase {
	p := func(build func(f *authzFixture, name string) proto.Message) authzCase {
		return authzCase{build: func(f *authzFixture, under string) proto.Message { return build(f, f.petitionName(under)) }}
	}
	newSigner := func(f *authzFixture) (string, string) { return signer(f.b.tag, 90) }
	return map[string]authzCase{
		// Petitions.
		petitionsv1.PetitionService_CreatePetition_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &petitionsv1.CreatePetitionRequest{Parent: under, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
				Title: "Éclairage public", Request: "Installer l'éclairage.", Reasons: "La rue est sombre.", RequestId: f.b.petition}
		}},
		petitionsv1.PetitionService_OpenPetitionForSignatures_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.OpenPetitionForSignaturesRequest{Name: n}
		}),
		petitionsv1.PetitionService_ModeratePetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.ModeratePetitionRequest{Name: n, Clear: true}
		}),
		petitionsv1.PetitionService_AmendPetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.AmendPetitionRequest{Name: n, Title: "Titre", Request: "Demande", Reasons: "Motifs"}
		}),
		petitionsv1.PetitionService_AttachDocument_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.AttachDocumentRequest{Name: n, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER, FileName: "note.txt", Content: []byte("une note")}
		}),
		petitionsv1.PetitionService_GetDocument_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.GetDocumentRequest{Name: n + "/documents/" + f.b.petition}
		}),
		petitionsv1.PetitionService_SignPetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			id, full := newSigner(f)
			return &petitionsv1.SignPetitionRequest{Name: n, NationalId: id, FullName: full}
		}),
		petitionsv1.PetitionService_CheckSignature_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			// The caller's own signature: no ID number is taken (issue 16).
			return &petitionsv1.CheckSignatureRequest{Name: n}
		}),
		petitionsv1.PetitionService_WithdrawSignature_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.WithdrawSignatureRequest{Name: n, Reason: "erreur"}
		}),
		petitionsv1.PetitionService_WithdrawPetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.WithdrawPetitionRequest{Name: n, Reason: "retrait"}
		}),
		petitionsv1.PetitionService_DepositPetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.DepositPetitionRequest{Name: n, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER}
		}),
		petitionsv1.PetitionService_StrikeSignature_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.StrikeSignatureRequest{Name: n, SignatureRef: f.b.sigRefs[2], Reason: "doublon"}
		}),
		petitionsv1.PetitionService_ImportSignatures_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			id, full := newSigner(f)
			return &petitionsv1.ImportSignaturesRequest{Name: n, Csv: []byte("national_id,full_name\n" + id + "," + full + "\n")}
		}),
		petitionsv1.PetitionService_ReferPetitionToBureau_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.ReferPetitionToBureauRequest{Name: n}
		}),
		petitionsv1.PetitionService_DecideAdmissibility_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.DecideAdmissibilityRequest{Name: n, Admissibility: petitionseventsv1.Admissibility_ADMISSIBILITY_ADMISSIBLE, Checklist: fullChecklist()}
		}),
		petitionsv1.PetitionService_SchedulePetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.SchedulePetitionRequest{Name: n}
		}),
		petitionsv1.PetitionService_ReferPetitionToCommittee_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.ReferPetitionToCommitteeRequest{Name: n, Committee: "commission des services publics"}
		}),
		petitionsv1.PetitionService_RecordCommitteeReport_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.RecordCommitteeReportRequest{Name: n, Summary: "rapport"}
		}),
		petitionsv1.PetitionService_RecordDeliberation_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.RecordDeliberationRequest{Name: n, Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "approuvé", Reference: "délibération 1/2026"}
		}),
		petitionsv1.PetitionService_NotifyAgent_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.NotifyAgentRequest{Name: n, Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "courrier", Reference: "lettre 1"}
		}),
		petitionsv1.PetitionService_ClosePetition_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.ClosePetitionRequest{Name: n, Note: "clos"}
		}),
		petitionsv1.PetitionService_CorrectPetitionRecord_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.CorrectPetitionRecordRequest{Name: n, CorrectedEventId: "0193c4b2-0000-7000-8000-000000000001", Field: "title", Value: "x", Reason: "coquille"}
		}),
		petitionsv1.PetitionService_ListSignatures_FullMethodName: p(func(f *authzFixture, n string) proto.Message {
			return &petitionsv1.ListSignaturesRequest{Name: n}
		}),

		// Advisory bodies. A body's id is its kind, so B's body under A's
		// name is A's own body: the requests carry B's member, meeting and
		// opinion ids, which must not resolve in A's body.
		advisoryv1.AdvisoryService_CreateBody_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.CreateBodyRequest{Parent: under, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER, DisplayName: "Instance IEECAG",
				DecisionDate: "2026-03-12", DecisionReference: "délibération " + f.b.code}
		}},
		advisoryv1.AdvisoryService_AddMember_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.AddMemberRequest{Name: under + bodyKind, Replaces: f.b.members[1], Member: &advisoryeventsv1.Member{MemberId: f.b.tag + "-new",
				Sex: advisoryeventsv1.Sex_SEX_FEMALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_YOUTH}}
		}},
		advisoryv1.AdvisoryService_RemoveMember_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.RemoveMemberRequest{Name: under + bodyKind, MemberId: f.b.members[2], Reason: "démission"}
		}},
		advisoryv1.AdvisoryService_AssignBureauRole_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.AssignBureauRoleRequest{Name: under + bodyKind, MemberId: f.b.members[0], Role: advisoryeventsv1.BureauRole_BUREAU_ROLE_PRESIDENT}
		}},
		advisoryv1.AdvisoryService_RecordMeeting_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.RecordMeetingRequest{Name: under + bodyKind, MeetingId: f.b.tag + "-s9", Attendees: f.b.members}
		}},
		advisoryv1.AdvisoryService_CreateOpinion_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.CreateOpinionRequest{Parent: under + bodyKind, Title: "Avis", Text: "Texte de l'avis.", Consultation: under + "/consultations/" + f.b.cBody}
		}},
		advisoryv1.AdvisoryService_AdoptOpinion_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.AdoptOpinionRequest{Name: f.opinionName(under), MeetingId: f.b.meeting, VotesFor: 2, VotesAgainst: 1}
		}},
		advisoryv1.AdvisoryService_TransmitOpinion_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.TransmitOpinionRequest{Name: f.opinionName(under)}
		}},
		advisoryv1.AdvisoryService_RespondToOpinion_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &advisoryv1.RespondToOpinionRequest{Name: f.opinionName(under), Response: advisoryeventsv1.CouncilResponse_COUNCIL_RESPONSE_PARTLY, Reasons: "en partie"}
		}},

		// Consultations, workshops, phases and surveys.
		consultationsv1.ConsultationService_CreateConsultation_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.CreateConsultationRequest{Parent: under, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
				SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION, SubjectRef: f.petitionName(under), Title: "Avis sur la pétition", Deadline: "2026-12-20"}
		}},
		consultationsv1.ConsultationService_AcknowledgeConsultation_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.AcknowledgeConsultationRequest{Name: under + "/consultations/" + f.b.cBody}
		}},
		consultationsv1.ConsultationService_RecordWorkshop_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.RecordWorkshopRequest{Name: under + "/consultations/" + f.b.cPub, Workshop: &consultationseventsv1.WorkshopHeld{
				WorkshopId: f.b.workshopID + "x", Date: "2026-11-01", Place: "salle", Theme: "voirie", Participants: 10, Women: 4, Youth: 3}}
		}},
		consultationsv1.ConsultationService_CompletePhase_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.CompletePhaseRequest{Name: under + "/consultations/" + f.b.cPub, Phase: consultationseventsv1.Phase_PHASE_DIAGNOSIS}
		}},
		consultationsv1.ConsultationService_AnswerConsultation_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.AnswerConsultationRequest{Name: under + "/consultations/" + f.b.cBody, Opinion: f.opinionName(under)}
		}},
		consultationsv1.ConsultationService_WithdrawConsultation_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.WithdrawConsultationRequest{Name: under + "/consultations/" + f.b.cBody, Reason: "retrait"}
		}},
		consultationsv1.ConsultationService_RecordSurvey_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &consultationsv1.RecordSurveyRequest{Parent: under, Service: "état civil", Period: "2026", ScoreCounts: []int32{1, 2, 3, 4, 5}}
		}},

		// Access to information (law 31-13).
		informationv1.InformationService_CreateInformationRequest_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.CreateInformationRequestRequest{Parent: under, RequestId: f.b.infoRequestID(), Channel: ieventsv1.RequestChannel_REQUEST_CHANNEL_PAPER,
				RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterName: "Secretname Requester", RequesterContact: "secret@example.ma", Subject: "Budget"}
		}},
		informationv1.InformationService_GetInformationRequest_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.GetInformationRequestRequest{Name: f.infoName(under)}
		}},
		informationv1.InformationService_ListInformationRequests_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.ListInformationRequestsRequest{Parent: under}
		}},
		informationv1.InformationService_ExtendInformationRequest_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.ExtendInformationRequestRequest{Name: f.infoName(under), Reasons: "Les archives sont aux services provinciaux"}
		}},
		informationv1.InformationService_AnswerInformationRequest_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.AnswerInformationRequestRequest{Name: f.infoName(under), Kind: ieventsv1.AnswerKind_ANSWER_KIND_FULL, Information: "Le budget."}
		}},
		informationv1.InformationService_RefuseInformationRequest_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.RefuseInformationRequestRequest{Name: f.infoName(under), Exceptions: []ieventsv1.Exception{ieventsv1.Exception_EXCEPTION_PRIVATE_LIFE},
				Reasons: "Données personnelles des agents"}
		}},
		informationv1.InformationService_ComplainInformationRequest_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.ComplainInformationRequestRequest{Name: f.infoName(under), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD, Grounds: "Pas de réponse"}
		}},
		informationv1.InformationService_DecideInformationComplaint_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.DecideInformationComplaintRequest{Name: f.infoName(under), Level: ieventsv1.ComplaintLevel_COMPLAINT_LEVEL_HEAD,
				Outcome: ieventsv1.ComplaintOutcome_COMPLAINT_OUTCOME_UPHELD, Reasons: "Décision 1"}
		}},
		informationv1.InformationService_RevealRequester_FullMethodName: {build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.RevealRequesterRequest{Name: f.infoName(under), Purpose: "envoyer la réponse"}
		}},
		informationv1.InformationService_RecordPublication_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &informationv1.RecordPublicationRequest{Parent: under, Publication: &informationv1.Publication{Category: ieventsv1.PublicationCategory_PUBLICATION_CATEGORY_BUDGET,
				Title: "Budget 2026", PublishedOn: "2026-11-01", Url: "https://commune.example.ma/budget.pdf"}}
		}},
		// Action programmes: a programme is named by its mandate's year,
		// which every commune shares, so under A's name it is A's own
		// programme (parentOnly); B's is tried by A's clerk and under
		// another level's prefix.
		programmesv1.ProgrammeService_CreateProgramme_FullMethodName: {creates: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.CreateProgrammeRequest{Parent: under, MandateStart: "2021-09-20", Consultation: under + "/consultations/" + f.b.cPub, TitleFr: "PAC"}
		}},
		programmesv1.ProgrammeService_AddProject_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.AddProjectRequest{Name: under + "/programmes/2021", Project: pacProject("authz-p", 9, 1, 2022)}
		}},
		programmesv1.ProgrammeService_AdoptProgramme_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.AdoptProgrammeRequest{Name: under + "/programmes/2021", Deliberation: &programmeseventsv1.Deliberation{Session: "s", Date: "2022-02-08", VotesFor: 3}}
		}},
		programmesv1.ProgrammeService_UpdateProgramme_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.UpdateProgrammeRequest{Name: under + "/programmes/2021", Deliberation: &programmeseventsv1.Deliberation{Session: "s", Date: "2026-10-01", VotesFor: 3},
				Summary: "retrait", Reasons: "essai", Removed: []string{"pac-1"}}
		}},
		programmesv1.ProgrammeService_RecordProgress_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.RecordProgressRequest{Name: under + "/programmes/2021", ProjectId: "pac-1", Date: "2026-10-01", Percent: 50,
				Status: programmeseventsv1.ProjectStatus_PROJECT_STATUS_UNDER_WAY}
		}},
		programmesv1.ProgrammeService_EvaluateYear_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.EvaluateYearRequest{Name: under + "/programmes/2021", Year: 2025, Assessment: "bilan"}
		}},
		programmesv1.ProgrammeService_ImportSurveyForms_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			return &programmesv1.ImportSurveyFormsRequest{Parent: under, Period: "2026", Format: "tasharuk", Csv: "form,area,sex,age_band,disability,water\n1,A,female,18_34,no,4\n"}
		}},
		// Rulebooks: a council's internal rules name only the council.
		territoryv1.TerritoryService_SetCouncilRules_FullMethodName: {parentOnly: true, build: func(f *authzFixture, under string) proto.Message {
			margin := int32(12)
			return &territoryv1.SetCouncilRulesRequest{Name: under + "/rulebook", InternalRulesReference: "délibération d'essai", EffectiveDate: "2027-01-01", SessionMarginDays: &margin}
		}},
	}
}

// infoName is B's request for information addressed under the council
// prefix under.
func (f *authzFixture) infoName(under string) string {
	return under + "/informationRequests/" + f.b.infoRequestID()
}

func (c *councilFixture) infoRequestID() string {
	return c.infoRequest[strings.LastIndex(c.infoRequest, "/")+1:]
}

// globalCases has one request per non-public method that is not scoped
// (the admins' acts on the territory), for the role check.
func globalCases() map[string]func(f *authzFixture) proto.Message {
	return map[string]func(f *authzFixture) proto.Message{
		territoryv1.TerritoryService_RegisterCouncil_FullMethodName: func(f *authzFixture) proto.Message {
			return &territoryv1.RegisterCouncilRequest{Council: &territoryv1.Council{Code: "50910199", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE,
				NameFr: "Commune d'essai", NameAr: "جماعة", Parent: "provinces/beni-mellal", Population: 1000, CensusYear: 2024}}
		},
		territoryv1.TerritoryService_RecordPopulation_FullMethodName: func(f *authzFixture) proto.Message {
			return &territoryv1.RecordPopulationRequest{Name: f.b.council, Population: 1, CensusYear: 2025, Source: "essai"}
		},
		informationv1.InformationService_CorrectHoliday_FullMethodName: func(f *authzFixture) proto.Message {
			return &informationv1.CorrectHolidayRequest{Year: 2026, Holiday: "mawlid-1", Date: "2026-08-25", Reference: "communiqué"}
		},
		// Only admins grant roles: a clerk granting themself admin is the
		// attack.
		identityv1.IdentityService_GrantRole_FullMethodName: func(f *authzFixture) proto.Message {
			return &identityv1.GrantRoleRequest{Account: &identityv1.Account{Subject: "prop-staff-" + f.b.code}, Role: "admin"}
		},
		identityv1.IdentityService_RevokeRole_FullMethodName: func(f *authzFixture) proto.Message {
			return &identityv1.RevokeRoleRequest{Account: &identityv1.Account{Subject: "admin-1"}, Role: "admin"}
		},
		notificationsv1.NotificationService_ListDeadLetters_FullMethodName: func(*authzFixture) proto.Message {
			return &notificationsv1.ListDeadLettersRequest{}
		},
		notificationsv1.NotificationService_ResendDeadLetter_FullMethodName: func(*authzFixture) proto.Message {
			return &notificationsv1.ResendDeadLetterRequest{Name: "deadLetters/0123456789abcdef0123456789abcdef01234567"}
		},
		territoryv1.TerritoryService_AmendRulebook_FullMethodName: func(f *authzFixture) proto.Message {
			months := int32(4)
			return &territoryv1.AmendRulebookRequest{Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, LegalReference: "loi d'essai",
				EffectiveDate: "2027-01-01", Values: &territoryeventsv1.RulebookValues{DecisionDeadlineMonths: &months}}
		},
	}
}

// buildCouncil makes a council's petition with signatures, body with
// members, meeting and opinion, consultations with a workshop, and survey.
func buildCouncil(t *testing.T, e *env, code, tag, citizen string) *councilFixture {
	t.Helper()
	c := &councilFixture{council: "communes/" + code, code: code, tag: tag,
		staff: e.token(access.RoleStaff, code, "clerk-"+tag), advisory: e.token(access.RoleAdvisory, code, "secretary-"+tag)}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture %s: %s: %v", code, what, err)
		}
	}
	agent := e.token(access.RoleCitizen, "", "agent-"+tag)
	cp, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: c.council, Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Bibliothèque " + tag, Request: "Créer une bibliothèque.", Reasons: "Les élèves n'ont aucun lieu pour étudier."})
	must("create petition", err)
	name := cp.GetPetition().GetName()
	c.petition = name[strings.LastIndex(name, "/")+1:]
	_, err = e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name})
	must("open petition", err)
	cleared(t, e, nil, name)
	for i := range 3 {
		id, full := signer(tag, i)
		s, err := e.petitions.SignPetition(as(e.signerToken(id)), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
		must("sign", err)
		c.signers = append(c.signers, [2]string{id, full})
		c.sigRefs = append(c.sigRefs, s.GetSignatureRef())
	}

	adv := advisoryv1.NewAdvisoryServiceClient(e.conn)
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	b, err := adv.CreateBody(as(c.staff), &advisoryv1.CreateBodyRequest{Parent: c.council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		DisplayName: "Instance IEECAG " + tag, DecisionDate: "2026-03-12", DecisionReference: "délibération 14/2026"})
	must("create body", err)
	c.body = b.GetBody().GetName()
	for i := range 3 {
		id := fmt.Sprintf("%s-m%d", tag, i+1)
		_, err := adv.AddMember(as(c.advisory), &advisoryv1.AddMemberRequest{Name: c.body, Member: &advisoryeventsv1.Member{MemberId: id,
			Sex: advisoryeventsv1.Sex(1 + i%2), AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT}})
		must("add member", err)
		c.members = append(c.members, id)
	}
	c.meeting = tag + "-s1"
	_, err = adv.RecordMeeting(as(c.advisory), &advisoryv1.RecordMeetingRequest{Name: c.body, MeetingId: c.meeting, Attendees: c.members})
	must("meeting", err)
	cb, err := con.CreateConsultation(as(c.staff), &consultationsv1.CreateConsultationRequest{Parent: c.council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
		Body: c.body, SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET, Title: "Budget 2027", Deadline: "2026-12-15"})
	must("consult the body", err)
	c.cBody = strings.TrimPrefix(cb.GetConsultation().GetName(), c.council+"/consultations/")
	op, err := adv.CreateOpinion(as(c.advisory), &advisoryv1.CreateOpinionRequest{Parent: c.body, Title: "Avis sur le budget", Consultation: cb.GetConsultation().GetName(), Text: "Texte."})
	must("draft opinion", err)
	c.opinion = strings.TrimPrefix(op.GetOpinion().GetName(), c.body+"/opinions/")
	_, err = adv.AdoptOpinion(as(c.advisory), &advisoryv1.AdoptOpinionRequest{Name: op.GetOpinion().GetName(), MeetingId: c.meeting, VotesFor: 2, VotesAgainst: 1})
	must("adopt", err)
	_, err = adv.TransmitOpinion(as(c.advisory), &advisoryv1.TransmitOpinionRequest{Name: op.GetOpinion().GetName()})
	must("transmit", err)
	cpub, err := con.CreateConsultation(as(c.staff), &consultationsv1.CreateConsultationRequest{Parent: c.council, Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
		SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_ACTION_PROGRAMME, Title: "Diagnostic du PAC", Deadline: "2026-12-31"})
	must("public consultation", err)
	c.cPub = strings.TrimPrefix(cpub.GetConsultation().GetName(), c.council+"/consultations/")
	prg := programmesv1.NewProgrammeServiceClient(e.conn)
	_, err = prg.CreateProgramme(as(c.staff), &programmesv1.CreateProgrammeRequest{Parent: c.council, MandateStart: "2021-09-20",
		Consultation: cpub.GetConsultation().GetName(), TitleFr: "PAC " + tag})
	must("programme", err)
	_, err = prg.AddProject(as(c.staff), &programmesv1.AddProjectRequest{Name: c.council + "/programmes/2021", Project: pacProject("pac-1", 1, 100, 2022)})
	must("project", err)
	_, err = prg.AdoptProgramme(as(c.staff), &programmesv1.AdoptProgrammeRequest{Name: c.council + "/programmes/2021",
		Deliberation: &programmeseventsv1.Deliberation{Session: "février 2022", Date: "2022-02-08", VotesFor: 10, VotesAgainst: 1}})
	must("adopt programme", err)
	_, err = con.CompletePhase(as(c.staff), &consultationsv1.CompletePhaseRequest{Name: cpub.GetConsultation().GetName(), Phase: consultationseventsv1.Phase_PHASE_LAUNCH})
	must("launch", err)
	c.workshopID = tag + "-w1"
	_, err = con.RecordWorkshop(as(c.staff), &consultationsv1.RecordWorkshopRequest{Name: cpub.GetConsultation().GetName(), Workshop: &consultationseventsv1.WorkshopHeld{
		WorkshopId: c.workshopID, Date: "2026-11-01", Place: "maison des jeunes", Theme: "eau", Participants: 20, Women: 8, Youth: 5, Disability: 1, Contributions: 3}})
	must("workshop", err)
	sv, err := con.RecordSurvey(as(c.staff), &consultationsv1.RecordSurveyRequest{Parent: c.council, Service: "état civil", Period: "2026", ScoreCounts: []int32{1, 2, 3, 4, 5}})
	must("survey", err)
	c.survey = sv.GetName()
	c.info = e.token(access.RoleInformation, code, "information-officer-"+tag)
	ir, err := informationv1.NewInformationServiceClient(e.conn).CreateInformationRequest(as(citizen), &informationv1.CreateInformationRequestRequest{Parent: c.council,
		RequesterKind: ieventsv1.RequesterKind_REQUESTER_KIND_PERSON, RequesterName: "Secretname Requester " + tag, RequesterContact: "secret-" + tag + "@example.ma",
		Subject: "Le budget " + tag})
	must("request for information", err)
	c.infoRequest = ir.GetInformationRequest().GetName()
	return c
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	f := &authzFixture{e: e, citizen: e.token(access.RoleCitizen, "", "citizen-rachid"), admin: e.token(access.RoleAdmin, "", "admin-1"),
		audit: auditv1.NewAuditServiceClient(e.conn)}
	f.a = buildCouncil(t, e, "50910101", "BM", f.citizen)
	f.b = buildCouncil(t, e, "50910113", "ZC", f.citizen)
	for _, c := range []*councilFixture{f.a, f.b} {
		for _, s := range c.signers {
			f.secrets = append(f.secrets, s[0], s[1])
		}
		id, full := signer(c.tag, 90)
		f.secrets = append(f.secrets, id, full)
	}
	f.secrets = append(f.secrets, "Secretname", "secret-BM@", "secret-ZC@")
	return f
}

// invoke calls method with req over the real gRPC connection, with tok.
func (f *authzFixture) invoke(t *testing.T, method, tok string, req proto.Message) (proto.Message, error) {
	t.Helper()
	svc, m := method[1:strings.LastIndex(method, "/")], method[strings.LastIndex(method, "/")+1:]
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		t.Fatalf("%s: service not registered: %v", method, err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(m))
	if md == nil {
		t.Fatalf("%s: no such method", method)
	}
	if got := req.ProtoReflect().Descriptor().FullName(); got != md.Input().FullName() {
		t.Fatalf("%s: the case builds a %s, the method takes a %s", method, got, md.Input().FullName())
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	out := mt.New().Interface()
	ctx, cancel := context.WithTimeout(as(tok), 20*time.Second)
	defer cancel()
	err = f.e.conn.Invoke(ctx, method, req, out)
	return out, err
}

// logUnchanged fails unless the log holds no event after before, other
// than the signed checkpoints the service records on its own.
func (f *authzFixture) logUnchanged(t *testing.T, what string, before uint64) {
	t.Helper()
	after := f.e.head()
	if after == before {
		return
	}
	cps, err := f.audit.ListCheckpoints(context.Background(), &auditv1.ListCheckpointsRequest{MinPosition: after})
	if err != nil {
		t.Fatal(err)
	}
	own := map[uint64]bool{}
	for _, c := range cps.GetCheckpoints() {
		own[c.GetPosition()] = true
	}
	for p := before + 1; p <= after; p++ {
		if !own[p] {
			t.Errorf("%s: the log moved from %d to %d (position %d is not a checkpoint)", what, before, after, p)
			return
		}
	}
}

// refused calls method and checks that it is refused with one of codes,
// writes nothing and shows no personal data.
func (f *authzFixture) refused(t *testing.T, what, method, tok string, req proto.Message, want ...codes.Code) {
	t.Helper()
	before := f.e.head()
	out, err := f.invoke(t, method, tok, req)
	answer := ""
	if err != nil {
		answer = err.Error()
	} else {
		b, _ := protojson.Marshal(out)
		answer = string(b)
	}
	if code, why := reason(err); err == nil || !slices.Contains(want, code) {
		t.Errorf("%s: got %v %s (%s), want one of %v", what, code, why, truncate(answer), want)
	}
	for _, s := range f.secrets {
		if strings.Contains(answer, s) {
			t.Errorf("%s: the answer shows personal data %q: %s", what, s, truncate(answer))
			break
		}
	}
	f.logUnchanged(t, what, before)
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// roleToken returns a token of role, bound to council code where the role
// is council-bound.
func (f *authzFixture) roleToken(role access.Role, code string) string {
	if role.CouncilBound() {
		return f.e.token(role, code, "prop-"+string(role)+"-"+code)
	}
	return f.e.token(role, "", "prop-"+string(role))
}

// servedMethods lists the methods of every service the running server
// serves, asked through its reflection service.
func servedMethods(t *testing.T, e *env) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := reflectionv1.NewServerReflectionClient(e.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{ListServices: "*"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var out []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.GetName()))
		if err != nil {
			t.Fatalf("served service %s: %v", svc.GetName(), err)
		}
		ms := d.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < ms.Len(); i++ {
			out = append(out, "/"+svc.GetName()+"/"+string(ms.Get(i).Name()))
		}
	}
	if len(out) < 40 {
		t.Fatalf("the server lists only %d methods: %v", len(out), out)
	}
	return out
}

// TestAuthzProperty is the property test of the authorization table.
func TestAuthzProperty(t *testing.T) {
	policy := access.DefaultPolicy()
	cases, globals := authzCases(), globalCases()

	// Every scoped method of the table has a case, every other non-public
	// method a global one, and no case is left for a method the table
	// does not have (or no longer scopes).
	for _, m := range policy.Methods() {
		rule := policy[m]
		switch {
		case rule.Public:
		case rule.Scoped:
			if _, ok := cases[m]; !ok {
				t.Errorf("scoped method %s has no case in authzCases: add one that acts on council B's resource", m)
			}
		default:
			if _, ok := globals[m]; !ok {
				t.Errorf("non-public method %s has no case in globalCases", m)
			}
		}
	}
	for m := range cases {
		if rule, ok := policy[m]; !ok || !rule.Scoped || rule.Public {
			t.Errorf("authzCases has %s, which is not a scoped row of the table", m)
		}
	}
	for m := range globals {
		if rule, ok := policy[m]; !ok || rule.Scoped || rule.Public {
			t.Errorf("globalCases has %s, which is not a global, non-public row of the table", m)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	f := newAuthzFixture(t)
	// Every method the running server serves has a row: the table, and so
	// this test, sees every RPC.
	for _, m := range servedMethods(t, f.e) {
		if _, ok := policy[m]; !ok {
			t.Errorf("the server serves %s, which has no row in the authorization table", m)
		}
	}
	tokensA := map[access.Role]string{access.RoleStaff: f.a.staff, access.RoleAdvisory: f.a.advisory, access.RoleCitizen: f.citizen, access.RoleAdmin: f.admin, access.RoleInformation: f.a.info,
		access.RoleModerator: f.roleToken(access.RoleModerator, f.a.code)}
	tokensB := map[access.Role]string{access.RoleStaff: f.b.staff, access.RoleAdvisory: f.b.advisory, access.RoleCitizen: f.citizen, access.RoleAdmin: f.admin, access.RoleInformation: f.b.info,
		access.RoleModerator: f.roleToken(access.RoleModerator, f.b.code)}
	otherLevel := "provinces/" + f.b.code
	for _, m := range policy.Methods() {
		rule := policy[m]
		if rule.Public {
			continue
		}
		short := m[strings.LastIndex(m, "/")+1:]
		t.Run(short, func(t *testing.T) {
			var own proto.Message // B's resource under B's name
			if rule.Scoped {
				c := cases[m]
				own = c.build(f, f.b.council)
				// (a) B's resource under A's name, by every role of the row:
				// not found (or refused), whatever the role.
				if !c.parentOnly {
					want := []codes.Code{codes.NotFound, codes.PermissionDenied}
					if c.creates {
						want = append(want, codes.AlreadyExists)
					}
					for _, role := range rule.Roles {
						if tok, ok := tokensA[role]; ok {
							f.refused(t, fmt.Sprintf("%s of B under A's name, by %s", short, role), m, tok, c.build(f, f.a.council), want...)
						}
					}
				}
				// B's resource under its own council's code with another
				// level's prefix ("provinces/50910113"), by B's own roles of
				// the row: the whole name resolves, or nothing does.
				for _, role := range rule.Roles {
					if tok, ok := tokensB[role]; ok {
						f.refused(t, fmt.Sprintf("%s of B under %s, by %s of B", short, otherLevel, role), m, tok, c.build(f, otherLevel), codes.NotFound, codes.PermissionDenied)
					}
				}
				// (a) B's resource under B's name, by A's council-bound
				// roles of the row: the scope check refuses.
				for _, role := range []access.Role{access.RoleStaff, access.RoleAdvisory, access.RoleInformation, access.RoleModerator} {
					if slices.Contains(rule.Roles, role) {
						f.refused(t, fmt.Sprintf("%s of B by %s of A", short, role), m, tokensA[role], own, codes.PermissionDenied)
					}
				}
			} else {
				own = globals[m](f)
			}
			// (b) every role without a row, bound to B's own council, and
			// the anonymous caller.
			for _, role := range access.Roles() {
				if !slices.Contains(rule.Roles, role) {
					f.refused(t, fmt.Sprintf("%s by %s of B (no row)", short, role), m, f.roleToken(role, f.b.code), own, codes.PermissionDenied)
				}
			}
			f.refused(t, short+" anonymously", m, "", own, codes.Unauthenticated)
		})
	}

	// B's resources are as they were: the same signatures, members,
	// opinions and workshops, read by B's own clerk.
	list, err := f.e.petitions.ListSignatures(as(f.b.staff), &petitionsv1.ListSignaturesRequest{Name: f.b.council + "/petitions/" + f.b.petition})
	if err != nil || list.GetTotalSize() != 3 {
		t.Errorf("B's signatures after the attempts: %d (%v), want 3", list.GetTotalSize(), err)
	}
	body, err := advisoryv1.NewAdvisoryServiceClient(f.e.conn).GetBody(context.Background(), &advisoryv1.GetBodyRequest{Name: f.b.body})
	if err != nil || body.GetBody().GetComposition().GetMembers() != 3 || len(body.GetBody().GetOpinions()) != 1 ||
		body.GetBody().GetOpinions()[0].GetState() != advisoryeventsv1.OpinionState_OPINION_STATE_TRANSMITTED {
		t.Errorf("B's body after the attempts: %v (%v)", body.GetBody(), err)
	}
	cons, err := consultationsv1.NewConsultationServiceClient(f.e.conn).GetConsultation(context.Background(), &consultationsv1.GetConsultationRequest{Name: f.b.council + "/consultations/" + f.b.cPub})
	if err != nil || len(cons.GetConsultation().GetWorkshops()) != 1 || len(cons.GetConsultation().GetPhases()) != 1 {
		t.Errorf("B's public consultation after the attempts: %v (%v)", cons.GetConsultation(), err)
	}
}

// TestScopeMechanismsRegressions reproduces the holes of issue 13 in the
// advisory, consultation, audit and territory contexts: a body or a
// consultation read and changed under another level's prefix of its
// council's code, a consultation about another council's petition (or one
// that does not exist), a population recorded for "provinces/{a commune}",
// and retries of a create refused as if they aliased another resource.
func TestScopeMechanismsRegressions(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))
	staff := e.token(access.RoleStaff, "50910101", "clerk-bm")
	secretary := e.token(access.RoleAdvisory, "50910101", "secretary-bm")
	admin := e.token(access.RoleAdmin, "", "admin-1")
	citizen := e.token(access.RoleCitizen, "", "agent-zc")
	adv := advisoryv1.NewAdvisoryServiceClient(e.conn)
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	aud := auditv1.NewAuditServiceClient(e.conn)
	ctx := context.Background()
	const council, alias = "communes/50910101", "provinces/50910101"
	unchanged := func(what string, before uint64) {
		t.Helper()
		if after := e.head(); after != before {
			t.Errorf("%s wrote %d event(s)", what, after-before)
		}
	}

	b, err := adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
		DisplayName: "Instance IEECAG", DecisionDate: "2026-03-12", DecisionReference: "délibération 14/2026"})
	if err != nil {
		t.Fatal(err)
	}
	body := b.GetBody().GetName()
	m1 := &advisoryeventsv1.Member{MemberId: "m01", Sex: advisoryeventsv1.Sex_SEX_FEMALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_YOUTH, Affiliation: "association Amal"}
	if _, err := adv.AddMember(as(secretary), &advisoryv1.AddMemberRequest{Name: body, Member: m1}); err != nil {
		t.Fatal(err)
	}

	t.Run("BodyUnderAnotherLevelIsNotFound", func(t *testing.T) {
		aliasBody := alias + "/advisoryBodies/equity-gender"
		_, err := adv.GetBody(ctx, &advisoryv1.GetBodyRequest{Name: aliasBody})
		wantCode(t, err, codes.NotFound, "BODY_NOT_FOUND")
		before := e.head()
		_, err = adv.AddMember(as(secretary), &advisoryv1.AddMemberRequest{Name: aliasBody, Member: &advisoryeventsv1.Member{MemberId: "m02", Sex: advisoryeventsv1.Sex_SEX_MALE, AgeBand: advisoryeventsv1.AgeBand_AGE_BAND_ADULT}})
		wantCode(t, err, codes.NotFound, "BODY_NOT_FOUND")
		_, err = aud.GetCaseHistory(ctx, &auditv1.GetCaseHistoryRequest{Name: aliasBody})
		wantCode(t, err, codes.NotFound, "CASE_NOT_FOUND")
		unchanged("an act on a body under another level's name", before)
	})

	t.Run("ConsultationUnderAnotherLevelIsNotFound", func(t *testing.T) {
		pub, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_BUREAU,
			SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_OTHER, Title: "Marché couvert", Deadline: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		aliasName := alias + strings.TrimPrefix(pub.GetConsultation().GetName(), council)
		_, err = con.GetConsultation(ctx, &consultationsv1.GetConsultationRequest{Name: aliasName})
		wantCode(t, err, codes.NotFound, "CONSULTATION_NOT_FOUND")
		before := e.head()
		_, err = con.WithdrawConsultation(as(staff), &consultationsv1.WithdrawConsultationRequest{Name: aliasName, Reason: "retrait"})
		wantCode(t, err, codes.NotFound, "CONSULTATION_NOT_FOUND")
		unchanged("an act on a consultation under another level's name", before)
		got, err := con.GetConsultation(ctx, &consultationsv1.GetConsultationRequest{Name: pub.GetConsultation().GetName()})
		if err != nil || got.GetConsultation().GetState() != consultationseventsv1.ConsultationState_CONSULTATION_STATE_REQUESTED {
			t.Fatalf("the consultation after the attempt: %v %v", got.GetConsultation(), err)
		}
	})

	t.Run("ConsultationOnAPetitionResolvesItsName", func(t *testing.T) {
		// A petition of Zaouiat Cheikh (50910113).
		cp, err := e.petitions.CreatePetition(as(citizen), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Piste rurale", Request: "Aménager la piste.", Reasons: "Elle est impraticable l'hiver."})
		if err != nil {
			t.Fatal(err)
		}
		other := cp.GetPetition().GetName()
		id := other[strings.LastIndex(other, "/")+1:]
		before := e.head()
		for _, tc := range []struct {
			ref  string
			code codes.Code
		}{{other, codes.InvalidArgument}, {council + "/petitions/" + id, codes.NotFound}} {
			_, err := con.CreateConsultation(as(staff), &consultationsv1.CreateConsultationRequest{Parent: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
				SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_PETITION, SubjectRef: tc.ref, Title: "Avis", Deadline: "2026-12-20"})
			wantCode(t, err, tc.code, "")
		}
		unchanged("a consultation on another council's petition", before)
	})

	t.Run("PopulationUnderAnotherLevelIsNotFound", func(t *testing.T) {
		before := e.head()
		_, err := e.territory.RecordPopulation(as(admin), &territoryv1.RecordPopulationRequest{Name: alias, Population: 1, CensusYear: 2025, Source: "essai"})
		wantCode(t, err, codes.NotFound, "COUNCIL_NOT_FOUND")
		unchanged("a population recorded under another level's name", before)
	})

	t.Run("RetryOfACreateIsIdempotent", func(t *testing.T) {
		before := e.head()
		r, err := adv.AddMember(as(secretary), &advisoryv1.AddMemberRequest{Name: body, Member: m1})
		if err != nil || r.GetLogPosition() != 0 || r.GetBody().GetComposition().GetMembers() != 1 {
			t.Fatalf("the same member added again: %v (position %d) %v", r.GetBody().GetComposition(), r.GetLogPosition(), err)
		}
		again, err := adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
			DisplayName: "Instance IEECAG", DecisionDate: "2026-03-12", DecisionReference: "délibération 14/2026"})
		if err != nil || again.GetBody().GetName() != body {
			t.Fatalf("the same body set up again: %v %v", again.GetBody().GetName(), err)
		}
		unchanged("retries of creates", before)
		// Another member under the same id is refused: 409 over REST.
		code, resp := e.rest("POST", "/v1/"+body+":addMember", secretary, map[string]any{"member": map[string]any{
			"memberId": "m01", "sex": "SEX_MALE", "ageBand": "AGE_BAND_SENIOR"}}, nil)
		if code != 409 || !strings.Contains(resp, "MEMBER_EXISTS") {
			t.Fatalf("another member under a used id over REST: %d %s", code, resp)
		}
		_, err = adv.CreateBody(as(staff), &advisoryv1.CreateBodyRequest{Parent: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
			DisplayName: "Autre instance", DecisionDate: "2026-04-01", DecisionReference: "délibération 20/2026"})
		wantCode(t, err, codes.AlreadyExists, "BODY_EXISTS")
		unchanged("creates under used ids", before)
	})

	t.Run("SurveyHistoryByFullName", func(t *testing.T) {
		sv, err := con.RecordSurvey(as(staff), &consultationsv1.RecordSurveyRequest{Parent: council, Service: "état civil", Period: "2026", ScoreCounts: []int32{1, 2, 3, 4, 5}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := aud.GetCaseHistory(ctx, &auditv1.GetCaseHistoryRequest{Name: sv.GetName(), MinPosition: sv.GetLogPosition()})
		if err != nil || len(h.GetEntries()) != 1 || h.GetEntries()[0].GetPosition() != sv.GetLogPosition() {
			t.Fatalf("survey history: %v %v", h.GetEntries(), err)
		}
		_, err = aud.GetCaseHistory(ctx, &auditv1.GetCaseHistoryRequest{Name: "communes/50910113" + strings.TrimPrefix(sv.GetName(), council)})
		wantCode(t, err, codes.NotFound, "CASE_NOT_FOUND")
	})
}

package access

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"

	informationv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/v1"
)

// DefaultPolicy returns tasharuk's authorization table, a new map on each
// call.
//
// Reads are public: the point of the tracker is that anyone can follow a
// petition. Acts of the petitioners (create, open for signatures, sign,
// check or withdraw a signature, withdraw the petition) are for citizens,
// on any council, and for staff of the petition's council and admins
// acting for them at the counter. Deposit is done by the agent, online, or
// by the council's staff. The procedure that follows deposit (bureau,
// admissibility, agenda, committee, deliberation, notification, closing,
// corrections) is the council's own, so only its staff record it. The
// territory (councils and their legal population) is kept by admins.
// An advisory body's secretary (role advisory, scoped to the council)
// records the body's facts; the council's staff set bodies up, issue
// consultation requests and record the council's responses.
func DefaultPolicy() Policy {
	// Each row gets its own Roles slice, so editing one row of the
	// returned table never changes another.
	public := Rule{Public: true}
	petitioner := func() Rule { return Rule{Roles: []Role{RoleCitizen, RoleStaff, RoleAdmin}, Scoped: true} }
	depositor := func() Rule { return Rule{Roles: []Role{RoleCitizen, RoleStaff}, Scoped: true} }
	council := func() Rule { return Rule{Roles: []Role{RoleStaff}, Scoped: true} }
	admin := func() Rule { return Rule{Roles: []Role{RoleAdmin}} }
	secretary := func() Rule { return Rule{Roles: []Role{RoleAdvisory}, Scoped: true} }

	return Policy{
		// Infrastructure.
		healthpb.Health_Check_FullMethodName:                                   public,
		healthpb.Health_List_FullMethodName:                                    public,
		healthpb.Health_Watch_FullMethodName:                                   public,
		reflectionv1.ServerReflection_ServerReflectionInfo_FullMethodName:      public,
		reflectionv1alpha.ServerReflection_ServerReflectionInfo_FullMethodName: public,

		// The event log and its audit: public, it holds no personal data
		// in clear, and anyone must be able to check it.
		eventlogv1.EventLogService_GetLogInfo_FullMethodName:    public,
		auditv1.AuditService_GetCaseHistory_FullMethodName:      public,
		auditv1.AuditService_GetPublicKey_FullMethodName:        public,
		auditv1.AuditService_ListCheckpoints_FullMethodName:     public,
		auditv1.AuditService_GetInclusionProof_FullMethodName:   public,
		auditv1.AuditService_GetConsistencyProof_FullMethodName: public,

		// The territory.
		territoryv1.TerritoryService_GetCouncil_FullMethodName:       public,
		territoryv1.TerritoryService_ListCouncils_FullMethodName:     public,
		territoryv1.TerritoryService_RegisterCouncil_FullMethodName:  admin(),
		territoryv1.TerritoryService_RecordPopulation_FullMethodName: admin(),
		// Rulebooks: anyone reads the rules in force; an amendment of a
		// level's rulebook (a law, a decree) is recorded by an admin, a
		// council's internal rules by its staff (or an admin for it).
		territoryv1.TerritoryService_GetRulebook_FullMethodName:     public,
		territoryv1.TerritoryService_AmendRulebook_FullMethodName:   admin(),
		territoryv1.TerritoryService_SetCouncilRules_FullMethodName: Rule{Roles: []Role{RoleStaff, RoleAdmin}, Scoped: true},

		// Council status.
		statusv1.StatusService_GetCouncilStatus_FullMethodName:    public,
		statusv1.StatusService_ListCouncilStatuses_FullMethodName: public,

		// Petitions: reads.
		petitionsv1.PetitionService_GetPetition_FullMethodName:         public,
		petitionsv1.PetitionService_ListPetitions_FullMethodName:       public,
		petitionsv1.PetitionService_GetPetitionTimeline_FullMethodName: public,

		// Petitions: acts of the petitioners.
		petitionsv1.PetitionService_CreatePetition_FullMethodName:            petitioner(),
		petitionsv1.PetitionService_OpenPetitionForSignatures_FullMethodName: petitioner(),
		// The agent amends a draft or a refused petition.
		petitionsv1.PetitionService_AmendPetition_FullMethodName: petitioner(),
		// Supporting documents: the agent or the council's staff attach
		// them; only the council's staff, admins and auditors read them.
		petitionsv1.PetitionService_AttachDocument_FullMethodName:    petitioner(),
		petitionsv1.PetitionService_GetDocument_FullMethodName:       Rule{Roles: []Role{RoleStaff, RoleAdmin, RoleAuditor}, Scoped: true},
		petitionsv1.PetitionService_SignPetition_FullMethodName:      petitioner(),
		petitionsv1.PetitionService_CheckSignature_FullMethodName:    petitioner(),
		petitionsv1.PetitionService_WithdrawSignature_FullMethodName: petitioner(),
		petitionsv1.PetitionService_WithdrawPetition_FullMethodName:  petitioner(),
		petitionsv1.PetitionService_DepositPetition_FullMethodName:   depositor(),

		// Petitions: the council's procedure.
		petitionsv1.PetitionService_StrikeSignature_FullMethodName:          council(),
		petitionsv1.PetitionService_ImportSignatures_FullMethodName:         council(),
		petitionsv1.PetitionService_ReferPetitionToBureau_FullMethodName:    council(),
		petitionsv1.PetitionService_DecideAdmissibility_FullMethodName:      council(),
		petitionsv1.PetitionService_SchedulePetition_FullMethodName:         council(),
		petitionsv1.PetitionService_ReferPetitionToCommittee_FullMethodName: council(),
		petitionsv1.PetitionService_RecordCommitteeReport_FullMethodName:    council(),
		petitionsv1.PetitionService_RecordDeliberation_FullMethodName:       council(),
		petitionsv1.PetitionService_NotifyAgent_FullMethodName:              council(),
		petitionsv1.PetitionService_ClosePetition_FullMethodName:            council(),
		petitionsv1.PetitionService_CorrectPetitionRecord_FullMethodName:    council(),
		// Signers' names: the council's staff only, and every read is
		// recorded in the log.
		petitionsv1.PetitionService_ListSignatures_FullMethodName: council(),
		// Moderation before a petition collects online signatures: the
		// council's staff, or its moderator.
		petitionsv1.PetitionService_ModeratePetition_FullMethodName: Rule{Roles: []Role{RoleStaff, RoleModerator}, Scoped: true},

		// Advisory bodies: reads.
		advisoryv1.AdvisoryService_GetBody_FullMethodName:    public,
		advisoryv1.AdvisoryService_ListBodies_FullMethodName: public,
		advisoryv1.AdvisoryService_GetOpinion_FullMethodName: public,
		// The council sets a body up and responds to its opinions.
		advisoryv1.AdvisoryService_CreateBody_FullMethodName:       council(),
		advisoryv1.AdvisoryService_RespondToOpinion_FullMethodName: council(),
		// The body's secretary records the body's facts.
		advisoryv1.AdvisoryService_AddMember_FullMethodName:        secretary(),
		advisoryv1.AdvisoryService_RemoveMember_FullMethodName:     secretary(),
		advisoryv1.AdvisoryService_AssignBureauRole_FullMethodName: secretary(),
		advisoryv1.AdvisoryService_RecordMeeting_FullMethodName:    secretary(),
		advisoryv1.AdvisoryService_CreateOpinion_FullMethodName:    secretary(),
		advisoryv1.AdvisoryService_AdoptOpinion_FullMethodName:     secretary(),
		advisoryv1.AdvisoryService_TransmitOpinion_FullMethodName:  secretary(),

		// Consultations: reads.
		consultationsv1.ConsultationService_GetConsultation_FullMethodName:   public,
		consultationsv1.ConsultationService_ListConsultations_FullMethodName: public,
		// The council issues, follows, answers and withdraws requests; a
		// body's secretary acknowledges a request addressed to the body.
		consultationsv1.ConsultationService_CreateConsultation_FullMethodName:      council(),
		consultationsv1.ConsultationService_AcknowledgeConsultation_FullMethodName: Rule{Roles: []Role{RoleStaff, RoleAdvisory}, Scoped: true},
		consultationsv1.ConsultationService_RecordWorkshop_FullMethodName:          council(),
		consultationsv1.ConsultationService_CompletePhase_FullMethodName:           council(),
		consultationsv1.ConsultationService_AnswerConsultation_FullMethodName:      Rule{Roles: []Role{RoleStaff, RoleAdvisory}, Scoped: true},
		consultationsv1.ConsultationService_WithdrawConsultation_FullMethodName:    council(),
		consultationsv1.ConsultationService_RecordSurvey_FullMethodName:            council(),

		// Access to information (law 31-13). The council's designated
		// official (art. 12; role information, scoped to the council)
		// registers and handles requests and keeps the publication
		// register; a citizen files a request online and reads, and
		// complains of, their own (the app checks ownership by the keyed
		// requester key). Figures, the register and the working-day
		// calendar are public; the calendar is corrected by admins.
		informationv1.InformationService_CreateInformationRequest_FullMethodName:   Rule{Roles: []Role{RoleCitizen, RoleInformation}, Scoped: true},
		informationv1.InformationService_GetInformationRequest_FullMethodName:      Rule{Roles: []Role{RoleCitizen, RoleInformation}, Scoped: true},
		informationv1.InformationService_ListInformationRequests_FullMethodName:    Rule{Roles: []Role{RoleCitizen, RoleInformation}, Scoped: true},
		informationv1.InformationService_ExtendInformationRequest_FullMethodName:   Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_AnswerInformationRequest_FullMethodName:   Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_RefuseInformationRequest_FullMethodName:   Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_ComplainInformationRequest_FullMethodName: Rule{Roles: []Role{RoleCitizen, RoleInformation}, Scoped: true},
		informationv1.InformationService_DecideInformationComplaint_FullMethodName: Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_RecordPublication_FullMethodName:          Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_RevealRequester_FullMethodName:            Rule{Roles: []Role{RoleInformation}, Scoped: true},
		informationv1.InformationService_GetInformationFigures_FullMethodName:      public,
		informationv1.InformationService_ListPublications_FullMethodName:           public,
		informationv1.InformationService_GetWorkCalendar_FullMethodName:            public,
		informationv1.InformationService_CorrectHoliday_FullMethodName:             admin(),
		// Accounts: admins grant and revoke the roles of staff, advisory
		// members, auditors and admins (citizens need no grant); every
		// grant and revocation is an event in the log.
		identityv1.IdentityService_GrantRole_FullMethodName:  admin(),
		identityv1.IdentityService_RevokeRole_FullMethodName: admin(),
		// Action programmes (PAC): reads and the regional dashboard are
		// public; the commune's staff record the programme, its projects,
		// adoption, updates, progress, evaluations and the survey forms.
		programmesv1.ProgrammeService_GetProgramme_FullMethodName:      public,
		programmesv1.ProgrammeService_ListProgrammes_FullMethodName:    public,
		statusv1.DashboardService_GetRegionalDashboard_FullMethodName:  public,
		programmesv1.ProgrammeService_CreateProgramme_FullMethodName:   council(),
		programmesv1.ProgrammeService_AddProject_FullMethodName:        council(),
		programmesv1.ProgrammeService_AdoptProgramme_FullMethodName:    council(),
		programmesv1.ProgrammeService_UpdateProgramme_FullMethodName:   council(),
		programmesv1.ProgrammeService_RecordProgress_FullMethodName:    council(),
		programmesv1.ProgrammeService_EvaluateYear_FullMethodName:      council(),
		programmesv1.ProgrammeService_ImportSurveyForms_FullMethodName: council(),
		// Notifications: dead letters are the admins' (they name no one,
		// but resending is an act); following by email is open to anyone,
		// each step proved by a link sent to the address.
		notificationsv1.NotificationService_ListDeadLetters_FullMethodName:  admin(),
		notificationsv1.NotificationService_ResendDeadLetter_FullMethodName: admin(),
		notificationsv1.NotificationService_CreateFollow_FullMethodName:     public,
		notificationsv1.NotificationService_ConfirmFollow_FullMethodName:    public,
		notificationsv1.NotificationService_Unsubscribe_FullMethodName:      public,
	}
}

package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// ErrorDomain is the domain of every google.rpc.ErrorInfo tasharuk returns.
const ErrorDomain = "tasharuk.ma"

// Reason is a machine-readable error reason (AIP-193).
type Reason string

// catalogueEntry says how one kind of failure reaches clients.
type catalogueEntry struct {
	Reason Reason
	Code   codes.Code
	// Help tells a clerk or an integrator what to do.
	Help string
}

// Catalogue lists every reason the API returns. It is data: the docs print
// it, and the mapping below is the only place errors become statuses.
var Catalogue = []catalogueEntry{
	{"STORE_UNAVAILABLE", codes.Unavailable, "The event log cannot be reached. Retry later; nothing was recorded unless a position was returned."},
	{"REVISION_CONFLICT", codes.Aborted, "Someone changed the case at the same time. Reload it and try again."},
	{"WRONG_EXPECTED_REVISION", codes.FailedPrecondition, "The case is not at the revision the request expected. Reload it and decide again."},
	{"INVALID_ARGUMENT", codes.InvalidArgument, "A field of the request is missing or malformed; the message names it."},
	{"DUPLICATE_EVENT_ID", codes.AlreadyExists, "This event id was already used for another record."},
	{"INTERNAL", codes.Internal, "An unexpected error. It was logged with the request's correlation id."},
	{"UNAUTHENTICATED", codes.Unauthenticated, "Sign in again: the bearer token is missing, expired or not valid."},
	{"PERMISSION_DENIED", codes.PermissionDenied, "Your role or council does not allow this act."},
	{"RATE_LIMITED", codes.ResourceExhausted, "Too many requests from this account or address: wait a few seconds and retry."},
	{"READ_MODEL_BEHIND", codes.Unavailable, "The read model has not caught up with the position asked for; retry in a moment."},
	{"POSITION_AHEAD_OF_LOG", codes.OutOfRange, "min_position is past the last position of the log: ask for a position a write returned, or leave it out."},
	{"COUNCIL_NOT_FOUND", codes.NotFound, "No such council: check the code (communes use the HCP code)."},
	{"COUNCIL_EXISTS", codes.AlreadyExists, "This council is already registered."},
	{"PETITION_NOT_FOUND", codes.NotFound, "No such petition in this council."},
	{"PETITION_EXISTS", codes.AlreadyExists, "A petition with this id already exists."},
	{"PETITION_ALREADY_EXISTS", codes.AlreadyExists, "The request_id is the id of an existing petition (of this council or another): use a fresh UUID for a new petition; only its own drafter's retry in the same council returns it."},
	{"SIGNATURE_NOT_FOUND", codes.NotFound, "No signature from this person (or with this reference) on this petition."},
	{"SIGNATURE_NOT_VALID", codes.FailedPrecondition, "The signature was already withdrawn or struck out."},
	{"ALREADY_SIGNED", codes.AlreadyExists, "This person has already signed this petition; a person counts once."},
	{"PERSON_ERASED", codes.FailedPrecondition, "This person's data was erased at their request."},
	{"MALFORMED_CSV", codes.InvalidArgument, "The signature sheet is not a well-formed CSV with a national_id,full_name header; nothing was imported."},
	{"WRONG_STATE", codes.FailedPrecondition, "The act does not fit the petition's current state; the message says which state it is in."},
	{"BUREAU_REFERRAL_REQUIRED", codes.FailedPrecondition, "The president refers a deposited petition to the council's bureau before the bureau decides admissibility (law 113-14 art. 125 for communes): record the referral (referToBureau) first."},
	{"NOT_COLLECTING", codes.FailedPrecondition, "The petition does not take signatures in its current state."},
	{"ALREADY_DEPOSITED", codes.FailedPrecondition, "Signatures can only be withdrawn before the petition is deposited."},
	{"ALREADY_NOTIFIED", codes.FailedPrecondition, "The agent was already notified of this decision."},
	{"THRESHOLD_NOT_MET", codes.FailedPrecondition, "Not enough valid signatures for this council (law 113-14 art. 123 for communes): declare it inadmissible with reasons, or wait."},
	{"REGION_PROVINCE_SHARE_NOT_MET", codes.FailedPrecondition, "A region's petition needs 5 % of the required signatures from each of its provinces."},
	{"REASONS_REQUIRED", codes.FailedPrecondition, "An inadmissible decision must give written reasons."},
	{"CHECKLIST_INCOMPLETE", codes.FailedPrecondition, "Every admissibility check must hold for an admissible decision; the message names those that do not."},
	{"EXCLUDED_SUBJECT", codes.FailedPrecondition, "The subject touches the constants of article 1 of the Constitution."},
	{"ASSOCIATION_CONDITIONS_NOT_MET", codes.FailedPrecondition, "The association does not meet the conditions to petition; the message names them."},
	{"AGENT_REQUIRED", codes.FailedPrecondition, "A citizens' petition needs an identified agent."},
	{"NOT_AGENT", codes.PermissionDenied, "Only the petition's agent may do this."},
	{"DEPOSIT_DATE_IN_FUTURE", codes.FailedPrecondition, "A petition cannot have been received in the future."},
	{"NOT_ORDINARY_SESSION", codes.FailedPrecondition, "Petitions go on an ordinary session of the council (communes: February, May, October)."},
	{"COMMITTEE_REPORT_REQUIRED", codes.FailedPrecondition, "Record the standing committee's report before the council deliberates."},
	{"AGENT_NOT_NOTIFIED", codes.FailedPrecondition, "Notify the agent of the decision or outcome before closing the case."},
	// Advisory bodies, consultations and case histories: names resolve in
	// full, so another council's id under this council's name is not found;
	// a client-chosen id already used in its parent is ALREADY_EXISTS,
	// except the same create retried.
	{"BODY_NOT_FOUND", codes.NotFound, "No such advisory body in this council."},
	{"BODY_EXISTS", codes.AlreadyExists, "The council already has a body of this kind, set up by another decision."},
	{"MEMBER_NOT_FOUND", codes.NotFound, "No member with this id in this body."},
	{"MEMBER_EXISTS", codes.AlreadyExists, "This member id is already used in this body (ids are never reused); choose another id."},
	{"MEETING_EXISTS", codes.AlreadyExists, "A meeting with this id but other facts is already recorded in this body; choose another id."},
	{"OPINION_NOT_FOUND", codes.NotFound, "No such opinion in this body."},
	{"OPINION_EXISTS", codes.AlreadyExists, "An opinion with this id already exists in this body."},
	{"CONSULTATION_NOT_FOUND", codes.NotFound, "No such consultation in this council."},
	{"CONSULTATION_EXISTS", codes.AlreadyExists, "A consultation with this id already exists in this council."},
	{"WORKSHOP_EXISTS", codes.AlreadyExists, "A workshop with this id but other facts is already recorded for this consultation; choose another id."},
	{"CASE_NOT_FOUND", codes.NotFound, "No case with this full resource name (petition, body, opinion, consultation or survey)."},
	{"LOG_DAMAGED", codes.Unavailable, "The event log failed its integrity check (see /readyz for the position and reason): nothing is recorded until an operator repairs it. Reads still work."},
	{"READ_ONLY", codes.FailedPrecondition, "The service runs read-only (serve --read-only) so an operator can export the log: it records nothing. Retry the act once it runs normally."},
	// Requests that reach no handler, or that the REST gateway cannot
	// read (issue 14: their bodies had no ErrorInfo), and calls cut short.
	{"NOT_FOUND_ROUTE", codes.NotFound, "No REST route has this path: check it against the API reference (HTTP 404)."},
	{"METHOD_NOT_ALLOWED", codes.Unimplemented, "The path exists but does not take this HTTP method (HTTP 405): check the method against the API reference."},
	{"MALFORMED_REQUEST", codes.InvalidArgument, "The request is not what the route takes: the body is not the request's JSON, or a path or query value has the wrong type; the message says where. Nothing was recorded."},
	{"REQUEST_TOO_LARGE", codes.InvalidArgument, "The request body is over the 8 MB limit (HTTP 413): split a signature sheet into smaller ones. Nothing was recorded."},
	{"DEADLINE_EXCEEDED", codes.DeadlineExceeded, "The call took longer than its deadline (30 s unless the client set one). An act may still have been recorded: read the resource before retrying, or retry with the same request id."},
	{"CANCELLED", codes.Canceled, "The client cancelled the call before it finished."},
	{"UNAVAILABLE", codes.Unavailable, "The service is starting or stopping and cannot answer: retry in a moment."},
	// Reasons the code returned without a row (they reached clients with
	// their fault kind's code, which these rows keep); the contract test
	// (catalogue_contract_test.go) now finds such gaps.
	{"KIND_NOT_ALLOWED", codes.FailedPrecondition, "This council's level does not set up bodies of this kind; the message names the kinds it does (law 113-14 art. 120; law 112-14 art. 111; law 111-14 art. 117)."},
	{"BUREAU_ROLE_TAKEN", codes.FailedPrecondition, "Every office of this kind in the body's bureau is held; the message names the holders. Relieve one first."},
	{"MEMBER_NOT_ACTIVE", codes.FailedPrecondition, "This member left the body; only members in office act."},
	{"MEETING_NOT_FOUND", codes.NotFound, "No meeting with this id in this body: record the meeting first."},
	{"QUORUM_NOT_REACHED", codes.FailedPrecondition, "The meeting lacked its quorum of members in office, so it cannot adopt an opinion."},
	{"VOTES_EXCEED_ATTENDANCE", codes.FailedPrecondition, "More votes than members present at the meeting: only members present vote."},
	{"MAJORITY_NOT_REACHED", codes.FailedPrecondition, "An opinion is adopted with more votes for than against."},
	{"ALREADY_RESPONDED", codes.FailedPrecondition, "The council already responded to this opinion; it responds once."},
	{"CONSULTATION_EXPIRED", codes.FailedPrecondition, "The consultation's deadline has passed unanswered (law 113-14 art. 119); it can only be withdrawn."},
	{"WORKSHOPS_ARE_PUBLIC", codes.FailedPrecondition, "Workshops belong to public consultations; an advisory body answers with an opinion instead."},
	{"PARTICIPANT_COUNTS_INCONSISTENT", codes.FailedPrecondition, "Each count of women, youth and people with disabilities must be between 0 and the number of participants; the message names the wrong ones."},
	{"NOT_AN_ACTION_PROGRAMME", codes.FailedPrecondition, "Only an action-programme consultation has phases."},
	{"PHASE_OUT_OF_ORDER", codes.FailedPrecondition, "The action programme's phases are completed in order (decree 2.16.301); the message names the next one."},
	{"DIAGNOSIS_WITHOUT_WORKSHOP", codes.FailedPrecondition, "Record at least one diagnosis workshop before completing the diagnosis phase (decree 2.16.301)."},
	{"PAC_NOT_ADOPTED", codes.FailedPrecondition, "A public action-programme consultation ends with the programme's adoption: complete the adoption phase first."},
	{"SURVEY_EXISTS", codes.AlreadyExists, "A survey with this id already exists in this council; choose another id."},
	{"POSITION_NOT_COVERED", codes.FailedPrecondition, "The position is beyond the latest checkpoint's tree; retry once a checkpoint covers it."},
	{"INFORMATION_REQUEST_NOT_FOUND", codes.NotFound, "No such request for information in this council, or not yours to read."},
	{"INFORMATION_REQUEST_EXISTS", codes.AlreadyExists, "The request_id is the id of another request for information: use a fresh UUID; only its own author's retry in the same council returns it."},
	{"URGENT_REASON_REQUIRED", codes.FailedPrecondition, "An urgent request (law 31-13 art. 17) says why the information is needed to protect the life, safety or freedom of a person."},
	{"RECEIPT_IN_FUTURE", codes.FailedPrecondition, "The day of receipt cannot be after today (law 31-13 art. 14): record the day the request was handed in."},
	{"ALREADY_EXTENDED", codes.FailedPrecondition, "The deadline can be extended only once (law 31-13 art. 16; art. 17 for urgent requests): answer, in full, in part or by a reasoned refusal."},
	{"EXTENSION_REASONS_REQUIRED", codes.FailedPrecondition, "An extension is told to the requester with its reasons (law 31-13 art. 16): write them."},
	{"DEADLINE_PASSED", codes.FailedPrecondition, "The deadline to answer has passed: it can no longer be extended (law 31-13 art. 16); answer now."},
	{"REQUEST_CLOSED", codes.FailedPrecondition, "The request was already answered; a new question is a new request."},
	{"EXCEPTION_REQUIRED", codes.FailedPrecondition, "A partial answer or a refusal names the exception of law 31-13 art. 7 it rests on."},
	{"REFUSAL_REASONS_REQUIRED", codes.FailedPrecondition, "A partial answer or a refusal is reasoned in writing (law 31-13): give the reasons."},                                                                                         // not verified in the official text: art. 18
	{"COMPLAINT_TOO_EARLY", codes.FailedPrecondition, "The deadline to answer (or the head of the body's deadline) has not passed: the message says from which day the complaint can be lodged (law 31-13)."},                             // not verified in the official text: arts 19-20
	{"COMPLAINT_TOO_LATE", codes.FailedPrecondition, "The time to complain has passed (law 31-13: 20 working days to the head of the body, 30 days to the commission): the message says the last day; the administrative court remains."}, // not verified in the official text: arts 19, 20
	{"HEAD_COMPLAINT_FIRST", codes.FailedPrecondition, "Complain to the head of the body first (law 31-13); the commission is seized after its answer or silence."},                                                                       // not verified in the official text: arts 19, 20
	{"COMPLAINT_EXISTS", codes.FailedPrecondition, "A complaint at this level was already lodged for this request."},
	{"NO_COMPLAINT", codes.FailedPrecondition, "No complaint at this level was lodged for this request: record it first."},
	{"COMPLAINT_DECIDED", codes.FailedPrecondition, "This complaint was already decided."},
	{"UNKNOWN_HOLIDAY", codes.InvalidArgument, "No holiday with this key in that year: use a key the work calendar lists."},
	// Signatures bound to accounts (issue 16): an ID number belongs to one
	// account per council and an account signs with one ID number there.
	// FailedPrecondition, not PermissionDenied: the role may sign; the
	// log's state refuses, and only the council can change it.
	{"NATIONAL_ID_BOUND_TO_ANOTHER_ACCOUNT", codes.FailedPrecondition, "This national ID number is already used by another account in this council. If it is yours, contact the council: it checks your identity card and releases the number. Nothing was recorded."},
	{"ACCOUNT_BOUND_TO_ANOTHER_NATIONAL_ID", codes.FailedPrecondition, "This account already signs in this council with another national ID number (the one it gave first); one account is one person. If that number was wrong, contact the council. Nothing was recorded."},
	{"NATIONAL_ID_NOT_ASSERTED", codes.FailedPrecondition, "Your identity provider holds another national ID number for you: sign with that one, or contact the council if it is wrong. Nothing was recorded."},
	{"SIGNED_ON_PAPER", codes.AlreadyExists, "This national ID number is already counted on a paper signature sheet of this petition; a person counts once. Nothing was recorded."},
	{"NATIONAL_ID_NOT_TAKEN", codes.InvalidArgument, "Checking or withdrawing a signature takes no national ID number any more: it acts on the signed-in account's own signature. Leave national_id out."},
	// Accounts and their roles (issue 16): granted and revoked by admins,
	// each an event in the log.
	{"ROLE_ALREADY_GRANTED", codes.AlreadyExists, "The account already holds this role for this council; nothing was recorded."},
	{"GRANT_NOT_FOUND", codes.NotFound, "The account holds no such role for this council (never granted, or already revoked); nothing was recorded."},
	{"CONTACT_NOT_FOUND", codes.NotFound, "No contact detail is recorded for this account, or it was erased already; nothing was recorded."},
	// Commune action programmes (PAC, law 113-14 arts. 78-82, decree
	// 2.16.301) and satisfaction forms.
	{"PROGRAMME_NOT_FOUND", codes.NotFound, "No action programme of this commune for this mandate (named by the year it began)."},
	{"PROGRAMME_EXISTS", codes.AlreadyExists, "The commune already has its action programme for this mandate: one programme per commune per mandate; change it by an update."},
	{"PROGRAMME_NOT_COMMUNE", codes.FailedPrecondition, "The action programme (PAC) is a commune's (law 113-14 art. 78); provinces and regions have their own development programmes."},
	{"PROGRAMME_NOT_PREPARED", codes.FailedPrecondition, "Name the commune's consultation on the action programme (subject ACTION_PROGRAMME) that prepares it (decree 2.16.301)."},
	{"PROGRAMME_ADOPTION_LATE", codes.FailedPrecondition, "The action programme is adopted within the first year of the mandate (law 113-14 art. 78); the message gives the last day."},
	{"PROGRAMME_WITHOUT_PROJECTS", codes.FailedPrecondition, "Add the programme's projects before its adoption; an update cannot remove them all."},
	{"PROGRAMME_VOTE_NOT_CARRIED", codes.FailedPrecondition, "The deliberation adopts the programme by more votes for than against: check the counts."},
	{"PROGRAMME_UPDATE_TOO_EARLY", codes.FailedPrecondition, "The programme can be updated from its third year (law 113-14 art. 81); the message gives the first day."},
	{"PROGRAMME_NOT_ADOPTED", codes.FailedPrecondition, "The programme is still a draft: record its adoption before its progress, evaluations or updates."},
	{"PROGRAMME_ALREADY_ADOPTED", codes.FailedPrecondition, "The programme is adopted: change its projects through an update (a new version the council adopts)."},
	{"PROGRAMME_DATE_OUTSIDE_MANDATE", codes.FailedPrecondition, "The date falls outside the mandate's six years; the message gives its bounds."},
	{"PROJECT_NOT_FOUND", codes.NotFound, "No project with this id in the version of the programme in force."},
	{"PROJECT_EXISTS", codes.AlreadyExists, "This project id is already used in the programme (ids are never reused); choose another id."},
	{"PROJECT_CLOSED", codes.FailedPrecondition, "The project is done or dropped: it takes no more progress updates."},
	{"DROP_REASONS_REQUIRED", codes.FailedPrecondition, "Say why the project is dropped: the evaluation accounts for what was dropped."},
	{"PROGRESS_INCONSISTENT", codes.FailedPrecondition, "The status and the percent disagree: done is 100 %, not started 0 %, under way below 100 %."},
	{"EVALUATION_EXISTS", codes.AlreadyExists, "This year of the programme is already evaluated."},
	{"UPDATE_WITHOUT_CHANGES", codes.FailedPrecondition, "An update adds, revises or removes at least one project."},
	{"MALFORMED_SURVEY_CSV", codes.InvalidArgument, "The forms file is not what the format takes; the message names every bad line. Nothing was imported: correct the file and import it whole again."},
	{"DEAD_LETTER_NOT_FOUND", codes.NotFound, "No dead letter of this name: it was resent already, or delivered; list the dead letters again."},
	{"FOLLOW_TARGET_NOT_FOUND", codes.NotFound, "There is no council or petition of this name to follow."},
	{"FOLLOW_LINK_INVALID", codes.InvalidArgument, "This link was not issued by this service, or was altered: open the link of the email itself."},
	{"FOLLOW_NOT_FOUND", codes.NotFound, "This follow does not exist or has ended."},
	{"SESSION_AGENDA_CLOSED", codes.FailedPrecondition, "The agenda of that session was fixed before the petition was found admissible (the rulebook's session margin); schedule it on the session the message names."},
	{"MODERATION_REASONS_REQUIRED", codes.FailedPrecondition, "A refusal by moderation gives the agent written reasons (at least 20 characters) so the petition can be amended and submitted again."},
	{"DOCUMENT_TOO_LARGE", codes.InvalidArgument, "The document is larger than the limit the message names; scan it at a lower resolution or split it."},
	{"DOCUMENT_TYPE_REFUSED", codes.InvalidArgument, "Documents are PDF, JPEG, PNG or plain text; the type is read from the file's bytes, not its name."},
	{"DOCUMENT_NOT_FOUND", codes.NotFound, "No such document on this petition."},
	{"DOCUMENT_EXISTS", codes.AlreadyExists, "A document with this id is already attached to the petition."},
	{"DOCUMENT_ALTERED", codes.DataLoss, "The stored document no longer matches the SHA-256 recorded when it was attached: it was altered; report it."},
	{"DOCUMENT_ERASED", codes.FailedPrecondition, "The document held personal data and was erased at a person's request: its bytes are gone for good; the log keeps only its SHA-256. Ask the agent or the signatories for a new copy if it is still needed."},
	{"DOCUMENT_NOT_ERASABLE", codes.FailedPrecondition, "Only a document attached as holding personal data is sealed and can be erased; this one was attached without personal data."},
	{"EVIDENCE_REQUIRED", codes.FailedPrecondition, "The bureau marks an association's conditions met only against its documents: name, in the checklist's evidence, the attached document (statutes, legal-deposit receipt, proof of seat, governing body's decision) that proves each condition the message lists."},
}

// kindCode is the gRPC code of a fault kind.
func kindCode(k fault.Kind) codes.Code {
	switch k {
	case fault.Invalid:
		return codes.InvalidArgument
	case fault.FailedPrecondition:
		return codes.FailedPrecondition
	case fault.NotFound:
		return codes.NotFound
	case fault.AlreadyExists:
		return codes.AlreadyExists
	case fault.PermissionDenied:
		return codes.PermissionDenied
	case fault.Conflict:
		return codes.Aborted
	case fault.Unavailable:
		return codes.Unavailable
	case fault.DataLoss:
		return codes.DataLoss
	}
	return codes.Internal
}

func entry(r Reason) catalogueEntry {
	for _, e := range Catalogue {
		if e.Reason == r {
			return e
		}
	}
	return catalogueEntry{Reason: "INTERNAL", Code: codes.Internal}
}

// Status returns a gRPC status for reason with a message and ErrorInfo.
// The code is the catalogue's, or code[0] for a reason not in it.
func Status(r Reason, msg string, metadata map[string]string, code ...codes.Code) error {
	e := entry(r)
	if e.Reason != r && len(code) > 0 {
		e.Code = code[0]
	}
	st := status.New(e.Code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: string(r), Domain: ErrorDomain, Metadata: metadata}); err == nil {
		st = d
	}
	return st.Err()
}

// ToStatus maps an error from the application to a gRPC status. Errors that
// already are statuses pass unchanged.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if kind, reason, ok := fault.Classify(err); ok {
		return withField(Status(Reason(reason), err.Error(), nil, kindCode(kind)), err)
	}
	var wrong *eventstore.WrongExpectedRevisionError
	var ahead *projections.AheadOfLogError
	switch {
	case errors.Is(err, tdomain.ErrCouncilExists):
		return Status("COUNCIL_EXISTS", err.Error(), nil)
	case errors.Is(err, tdomain.ErrCouncilNotFound):
		return Status("COUNCIL_NOT_FOUND", err.Error(), nil)
	case errors.Is(err, tdomain.ErrInvalid):
		return Status("INVALID_ARGUMENT", err.Error(), nil)
	case errors.As(err, &ahead):
		return Status("POSITION_AHEAD_OF_LOG", ahead.Error(), map[string]string{"head": fmt.Sprint(ahead.Head), "min_position": fmt.Sprint(ahead.Asked)})
	case errors.Is(err, projections.ErrBehind):
		return Status("READ_MODEL_BEHIND", err.Error(), nil)
	case errors.Is(err, context.Canceled):
		return Status("CANCELLED", "request cancelled", nil)
	case errors.Is(err, context.DeadlineExceeded):
		return Status("DEADLINE_EXCEEDED", "request timed out", nil)
	case errors.As(err, &wrong):
		return Status("WRONG_EXPECTED_REVISION", wrong.Error(), map[string]string{"actual_revision": fmt.Sprint(wrong.Actual)})
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed):
		return Status("STORE_UNAVAILABLE", "the event log is unavailable", nil)
	case errors.Is(err, eventstore.ErrInvalidEvent), errors.Is(err, eventstore.ErrInvalidStream):
		return Status("INVALID_ARGUMENT", err.Error(), nil)
	case errors.Is(err, eventstore.ErrDuplicateEventID):
		return Status("DUPLICATE_EVENT_ID", err.Error(), nil)
	}
	return Status("INTERNAL", "internal error", nil)
}

// withField adds a google.rpc.BadRequest naming the field of a
// fault.FieldError, so a client (the web pages) can show the message
// beside the field it concerns without reading the English message.
func withField(err, cause error) error {
	var fe *fault.FieldError
	if !errors.As(cause, &fe) {
		return err
	}
	st, _ := status.FromError(err)
	if d, derr := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: fe.Field, Description: fe.Problem}}}); derr == nil {
		return d.Err()
	}
	return err
}

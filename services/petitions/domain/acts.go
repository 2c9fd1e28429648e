package domain

import (
	"sort"
	"strconv"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
)

// Act is one thing that can be done to a petition. Its values mirror the
// API's PetitionAct enum (same numbers), so the ports convert by number.
type Act int32

// The acts, in the order of the procedure.
const (
	ActUnspecified Act = iota
	ActOpenForSignatures
	ActSign
	ActWithdrawSignature
	ActAddPaperSignatures
	ActStrikeSignature
	ActWithdraw
	ActDeposit
	ActReferToBureau
	ActDecideAdmissibility
	ActSchedule
	ActReferToCommittee
	ActRecordCommitteeReport
	ActRecordDeliberation
	ActNotifyAgent
	ActClose
	ActCorrect
	ActModerate
	ActAmend
)

// Viewer is what AllowedActs needs to know of the caller: facts about its
// relation to the petition, never who it is.
type Viewer struct {
	// Agent: the caller is the petition's agent.
	Agent bool
	// Citizen: the caller is a signed-in citizen (who may sign, or
	// withdraw a signature given earlier).
	Citizen bool
	// Staff: the caller is staff of the petition's council.
	Staff bool
	// Moderator: the caller is the moderator of the petition's council.
	Moderator bool
}

// AllowedActs lists the acts the viewer may perform on the petition now, in
// Act order. It is not a second copy of the rules: each act is tried
// against the same guard that decides it (Decide with the act's minimal
// well-formed command, or the signature checks the signing path runs), so
// the list and the decisions cannot disagree. What an act's own input may
// still get wrong (a threshold not met, a reason too short) is not judged
// here: an act is listed when the petition's state and the viewer allow it.
func AllowedActs(s State, now time.Time, v Viewer) []Act {
	if !s.Exists {
		return nil
	}
	var out []Act
	try := func(act Act, ok bool) {
		if ok {
			out = append(out, act)
		}
	}
	agentCtx := Context{Now: now, Actor: eventstore.Actor{Subject: s.Agent, Role: "citizen"}}
	staffCtx := Context{Now: now, Actor: eventstore.Actor{Subject: "staff", Role: "staff", Council: councilCode(s.Council)}}
	accepts := func(ctx Context, cmds ...Command) bool {
		for _, c := range cmds {
			if _, err := Decide(s, c, ctx); err == nil {
				return true
			}
		}
		return false
	}
	if v.Agent && s.Agent != "" {
		try(ActOpenForSignatures, accepts(agentCtx, OpenForSignatures{ModerationDays: 1}))
	}
	if v.Citizen {
		try(ActSign, SignatureAllowed(s, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE) == nil)
		try(ActWithdrawSignature, s.Kind == petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS && WithdrawalAllowed(s) == nil)
	}
	if v.Staff {
		try(ActAddPaperSignatures, SignatureAllowed(s, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER) == nil)
		try(ActStrikeSignature, s.Kind == petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS && StrikeAllowed(s, "-") == nil)
	}
	if v.Agent && s.Agent != "" {
		try(ActWithdraw, accepts(agentCtx, Withdraw{}))
	}
	deposit := func(ch petitionseventsv1.DepositChannel) Deposit {
		return Deposit{Channel: ch, ReceiptNumber: "-", DeadlineMonths: 1}
	}
	try(ActDeposit, v.Agent && s.Agent != "" && accepts(agentCtx, deposit(petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE)) ||
		v.Staff && accepts(staffCtx, deposit(petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER)))
	if v.Staff {
		allMonths := []time.Month{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		try(ActReferToBureau, accepts(staffCtx, ReferToBureau{}))
		try(ActDecideAdmissibility, accepts(staffCtx, DecideAdmissibility{
			Decision: petitionseventsv1.Admissibility_ADMISSIBILITY_INADMISSIBLE, Reasons: "minimal reasons for the check",
		}))
		try(ActSchedule, accepts(staffCtx, Schedule{SessionMonths: allMonths}))
		try(ActReferToCommittee, accepts(staffCtx, ReferToCommittee{Committee: "-"}))
		try(ActRecordCommitteeReport, accepts(staffCtx, RecordCommitteeReport{Summary: "-"}))
		try(ActRecordDeliberation, accepts(staffCtx, RecordDeliberation{
			Outcome: petitionseventsv1.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED, Summary: "-",
		}))
		try(ActNotifyAgent, accepts(staffCtx,
			NotifyAgent{Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY, Channel: "-"},
			NotifyAgent{Subject: petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME, Channel: "-"}))
		try(ActClose, accepts(staffCtx, Close{}))
		try(ActCorrect, accepts(staffCtx, Correct{EventID: anyEventID(s), Field: "title", Value: "-", Reason: "-"}))
	}
	try(ActModerate, (v.Staff || v.Moderator) && accepts(staffCtx, Moderate{Clear: true}))
	try(ActAmend, v.Agent && s.Agent != "" && accepts(agentCtx, Amend{Title: "-", Request: "-", Reasons: "-"}))
	return out
}

// anyEventID returns one of the petition's event ids (the smallest, so the
// answer does not depend on map order).
func anyEventID(s State) string {
	ids := make([]string, 0, len(s.EventIDs))
	for id := range s.EventIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// councilCode is "50910101" for "communes/50910101".
func councilCode(council string) string {
	for i := len(council) - 1; i >= 0; i-- {
		if council[i] == '/' {
			return council[i+1:]
		}
	}
	return council
}

// String names an act ("ActSign" → "SIGN"), for messages and tests.
func (a Act) String() string {
	if int(a) >= 0 && int(a) < len(actNames) {
		return actNames[a]
	}
	return "Act(" + strconv.Itoa(int(a)) + ")"
}

var actNames = []string{
	"UNSPECIFIED", "OPEN_FOR_SIGNATURES", "SIGN", "WITHDRAW_SIGNATURE", "ADD_PAPER_SIGNATURES", "STRIKE_SIGNATURE",
	"WITHDRAW", "DEPOSIT", "REFER_TO_BUREAU", "DECIDE_ADMISSIBILITY", "SCHEDULE", "REFER_TO_COMMITTEE",
	"RECORD_COMMITTEE_REPORT", "RECORD_DELIBERATION", "NOTIFY_AGENT", "CLOSE", "CORRECT", "MODERATE", "AMEND",
}

package domain_test

import (
	"slices"
	"testing"
	"time"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// actHistories are the states the decider tests reach.
func actHistories() map[string][]domain.Recorded {
	withdrawnAfter := func(h []domain.Recorded) []domain.Recorded { return append(h, withdrawn()) }
	return map[string][]domain.Recorded{
		"draft":                   {drafted()},
		"collecting":              {drafted(), opened()},
		"withdrawn draft":         withdrawnAfter([]domain.Recorded{drafted()}),
		"deposited":               hDeposited(),
		"deposited from draft":    {drafted(), deposited()},
		"under review":            hReview(),
		"admissible":              hAdmissible(),
		"admissible, notified":    append(hAdmissible(), decisionNotified()),
		"inadmissible":            hInadmissible(),
		"inadmissible, notified":  append(hInadmissible(), decisionNotified()),
		"closed inadmissible":     append(hInadmissible(), decisionNotified(), closed()),
		"scheduled":               hScheduled(),
		"admissible, committee":   append(hAdmissible(), withCommittee()),
		"with committee":          hWithCommittee(),
		"reported":                hReported(),
		"deliberated":             hDeliberated(),
		"deliberated, notified":   append(hDeliberated(), outcomeNotified()),
		"closed":                  append(hDeliberated(), outcomeNotified(), closed()),
		"withdrawn in committee":  withdrawnAfter(hWithCommittee()),
		"withdrawn under review":  withdrawnAfter(hReview()),
		"awaiting moderation":     {drafted(), submitted()},
		"moderation refused":      {drafted(), submitted(), moderationRefused()},
		"cleared by moderation":   {drafted(), submitted(), cleared()},
		"association draft":       {associationDrafted()},
		"association deposited":   {associationDrafted(), deposited()},
		"association in review":   {associationDrafted(), deposited(), referred()},
		"association admissible":  {associationDrafted(), deposited(), referred(), admissible()},
		"association deliberated": {associationDrafted(), deposited(), referred(), admissible(), scheduled("2026-05"), withCommittee(), reported(), deliberated()},
	}
}

// TestAllowedActsAgreeWithDecide: for every state the decider tests reach
// and every kind of caller, an act AllowedActs lists is accepted by Decide
// (or the signature checks) for some ordinary command of that act, and an
// act it does not list is refused for every one of them. The commands here
// are the tests' own, not the ones AllowedActs tries.
func TestAllowedActsAgreeWithDecide(t *testing.T) {
	viewers := map[string]struct {
		v   domain.Viewer
		ctx domain.Context
	}{
		"agent":     {domain.Viewer{Agent: true, Citizen: true}, asAgent},
		"citizen":   {domain.Viewer{Citizen: true}, asOther},
		"staff":     {domain.Viewer{Staff: true}, asClerk},
		"moderator": {domain.Viewer{Moderator: true}, asModerator},
		"anonymous": {domain.Viewer{}, domain.Context{Now: now}},
	}
	listedSomewhere := map[domain.Act]bool{}
	for hname, h := range actHistories() {
		st := given(t, h...).state
		for vname, vw := range viewers {
			got := domain.AllowedActs(st, now, vw.v)
			for act := domain.ActOpenForSignatures; act <= domain.ActAmend; act++ {
				ok := actAccepted(st, act, vw.v, vw.ctx)
				listed := slices.Contains(got, act)
				if listed != ok {
					t.Errorf("%s, %s: %s listed=%v, but accepted=%v (listed %v)", hname, vname, act, listed, ok, got)
				}
				if listed {
					listedSomewhere[act] = true
				}
			}
			if vname == "anonymous" && len(got) != 0 {
				t.Errorf("%s: an anonymous caller is offered %v", hname, got)
			}
		}
	}
	// Every act is possible in some state: the table is not vacuous.
	for act := domain.ActOpenForSignatures; act <= domain.ActAmend; act++ {
		if !listedSomewhere[act] {
			t.Errorf("%s is never listed", act)
		}
	}
}

// TestAllowedActsWithdrawal pins the case the web page got wrong: the
// agent may withdraw the petition until the council deliberates (through
// admissible, scheduled and with a committee), not only until the bureau
// decides.
func TestAllowedActsWithdrawal(t *testing.T) {
	agentView := domain.Viewer{Agent: true, Citizen: true}
	for _, h := range [][]domain.Recorded{hAdmissible(), hScheduled(), hWithCommittee(), hReported()} {
		st := given(t, h...).state
		if !slices.Contains(domain.AllowedActs(st, now, agentView), domain.ActWithdraw) {
			t.Errorf("%s: withdrawal not offered to the agent", domain.StateName(st.Status))
		}
	}
	for _, h := range [][]domain.Recorded{hDeliberated(), hInadmissible()} {
		st := given(t, h...).state
		if slices.Contains(domain.AllowedActs(st, now, agentView), domain.ActWithdraw) {
			t.Errorf("%s: withdrawal offered", domain.StateName(st.Status))
		}
	}
	st := given(t, hAdmissible()...).state
	if slices.Contains(domain.AllowedActs(st, now, domain.Viewer{Citizen: true}), domain.ActWithdraw) {
		t.Error("a citizen who is not the agent is offered the withdrawal")
	}
}

// actAccepted tries the tests' ordinary commands of one act, as the viewer
// would (the staff acts only as staff: the access policy keeps others out
// before Decide).
func actAccepted(s domain.State, act domain.Act, v domain.Viewer, ctx domain.Context) bool {
	decides := func(cmds ...domain.Command) bool {
		for _, c := range cmds {
			if _, err := domain.Decide(s, c, ctx); err == nil {
				return true
			}
		}
		return false
	}
	citizens := s.Kind == petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS
	switch act {
	case domain.ActOpenForSignatures:
		return decides(domain.OpenForSignatures{ModerationDays: 5})
	case domain.ActWithdraw:
		return decides(domain.Withdraw{Reason: "nous retirons la pétition"})
	case domain.ActDeposit:
		online := domain.Deposit{Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
		paper := online
		paper.Channel = petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER
		paper.ReceivedAt = now.Add(-48 * time.Hour)
		if v.Staff {
			return decides(paper, online)
		}
		return decides(online)
	case domain.ActSign:
		return v.Citizen && domain.SignatureAllowed(s, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE) == nil
	case domain.ActWithdrawSignature:
		return v.Citizen && citizens && domain.WithdrawalAllowed(s) == nil
	case domain.ActAddPaperSignatures:
		return v.Staff && domain.SignatureAllowed(s, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER) == nil
	case domain.ActStrikeSignature:
		return v.Staff && citizens && domain.StrikeAllowed(s, "signature en double") == nil
	case domain.ActAmend:
		return decides(domain.Amend{Title: "Bibliothèque", Request: "Ouvrir une bibliothèque", Reasons: "Les élèves n'ont pas de lieu"})
	case domain.ActModerate:
		return (v.Staff || v.Moderator) && decides(domain.Moderate{Clear: true},
			domain.Moderate{Ground: petitionseventsv1.ModerationGround_MODERATION_GROUND_OUTSIDE_COUNCIL_POWERS, Reasons: validReasons})
	}
	if !v.Staff {
		return false
	}
	switch act {
	case domain.ActReferToBureau:
		return decides(domain.ReferToBureau{})
	case domain.ActDecideAdmissibility:
		return decides(admit(250, 200), refuse(250, 200, validReasons))
	case domain.ActSchedule:
		return decides(domain.Schedule{SessionMonths: communeSessions})
	case domain.ActReferToCommittee:
		return decides(domain.ReferToCommittee{Committee: "Commission des finances"})
	case domain.ActRecordCommitteeReport:
		return decides(domain.RecordCommitteeReport{Summary: "Avis favorable", At: now.Add(-time.Hour)})
	case domain.ActRecordDeliberation:
		return decides(deliberate())
	case domain.ActNotifyAgent:
		return decides(notify(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_ADMISSIBILITY),
			notify(petitionseventsv1.NotificationSubject_NOTIFICATION_SUBJECT_OUTCOME))
	case domain.ActClose:
		return decides(domain.Close{Note: "dossier clos"})
	case domain.ActCorrect:
		return decides(domain.Correct{EventID: "ev-1", Field: "request", Value: "Éclairer le quartier", Reason: "faute de frappe"})
	}
	return false
}

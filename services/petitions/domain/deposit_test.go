package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The agent carries the petition (law 113-14 art. 122 (check)): only the
// agent opens it to signatures, withdraws it, or deposits it online.
func TestOnlyTheAgent_NotAgent_Law113_14_Art122(t *testing.T) {
	online := domain.Deposit{
		ReceivedAt: now.Add(-time.Hour), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE,
		ReceiptNumber: receiptNumber, DeadlineMonths: 3,
	}
	for _, tc := range []struct {
		name string
		cmd  domain.Command
		ctx  domain.Context
	}{
		{"another citizen opens", domain.OpenForSignatures{ModerationDays: 5}, asOther},
		{"another citizen withdraws", domain.Withdraw{Reason: "no"}, asOther},
		{"staff withdraw", domain.Withdraw{Reason: "no"}, asClerk},
		{"another citizen deposits online", online, asOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given(t, drafted()).when(tc.cmd, tc.ctx).thenRule(domain.RuleNotAgent, fault.PermissionDenied)
		})
	}
	t.Run("staff open", func(t *testing.T) {
		given(t, drafted()).when(domain.OpenForSignatures{ModerationDays: 5}, asClerk).thenRule(domain.RuleNotAgent, fault.PermissionDenied)
	})
	t.Run("the agent opens", func(t *testing.T) {
		// Submitted to moderation, which has 5 days (the rulebook's).
		given(t, drafted()).when(domain.OpenForSignatures{ModerationDays: 5}, asAgent).then(domain.Event{Payload: &petitionseventsv1.PetitionSubmittedForModeration{
			ModerationDeadline: timestamppb.New(now.AddDate(0, 0, 5))}})
	})
	t.Run("opening twice", func(t *testing.T) {
		given(t, drafted(), opened()).when(domain.OpenForSignatures{ModerationDays: 5}, asAgent).thenError(fault.FailedPrecondition, "WRONG_STATE")
	})
}

// Deposit with the president (law 113-14 art. 124 (check)): the agent files
// online; staff key in paper deposits, and may also record online ones.
func TestWhoDeposits_Law113_14_Art124(t *testing.T) {
	for _, tc := range []struct {
		name    string
		channel petitionseventsv1.DepositChannel
		ctx     domain.Context
	}{
		{"agent online", petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE, asAgent},
		{"staff online", petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE, asClerk},
		{"staff paper", petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, asClerk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := domain.Deposit{ReceivedAt: received, Channel: tc.channel, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
			p := thenOne[*petitionseventsv1.PetitionDeposited](given(t, drafted(), opened()).when(cmd, tc.ctx))
			if p.GetChannel() != tc.channel {
				t.Errorf("channel = %v, want %v", p.GetChannel(), tc.channel)
			}
		})
	}
	t.Run("citizen records paper", func(t *testing.T) {
		cmd := domain.Deposit{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
		given(t, drafted(), opened()).when(cmd, asAgent).thenError(fault.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("no channel", func(t *testing.T) {
		cmd := domain.Deposit{ReceivedAt: received, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
		given(t, drafted(), opened()).when(cmd, asClerk).thenField("channel")
	})
	t.Run("blank document", func(t *testing.T) {
		cmd := domain.Deposit{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
			ReceiptNumber: receiptNumber, DeadlineMonths: 3, Documents: []string{"statuts", " "}}
		given(t, drafted(), opened()).when(cmd, asClerk).thenField("documents[1]")
	})
}

// The agent receives a receipt at once, number and date (law 113-14 art.
// 124 (check)); the president decides within 3 months of receiving it
// (art. 125), so the deadline runs from the day received.
func TestDepositReceiptAndDeadline_Law113_14_Art124_125(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"from draft", []domain.Recorded{drafted()}},
		{"from collecting", []domain.Recorded{drafted(), opened()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
			cmd := domain.Deposit{
				ReceivedAt: at, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
				Documents: []string{"liste des signataires", "justificatifs de résidence"}, ReceiptNumber: receiptNumber,
				DeadlineMonths: 3, ValidSignatures: 212,
			}
			given(t, tc.given...).when(cmd, asClerk).then(domain.Event{
				Payload: &petitionseventsv1.PetitionDeposited{
					ReceiptNumber: receiptNumber, ReceivedAt: timestamppb.New(at),
					Channel:          petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
					DecisionDeadline: timestamppb.New(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)),
					Documents:        cmd.Documents, ValidSignatures: 212,
				},
				OccurredAt: at,
			})
		})
	}
	t.Run("received now when no date is given", func(t *testing.T) {
		cmd := domain.Deposit{Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_ONLINE, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
		p := thenOne[*petitionseventsv1.PetitionDeposited](given(t, drafted(), opened()).when(cmd, asAgent))
		if !p.GetReceivedAt().AsTime().Equal(now) {
			t.Errorf("received_at = %v, want now %v", p.GetReceivedAt().AsTime(), now)
		}
	})
	for _, tc := range []struct {
		name  string
		given []domain.Recorded
	}{
		{"under review", hReview()},
		{"deposited", hDeposited()},
		{"admissible", hAdmissible()},
		{"withdrawn", []domain.Recorded{drafted(), withdrawn()}},
	} {
		t.Run("not from "+tc.name, func(t *testing.T) {
			cmd := domain.Deposit{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
			given(t, tc.given...).when(cmd, asClerk).thenError(fault.FailedPrecondition, "WRONG_STATE")
		})
	}
}

// Paper deposits: staff record the date the paper was received, which may
// be earlier than the day it is keyed in, even earlier than the draft's
// recording (DOMAIN.md §1 procedure 1; law 113-14 art. 124 (check)).
func TestPaperDepositInThePast_Law113_14_Art124(t *testing.T) {
	d := drafted()
	d.RecordedAt = date("2026-11-28T15:00:00Z")
	paper := date("2026-11-20T09:00:00Z")
	cmd := domain.Deposit{ReceivedAt: paper, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
	given(t, d).when(cmd, asClerk).then(domain.Event{
		Payload: &petitionseventsv1.PetitionDeposited{
			ReceiptNumber: receiptNumber, ReceivedAt: timestamppb.New(paper),
			Channel:          petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER,
			DecisionDeadline: timestamppb.New(date("2027-02-20T09:00:00Z")),
		},
		OccurredAt: paper,
	})
}

// The receipt date cannot follow today (law 113-14 art. 124 (check)).
func TestDepositDateInFuture_Law113_14_Art124(t *testing.T) {
	cmd := domain.Deposit{ReceivedAt: now.Add(time.Hour), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
	given(t, drafted(), opened()).when(cmd, asClerk).thenRule(domain.RuleDepositDate, fault.FailedPrecondition)

	t.Run("a clock a minute ahead is tolerated", func(t *testing.T) {
		cmd.ReceivedAt = now.Add(time.Minute)
		thenOne[*petitionseventsv1.PetitionDeposited](given(t, drafted(), opened()).when(cmd, asClerk))
	})
}

// Provinces and regions decide within 2 months (laws 112-14 art. 117 and
// 111-14 art. 122 (check); rulebook months).
func TestDeadlineTwoMonths_Law112_14_Art117_Law111_14_Art122(t *testing.T) {
	for _, council := range []string{beniMellalProv, beniMellalReg} {
		t.Run(council, func(t *testing.T) {
			cmd := domain.Deposit{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 2}
			p := thenOne[*petitionseventsv1.PetitionDeposited](given(t, draftedIn(council)).when(cmd, asClerk))
			if want := date("2026-03-15T11:30:00Z"); !p.GetDecisionDeadline().AsTime().Equal(want) {
				t.Errorf("deadline = %v, want %v", p.GetDecisionDeadline().AsTime(), want)
			}
			cmd.ReceivedAt = now.Add(time.Hour)
			given(t, draftedIn(council)).when(cmd, asClerk).thenRule(domain.RuleDepositDate, fault.FailedPrecondition)
		})
	}
}

// A receipt number and the rulebook's months are the caller's to supply;
// without them Decide fails as a programming error, not a rule (the
// receipt of law 113-14 art. 124 (check) and the months of art. 125 are
// the application's to supply).
func TestDepositNeedsReceiptAndRulebook(t *testing.T) {
	for _, cmd := range []domain.Deposit{
		{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, DeadlineMonths: 3},
		{ReceivedAt: received, Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber},
	} {
		o := given(t, drafted()).when(cmd, asClerk)
		if o.err == nil {
			t.Errorf("Decide(%+v) = %v, want an error", cmd, o.events)
		}
		if _, _, ok := fault.Classify(o.err); ok {
			t.Errorf("Decide(%+v) = %v, want an internal error", cmd, o.err)
		}
	}
}

// "Within 3 months of receiving the petition" (law 113-14 art. 125): when
// the last month has no such day, the deadline is that month's last day.
func TestDeadlineAtMonthEnd_Law113_14_Art125(t *testing.T) {
	for _, tc := range []struct{ received, deadline string }{
		{"2026-11-30T09:00:00Z", "2027-02-28T09:00:00Z"},
		{"2027-11-30T09:00:00Z", "2028-02-29T09:00:00Z"},
		{"2026-05-31T09:00:00Z", "2026-08-31T09:00:00Z"},
		{"2026-06-30T09:00:00Z", "2026-09-30T09:00:00Z"},
	} {
		t.Run(tc.received, func(t *testing.T) {
			ctx := domain.Context{Now: date(tc.received).Add(time.Hour), Actor: clerk}
			cmd := domain.Deposit{ReceivedAt: date(tc.received), Channel: petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, ReceiptNumber: receiptNumber, DeadlineMonths: 3}
			p := thenOne[*petitionseventsv1.PetitionDeposited](given(t, drafted()).when(cmd, ctx))
			if got := p.GetDecisionDeadline().AsTime(); !got.Equal(date(tc.deadline)) {
				t.Errorf("deadline = %v, want %v", got, tc.deadline)
			}
		})
	}
}

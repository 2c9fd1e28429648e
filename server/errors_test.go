package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

func TestToStatus(t *testing.T) {
	cases := []struct {
		err    error
		code   codes.Code
		reason string
	}{
		{fmt.Errorf("read: %w", eventstore.ErrUnavailable), codes.Unavailable, "STORE_UNAVAILABLE"},
		{&eventstore.WrongExpectedRevisionError{Stream: "s", Expected: eventstore.Exact(1), Actual: 3}, codes.FailedPrecondition, "WRONG_EXPECTED_REVISION"},
		{fmt.Errorf("%w: bad", eventstore.ErrInvalidStream), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{eventstore.ErrDuplicateEventID, codes.AlreadyExists, "DUPLICATE_EVENT_ID"},
		{errors.New("boom"), codes.Internal, "INTERNAL"},
		// Every error carries an ErrorInfo, timeouts included (issue 14).
		{context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED"},
		{fmt.Errorf("wait: %w", context.Canceled), codes.Canceled, "CANCELLED"},
	}
	for _, c := range cases {
		st, _ := status.FromError(ToStatus(c.err))
		if st.Code() != c.code {
			t.Errorf("%v: code %v, want %v", c.err, st.Code(), c.code)
		}
		var reason string
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				reason = info.GetReason()
				if info.GetDomain() != ErrorDomain {
					t.Errorf("%v: domain %q", c.err, info.GetDomain())
				}
			}
		}
		if reason != c.reason {
			t.Errorf("%v: reason %q, want %q", c.err, reason, c.reason)
		}
	}
	// Internal errors never leak their text to clients.
	if st, _ := status.FromError(ToStatus(errors.New("secret path /etc/x"))); st.Message() != "internal error" {
		t.Errorf("internal error message leaked: %q", st.Message())
	}
	// Statuses pass unchanged.
	orig := status.Error(codes.PermissionDenied, "no")
	if ToStatus(orig) != orig {
		t.Error("a status was remapped")
	}
}

func TestCatalogueReasonsAreUnique(t *testing.T) {
	seen := map[Reason]bool{}
	for _, e := range Catalogue {
		if seen[e.Reason] || e.Help == "" {
			t.Errorf("reason %s duplicated or without help", e.Reason)
		}
		seen[e.Reason] = true
	}
}

// A field error names its field in a BadRequest, so the web pages can
// show the message beside it; a rule error carries none.
func TestToStatusNamesTheField(t *testing.T) {
	violations := func(err error) []*errdetails.BadRequest_FieldViolation {
		st, _ := status.FromError(ToStatus(err))
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				return br.GetFieldViolations()
			}
		}
		return nil
	}
	got := violations(fmt.Errorf("decide: %w", fault.Field("reasons", "at most %d characters", 2000)))
	if len(got) != 1 || got[0].GetField() != "reasons" || got[0].GetDescription() != "at most 2000 characters" {
		t.Errorf("field violations %v", got)
	}
	if got := violations(fault.Rule("REASONS_REQUIRED", "law 113-14 art. 125", "needs reasons")); got != nil {
		t.Errorf("a rule error names fields %v", got)
	}
}

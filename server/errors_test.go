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

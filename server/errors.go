package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/eventstore"
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
func Status(r Reason, msg string, metadata map[string]string) error {
	e := entry(r)
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
	var wrong *eventstore.WrongExpectedRevisionError
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "request timed out")
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

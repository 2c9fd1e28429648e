package access

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the domain of the google.rpc.ErrorInfo on access errors;
// it is the API's one error domain.
const ErrorDomain = "tasharuk.ma"

// The reasons of the errors this package returns, for the API's error
// catalogue.
const (
	// ReasonUnauthenticated: the method needs a token and the call had
	// none, or one that is invalid or expired (codes.Unauthenticated).
	ReasonUnauthenticated = "UNAUTHENTICATED"
	// ReasonPermissionDenied: the caller's role may not call the method,
	// the council named by the request is outside the token's scope, or
	// the method has no row in the authorization table
	// (codes.PermissionDenied).
	ReasonPermissionDenied = "PERMISSION_DENIED"
)

func unauthenticated(msg string) error {
	return statusError(codes.Unauthenticated, ReasonUnauthenticated, msg, nil)
}

func permissionDenied(msg string, metadata map[string]string) error {
	return statusError(codes.PermissionDenied, ReasonPermissionDenied, msg, metadata)
}

func statusError(code codes.Code, reason, msg string, metadata map[string]string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain, Metadata: metadata}); err == nil {
		st = d
	}
	return st.Err()
}

package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// gatewayOptions configure the REST gateway: every error body is a
// google.rpc.Status with an ErrorInfo from the catalogue (also for the
// errors the gateway finds itself: an unknown route, a method the route
// does not take, a body that is not the request's JSON); a 429 carries
// Retry-After; a JSON enum value the API does not know is refused with
// the values it does.
func gatewayOptions() []runtime.ServeMuxOption {
	return []runtime.ServeMuxOption{
		runtime.WithErrorHandler(gatewayError),
		runtime.WithRoutingErrorHandler(routingError),
		// The gateway's default marshaler, with the enum hint on decoding.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, enumHints{&runtime.HTTPBodyMarshaler{
			Marshaler: &runtime.JSONPb{
				MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
				UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
			},
		}}),
	}
}

// routingError answers a request no REST route takes.
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var err error
	switch httpStatus {
	case http.StatusNotFound:
		err = Status("NOT_FOUND_ROUTE", fmt.Sprintf("no REST resource at %s: check the path against the API reference (resource names such as /v1/communes/{commune}/petitions)", r.URL.Path), nil)
	case http.StatusMethodNotAllowed:
		err = &runtime.HTTPStatusError{HTTPStatus: http.StatusMethodNotAllowed,
			Err: Status("METHOD_NOT_ALLOWED", fmt.Sprintf("%s is not a method of %s: check the method against the API reference", r.Method, r.URL.Path), nil)}
	case http.StatusBadRequest:
		err = Status("MALFORMED_REQUEST", "the request path must start with /", nil)
	default:
		err = Status("INTERNAL", "unexpected routing error", nil)
	}
	gatewayError(ctx, mux, m, w, r, err)
}

// gatewayError writes an error as the gateway does (a google.rpc.Status in
// JSON, the HTTP status mapped from its code) after making sure it carries
// an ErrorInfo, and sets Retry-After on a refusal that says when to retry.
func gatewayError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	var custom *runtime.HTTPStatusError
	if errors.As(err, &custom) {
		err = custom.Err
	}
	st := status.Convert(err)
	if !hasErrorInfo(st) {
		var httpStatus int
		st, httpStatus = withErrorInfo(st)
		if httpStatus != 0 && custom == nil {
			custom = &runtime.HTTPStatusError{HTTPStatus: httpStatus}
		}
	}
	if ra := retryAfter(st); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	err = st.Err()
	if custom != nil {
		err = &runtime.HTTPStatusError{HTTPStatus: custom.HTTPStatus, Err: err}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

func hasErrorInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return true
		}
	}
	return false
}

// withErrorInfo gives an error without an ErrorInfo (one the gateway made,
// or a transport's) the catalogue's reason for its code, and, where HTTP
// has a more exact status than the code's, that status.
func withErrorInfo(st *status.Status) (*status.Status, int) {
	// Each reason is spelled at its call, so the catalogue's contract test
	// sees it; the catalogue's code for it is the call's, so reason and
	// code agree.
	msg, code := st.Message(), st.Code()
	var err error
	httpStatus := 0
	switch code {
	case codes.InvalidArgument:
		// A body the gateway could not decode, a query parameter or
		// path segment of the wrong type.
		if strings.Contains(msg, "request body too large") {
			err, httpStatus = Status("REQUEST_TOO_LARGE", msg, nil, code), http.StatusRequestEntityTooLarge
		} else {
			err = Status("MALFORMED_REQUEST", msg, nil, code)
		}
	case codes.ResourceExhausted:
		// gRPC's own message size limit.
		err, httpStatus = Status("REQUEST_TOO_LARGE", msg, nil, code), http.StatusRequestEntityTooLarge
	case codes.NotFound:
		err = Status("NOT_FOUND_ROUTE", msg, nil, code)
	case codes.Unimplemented:
		err = Status("METHOD_NOT_ALLOWED", msg, nil, code)
	case codes.DeadlineExceeded:
		err = Status("DEADLINE_EXCEEDED", msg, nil, code)
	case codes.Canceled:
		err = Status("CANCELLED", msg, nil, code)
	case codes.Unavailable:
		err = Status("UNAVAILABLE", msg, nil, code)
	default:
		err = Status("INTERNAL", msg, nil, code)
	}
	return status.Convert(err), httpStatus
}

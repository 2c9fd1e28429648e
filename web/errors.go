package web

import (
	"math"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// viewError is an error as a page shows it: a heading and a message in
// the reader's language (the catalogue's text for the API's reason), the
// API's own English detail beside it, and the field it concerns, so the
// form can show it there.
type viewError struct {
	Heading string
	Message string
	// Detail is the API's message (English), shown as a technical detail
	// in lang="en"; empty for the pages' own errors.
	Detail string
	Reason string
	// Field is the form field the error concerns ("reasons"), from the
	// API's BadRequest or the reason's usual field; "" for none.
	Field string
	HTTP  int
	// RetryAfter is the Retry-After of a refusal that says when to retry
	// (a rate limit), in whole seconds; "" otherwise.
	RetryAfter string
}

// For reports whether the error concerns a form field: the templates show
// the message beside it.
func (v *viewError) For(field string) bool {
	return v != nil && v.Field != "" && v.Field == field
}

// reasonFields are the form fields rule reasons concern (a rule error
// names no field: the domain speaks of rules, the form of fields).
var reasonFields = map[string]string{
	"REASONS_REQUIRED":                "reasons",
	"CHECKLIST_INCOMPLETE":            "checklist",
	"EXCLUDED_SUBJECT":                "checklist",
	"ASSOCIATION_CONDITIONS_NOT_MET":  "checklist",
	"THRESHOLD_NOT_MET":               "admissibility",
	"REGION_PROVINCE_SHARE_NOT_MET":   "admissibility",
	"ALREADY_SIGNED":                  "national_id",
	"NATIONAL_ID_NOT_ASSERTED":        "national_id",
	"PERSON_ERASED":                   "national_id",
	"SIGNATURE_NOT_FOUND":             "national_id",
	"DEPOSIT_DATE_IN_FUTURE":          "received",
	"NOT_ORDINARY_SESSION":            "session",
	"MALFORMED_CSV":                   "csv",
	"REQUEST_TOO_LARGE":               "csv",
	"PARTICIPANT_COUNTS_INCONSISTENT": "participants",
	"VOTES_EXCEED_ATTENDANCE":         "votes_for",
	"MAJORITY_NOT_REACHED":            "votes_for",
}

// errorView turns an API error into what the page shows.
func errorView(l *Locale, err error) *viewError {
	st, ok := status.FromError(err)
	if !ok {
		return &viewError{Heading: l.T("error.Internal"), Message: l.T("error.unexpected"), HTTP: http.StatusInternalServerError}
	}
	v := &viewError{Heading: l.T("error." + codeName(st.Code())), Detail: st.Message(), HTTP: httpStatus(st.Code())}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			v.Reason = d.GetReason()
		case *errdetails.BadRequest:
			if fv := d.GetFieldViolations(); len(fv) > 0 {
				v.Field = fv[0].GetField()
			}
		case *errdetails.RetryInfo:
			if d.GetRetryDelay() != nil {
				v.RetryAfter = strconv.FormatInt(max(int64(math.Ceil(d.GetRetryDelay().AsDuration().Seconds())), 1), 10)
			}
		}
	}
	if v.Field == "" {
		v.Field = reasonFields[v.Reason]
	}
	// The reader's language: the catalogue's text for the reason; the
	// English detail only stays beside it.
	v.Message = l.T("error.unexpected")
	if v.Reason != "" {
		if s, ok := l.msgs["reason."+v.Reason]; ok {
			v.Message = s
		}
	}
	if st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded || st.Code() == codes.Internal || st.Code() == codes.Unknown {
		// Transport and internal messages mean nothing to a reader.
		v.Detail = ""
	}
	return v
}

// localError is an error found by the pages themselves (a form field).
func localError(l *Locale, key string, args ...any) *viewError {
	return &viewError{Heading: l.T("error.InvalidArgument"), Message: l.T(key, args...), HTTP: http.StatusBadRequest}
}

// fieldError is a form field the pages find wrong themselves.
func fieldError(l *Locale, field, key string, args ...any) *viewError {
	v := localError(l, key, args...)
	v.Field = field
	return v
}

// codeName names the codes the catalogue has headings for.
func codeName(c codes.Code) string {
	switch c {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.PermissionDenied,
		codes.Unauthenticated, codes.FailedPrecondition, codes.Aborted, codes.Unavailable, codes.ResourceExhausted:
		return c.String()
	}
	return "Internal"
}

func httpStatus(c codes.Code) int {
	switch c {
	case codes.InvalidArgument, codes.FailedPrecondition:
		return http.StatusUnprocessableEntity
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.Unavailable, codes.DeadlineExceeded:
		return http.StatusServiceUnavailable
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// isNotFound reports an API NotFound.
func isNotFound(err error) bool {
	return status.Code(err) == codes.NotFound
}

package web

import (
	"math"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// viewError is an error as a page shows it: a heading in the reader's
// language and the API's own message, with its machine-readable reason.
type viewError struct {
	Heading string
	Message string
	// MessageLang is the language of an API message (English), so that
	// screen readers pronounce it right; empty for the pages' own.
	MessageLang string
	Reason      string
	HTTP        int
	// RetryAfter is the Retry-After of a refusal that says when to retry
	// (a rate limit), in whole seconds; "" otherwise.
	RetryAfter string
}

// errorView turns an API error into what the page shows.
func errorView(l *Locale, err error) *viewError {
	st, ok := status.FromError(err)
	if !ok {
		return &viewError{Heading: l.T("error.Internal"), Message: l.T("error.unexpected"), HTTP: http.StatusInternalServerError}
	}
	v := &viewError{Heading: l.T("error." + codeName(st.Code())), Message: st.Message(), MessageLang: "en", HTTP: httpStatus(st.Code())}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			v.Reason = d.GetReason()
		case *errdetails.RetryInfo:
			if d.GetRetryDelay() != nil {
				v.RetryAfter = strconv.FormatInt(max(int64(math.Ceil(d.GetRetryDelay().AsDuration().Seconds())), 1), 10)
			}
		}
	}
	// A reason the catalogue names is said in the reader's language
	// ("reason.<REASON>"); others keep the API's English message.
	if s, ok := l.msgs["reason."+v.Reason]; ok && v.Reason != "" {
		v.Message, v.MessageLang = s, ""
	}
	if st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded || st.Code() == codes.Internal || st.Code() == codes.Unknown {
		// Transport and internal messages mean nothing to a reader.
		v.Message, v.MessageLang = l.T("error.unexpected"), ""
	}
	return v
}

// localError is an error found by the pages themselves (a form field).
func localError(l *Locale, key string, args ...any) *viewError {
	return &viewError{Heading: l.T("error.InvalidArgument"), Message: l.T(key, args...), HTTP: http.StatusBadRequest}
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

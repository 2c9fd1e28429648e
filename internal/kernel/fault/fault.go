// Package fault holds the typed errors domain packages return. The edge
// (package server) maps them to gRPC codes and ErrorInfo reasons in one
// place; domain code never imports gRPC.
package fault

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure, which decides its gRPC code.
type Kind int

// The kinds of failure.
const (
	Internal           Kind = iota
	Invalid                 // the request is malformed: InvalidArgument
	FailedPrecondition      // a rule or the case's state refuses the act
	NotFound                // the resource does not exist
	AlreadyExists           // it exists already
	PermissionDenied        // the caller may not do this to this resource
	Conflict                // concurrent changes kept winning: Aborted, retry
	Unavailable             // a dependency is down: retry later
	DataLoss                // stored data no longer matches what the log recorded of it
)

// RuleError is a business rule refusing an act. Rule is the machine-
// readable reason ("THRESHOLD_NOT_MET"), Article where the rule comes from
// ("law 113-14 art. 123"), Detail a message a clerk can act on.
type RuleError struct {
	Rule    string
	Article string
	Detail  string
	// Kind defaults to FailedPrecondition.
	Kind Kind
}

func (e *RuleError) Error() string {
	if e.Article != "" {
		return fmt.Sprintf("%s (%s)", e.Detail, e.Article)
	}
	return e.Detail
}

// Rule returns a FailedPrecondition rule error.
func Rule(rule, article, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Article: article, Detail: fmt.Sprintf(format, args...), Kind: FailedPrecondition}
}

// WithKind returns e with another kind (PermissionDenied for "only the
// agent may").
func (e *RuleError) WithKind(k Kind) *RuleError { e.Kind = k; return e }

// FieldError is a malformed or missing field of a request.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Field returns a FieldError.
func Field(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Error is a failure of a given kind with a reason, for what is neither a
// rule nor a field: not found, already exists, wrong state.
type Error struct {
	Kind   Kind
	Reason string
	Detail string
}

func (e *Error) Error() string { return e.Detail }

// New returns an Error.
func New(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Classify returns the kind and reason of err, if it is one of this
// package's errors.
func Classify(err error) (kind Kind, reason string, ok bool) {
	var re *RuleError
	var fe *FieldError
	var e *Error
	switch {
	case errors.As(err, &re):
		return re.Kind, re.Rule, true
	case errors.As(err, &fe):
		return Invalid, "INVALID_ARGUMENT", true
	case errors.As(err, &e):
		return e.Kind, e.Reason, true
	}
	return Internal, "", false
}

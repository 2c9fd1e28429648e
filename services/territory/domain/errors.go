package domain

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is matched by every *FieldError and *CensusError.
	ErrInvalid = errors.New("territory: invalid argument")
	// ErrCouncilExists: a council with this code is already registered.
	ErrCouncilExists = errors.New("territory: council already registered")
	// ErrCouncilNotFound: no council with this code is registered.
	ErrCouncilNotFound = errors.New("territory: council not found")
)

// FieldError is a missing or malformed field of a command or request.
type FieldError struct {
	// Field is the field's name as in the proto messages ("population").
	Field string
	// Problem says what is wrong, for a person to act on.
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

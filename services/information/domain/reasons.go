package domain

// Reasons the information context fails with; each is a row of the
// catalogue in server/errors.go.
const (
	ReasonRequestNotFound   = "INFORMATION_REQUEST_NOT_FOUND"
	ReasonRequestExists     = "INFORMATION_REQUEST_EXISTS"
	ReasonUrgentReason      = "URGENT_REASON_REQUIRED"
	ReasonReceiptInFuture   = "RECEIPT_IN_FUTURE"
	ReasonAlreadyExtended   = "ALREADY_EXTENDED"
	ReasonExtensionReasons  = "EXTENSION_REASONS_REQUIRED"
	ReasonDeadlinePassed    = "DEADLINE_PASSED"
	ReasonRequestClosed     = "REQUEST_CLOSED"
	ReasonExceptionRequired = "EXCEPTION_REQUIRED"
	ReasonRefusalReasons    = "REFUSAL_REASONS_REQUIRED"
	ReasonComplaintTooEarly = "COMPLAINT_TOO_EARLY"
	ReasonComplaintTooLate  = "COMPLAINT_TOO_LATE"
	ReasonHeadFirst         = "HEAD_COMPLAINT_FIRST"
	ReasonComplaintExists   = "COMPLAINT_EXISTS"
	ReasonNoComplaint       = "NO_COMPLAINT"
	ReasonComplaintDecided  = "COMPLAINT_DECIDED"
	ReasonUnknownHoliday    = "UNKNOWN_HOLIDAY"
	// ReasonPersonErased is the catalogue's PERSON_ERASED (petitions' too).
	ReasonPersonErased = "PERSON_ERASED"
)

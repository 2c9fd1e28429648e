package domain

// Articles of law 31-13 on the right of access to information (Dahir
// 1-18-15 of 22 February 2018, BO 6655 of 12 March 2018), where the
// context's rules come from. These strings are shown to users (errors,
// reasons): an article whose number was not confirmed against the official
// text is named in a comment only, and the string cites the law alone.
const (
	ArtFees       = "law 31-13 art. 5"
	ArtExceptions = "law 31-13 art. 7"
	ArtProactive  = "law 31-13 art. 10"
	// Not verified in the official text: art. 12 (designated officials).
	ArtOfficials = "law 31-13"
	ArtRequest   = "law 31-13 art. 14"
	ArtDeadline  = "law 31-13 art. 16"
	ArtUrgent    = "law 31-13 art. 17"
	// Not verified in the official text: art. 18 (reasoned refusal).
	ArtReasoned = "law 31-13"
	// Not verified in the official text: art. 19 (complaint to the head of the body).
	ArtComplaint = "law 31-13"
	// Not verified in the official text: art. 20 (complaint to the commission).
	ArtCommission = "law 31-13"
	// Not verified in the official text: art. 21 (appeal to the administrative court).
	ArtAdminisCourt = "law 31-13"
)

// Rulebook holds the deadlines of law 31-13 as data (DESIGN.md "Rulebooks
// are data"). Working-day counts exclude weekends and public holidays.
type Rulebook struct {
	// AnswerWorkingDays: an answer within 20 working days of receipt
	// (art. 16).
	AnswerWorkingDays int
	// ExtensionWorkingDays: extendable once by a similar period, the
	// requester told beforehand with the reasons (art. 16).
	ExtensionWorkingDays int
	// UrgentWorkingDays: a request urgent to protect the life, safety or
	// freedom of a person is answered within 3 days (art. 17; the text
	// says "three days", the product counts working days as the issue
	// asks; not verified in the official text: that they are working days).
	UrgentWorkingDays int
	// UrgentExtensionWorkingDays: extendable once by 3 (not verified in the
	// official text).
	UrgentExtensionWorkingDays int
	// HeadComplaintWorkingDays: the requester may complain to the head of
	// the body within 20 working days of the expiry of the deadline to
	// answer, or of receiving the answer (art. 19).
	HeadComplaintWorkingDays int
	// HeadAnswerDays: the head answers within 15 days (not verified in the
	// official text: art. 19).
	HeadAnswerDays int
	// CommissionComplaintDays: then to the commission within 30 days of
	// the expiry of the head's deadline or of the head's answer (art. 20).
	CommissionComplaintDays int
	// CommissionDecisionDays: the commission decides within 30 days (not
	// verified in the official text: art. 20).
	CommissionDecisionDays int
}

// DefaultRulebook is version 1: law 31-13 as in force since 12 March 2019.
func DefaultRulebook() Rulebook {
	return Rulebook{
		AnswerWorkingDays: 20, ExtensionWorkingDays: 20,
		UrgentWorkingDays: 3, UrgentExtensionWorkingDays: 3,
		HeadComplaintWorkingDays: 20, HeadAnswerDays: 15,
		CommissionComplaintDays: 30, CommissionDecisionDays: 30,
	}
}

// Field limits.
const (
	MaxSubject  = 5000
	MaxReasons  = 10000
	MaxShort    = 500
	MaxIdentity = 1000
	// MinReasons is the shortest written reasons accepted for an
	// extension, a partial answer or a refusal: a word is not a reason.
	MinReasons = 15
)

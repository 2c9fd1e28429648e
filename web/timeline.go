package web

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

// timelineLine is one entry of a petition's public timeline as the page
// shows it: the act and who did it named by office ("the agent", "council
// staff"), never by account, in the reader's language.
type timelineLine struct {
	Act        string
	OccurTime  *timestamppb.Timestamp
	RecordTime *timestamppb.Timestamp
	By         string
	StateAfter string
	// Summary says more in the reader's language; SummaryLang is "en"
	// when it is the API's English summary.
	Summary     string
	SummaryLang string
}

// Office is the office an actor acted in, as a key ("agent", "citizen",
// "staff"): a petition's agent is named so, other citizens are signers or
// drafters, and staff act for their council. It never is the account.
func office(role, actor, agent string) string {
	switch role {
	case "citizen":
		if actor != "" && actor == agent {
			return "agent"
		}
		return "citizen"
	case "staff", "admin", "auditor", "advisory", "system":
		return role
	}
	return "unknown"
}

// timeline turns the API's entries into lines for the reader.
func timeline(l *Locale, p *petitionsv1.Petition, entries []*petitionsv1.TimelineEntry) []timelineLine {
	out := make([]timelineLine, 0, len(entries))
	for _, e := range entries {
		t := timelineLine{Act: l.Event(e.GetType()), OccurTime: e.GetOccurTime(), RecordTime: e.GetRecordTime(),
			By: l.T("office." + office(e.GetActorRole(), e.GetActor(), p.GetAgent())), StateAfter: l.E(e.GetStateAfter())}
		if l.Lang == "en" {
			t.Summary, t.SummaryLang = e.GetSummary(), "en"
		} else {
			t.Summary = localSummary(l, p, e.GetType())
		}
		out = append(out, t)
	}
	return out
}

// localSummary says in the reader's language what the API's English
// summary says, from the petition's facts; the texts people wrote
// (reasons, reports) are on the page in their own sections.
func localSummary(l *Locale, p *petitionsv1.Petition, typ string) string {
	switch typ[strings.LastIndex(typ, ".")+1:] {
	case "PetitionDeposited":
		if p.GetReceiptNumber() != "" {
			return l.T("timeline.deposited", p.GetReceiptNumber(), l.Date(p.GetDecisionDeadline()))
		}
	case "AdmissibilityDecided":
		if d := p.GetDecision(); d != nil {
			return l.E(d.GetAdmissibility())
		}
	case "PetitionScheduled":
		if p.GetSession() != "" {
			return l.T("timeline.scheduled", p.GetSession())
		}
	case "PetitionReferredToCommittee":
		if p.GetCommittee() != "" {
			return l.T("timeline.committee", p.GetCommittee())
		}
	case "PetitionDeliberated":
		if p.GetOutcome() != 0 {
			return l.E(p.GetOutcome())
		}
	}
	return ""
}

// CaseState names a case's state given by its short name (DEPOSITED,
// OPEN…) as the audit history gives it: a petition's, a consultation's or
// an opinion's; an unknown one shows as itself.
func (l *Locale) CaseState(short string) string {
	for _, prefix := range []string{"PETITION_STATE_", "CONSULTATION_STATE_", "OPINION_STATE_"} {
		if s, ok := l.msgs["enum."+prefix+short]; ok {
			return s
		}
	}
	return short
}

// Office names the office of an audit history's actor (the history names
// no agent: a citizen is "a citizen").
func (l *Locale) Office(role string) string {
	return l.T("office." + office(role, "", ""))
}

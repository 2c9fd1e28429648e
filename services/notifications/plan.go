package notifications

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	cevents "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	idevents "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	ievents "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	nevents "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	pevents "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	iddomain "github.com/tasharuk/tasharuk/services/identity/domain"
	idomain "github.com/tasharuk/tasharuk/services/information/domain"
	ndomain "github.com/tasharuk/tasharuk/services/notifications/domain"
	pdomain "github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Planner turns each event of the log, in order, into the messages it
// implies. It keeps what later events need (a petition's agent, council
// and receipt; who follows what), and nothing else. It is deterministic:
// two replicas reading one log plan the same messages with the same keys.
type Planner struct {
	mu        sync.Mutex
	petitions map[string]*petition     // by petition stream
	follows   map[string]*follow       // by follow id
	requests  map[string]*request      // by information request stream
	contacts  map[string]sealedContact // identity's contact details, by user key
	erased    map[string]bool          // user keys whose contacts were erased
	position  uint64                   // last event planned
}

type petition struct {
	Name, Council, Agent, Title, Receipt string
	// Language is the agent's, as the petition was filed (empty: the
	// contact's default).
	Language string
	// Deadline is the decision deadline of a deposited petition not yet
	// decided (zero otherwise): what the staff digest lists.
	Deadline time.Time
}

// follow is one follow as the log says it.
type follow struct {
	ID, Target, Language, KeyID string
	Sealed                      []byte
	Confirmed, Ended            bool
}

// NewPlanner returns an empty planner.
func NewPlanner() *Planner {
	return &Planner{petitions: map[string]*petition{}, follows: map[string]*follow{}, requests: map[string]*request{}, contacts: map[string]sealedContact{}, erased: map[string]bool{}}
}

// Milestones a follower is told of: a petition deposited, decided,
// deliberated.
const (
	KindDeposited    = "petition-deposited"
	KindReferred     = "petition-referred"
	KindDecided      = "petition-decided"
	KindScheduled    = "petition-scheduled"
	KindReport       = "petition-committee_report"
	KindDeliberated  = "petition-deliberated"
	KindClosed       = "petition-closed"
	KindFollowDep    = "follow-deposited"
	KindFollowDec    = "follow-decided"
	KindFollowDelib  = "follow-deliberated"
	KindFollowVerify = "follow-confirm"
	KindStaffDigest  = "staff-digest"
	KindConsultation = "consultation-requested"
	KindInfoReceived = "information-received"
	KindInfoExtended = "information-extended"
	KindInfoAnswered = "information-answered"
	KindInfoRefused  = "information-refused"
)

// BodyRecipient prefixes a message for every secretary of an advisory
// body ("body:communes/…/advisoryBodies/…"); the outbox expands it.
const (
	BodyRecipient = "body:"
)

const dateFormat = "2006-01-02"

// Plan applies one event and returns the messages it implies.
func (p *Planner) Plan(e *eventstore.Event, payload proto.Message) []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.position = e.Position
	switch ndomain.Category(e.Stream) {
	case ndomain.FollowCategory:
		return p.planFollow(e, payload)
	case pdomain.PetitionCategory:
	case iddomain.UserCategory:
		p.applyIdentity(payload)
		return nil
	case idomain.RequestCategory:
		return p.planInformation(e, payload)
	case cdomain.ConsultationCategory:
		// An advisory body's secretaries are told of a consultation
		// addressed to their body, with its deadline (law 113-14 art.
		// 119: the body gives its opinion on what the council asks).
		if x, ok := payload.(*cevents.ConsultationRequested); ok && x.GetBody() != "" {
			return []Message{{EventID: e.ID, Position: e.Position, Recipient: BodyRecipient + x.GetBody(), Kind: KindConsultation, Council: x.GetCouncil(),
				Params: map[string]string{"title": x.GetTitle(), "deadline": x.GetDeadline(), "body": x.GetBody()}, RecordedAt: e.RecordedAt}}
		}
		return nil
	default:
		return nil
	}
	if d, ok := payload.(*pevents.PetitionDrafted); ok {
		p.petitions[e.Stream] = &petition{Name: d.GetCouncil() + "/petitions/" + d.GetPetitionId(), Council: d.GetCouncil(), Agent: d.GetAgent(), Title: d.GetTitle(), Language: d.GetAgentLanguage()}
		return nil
	}
	pt := p.petitions[e.Stream]
	if pt == nil {
		return nil
	}
	base := func(kind string, params map[string]string) Message {
		if params == nil {
			params = map[string]string{}
		}
		params["title"] = pt.Title
		if pt.Receipt != "" {
			params["receipt"] = pt.Receipt
		}
		return Message{EventID: e.ID, Position: e.Position, Kind: kind, Council: pt.Council, Petition: pt.Name, Params: params, RecordedAt: e.RecordedAt}
	}
	var agentMsg *Message
	var followKind string
	var followParams map[string]string
	switch x := payload.(type) {
	case *pevents.PetitionDeposited:
		pt.Receipt = x.GetReceiptNumber()
		pt.Deadline = x.GetDecisionDeadline().AsTime()
		m := base(KindDeposited, map[string]string{
			"received": x.GetReceivedAt().AsTime().Format(dateFormat),
			"deadline": x.GetDecisionDeadline().AsTime().Format(dateFormat),
		})
		agentMsg = &m
		followKind, followParams = KindFollowDep, map[string]string{}
	case *pevents.PetitionReferredToBureau:
		m := base(KindReferred, nil)
		agentMsg = &m
	case *pevents.AdmissibilityDecided:
		pt.Deadline = time.Time{}
		params := map[string]string{
			"decision":   decisionWord(x.GetDecision()),
			"reasons":    x.GetReasons(),
			"signatures": strconv.Itoa(int(x.GetValidSignatures())),
			"threshold":  strconv.Itoa(int(x.GetThreshold())),
		}
		m := base(KindDecided, params)
		agentMsg = &m
		followKind, followParams = KindFollowDec, map[string]string{"decision": params["decision"]}
	case *pevents.PetitionScheduled:
		m := base(KindScheduled, map[string]string{"session": x.GetSession()})
		agentMsg = &m
	case *pevents.CommitteeReportRecorded:
		m := base(KindReport, map[string]string{"summary": x.GetSummary()})
		agentMsg = &m
	case *pevents.PetitionDeliberated:
		params := map[string]string{"outcome": outcomeWord(x.GetOutcome()), "summary": x.GetSummary(), "reference": x.GetReference()}
		m := base(KindDeliberated, params)
		agentMsg = &m
		followKind, followParams = KindFollowDelib, map[string]string{"outcome": params["outcome"]}
	case *pevents.PetitionWithdrawn:
		pt.Deadline = time.Time{}
	case *pevents.PetitionClosed:
		m := base(KindClosed, map[string]string{"note": x.GetNote()})
		agentMsg = &m
	}
	var out []Message
	if agentMsg != nil && pt.Agent != "" {
		agentMsg.Recipient, agentMsg.Language = pt.Agent, pt.Language
		out = append(out, *agentMsg)
	}
	if followKind != "" {
		for _, f := range p.followersLocked(pt.Name, pt.Council) {
			m := base(followKind, followParams)
			m.Params = clone(m.Params)
			m.Recipient = "follow:" + f
			m.Unsubscribe = f
			out = append(out, m)
		}
	}
	return out
}

// followersLocked lists the confirmed, current follows of a petition or of
// its council, in id order (deterministic).
func (p *Planner) followersLocked(targets ...string) []string {
	var ids []string
	for _, f := range p.follows {
		if !f.Confirmed || f.Ended {
			continue
		}
		for _, t := range targets {
			if f.Target == t {
				ids = append(ids, f.ID)
				break
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func (p *Planner) planFollow(e *eventstore.Event, payload proto.Message) []Message {
	switch x := payload.(type) {
	case *nevents.FollowRequested:
		p.follows[x.GetFollowId()] = &follow{ID: x.GetFollowId(), Target: x.GetTarget(), Language: x.GetLanguage(), KeyID: x.GetContactKeyId(), Sealed: x.GetContactCiphertext()}
		// Double opt-in: the only message before confirmation is the
		// confirmation link itself.
		return []Message{{EventID: e.ID, Position: e.Position, Recipient: "follow:" + x.GetFollowId(), Kind: KindFollowVerify,
			Params: map[string]string{"target": x.GetTarget()}, RecordedAt: e.RecordedAt}}
	case *nevents.FollowConfirmed:
		if f := p.follows[x.GetFollowId()]; f != nil {
			f.Confirmed = true
		}
	case *nevents.FollowEnded:
		if f := p.follows[x.GetFollowId()]; f != nil {
			f.Ended = true
			f.Sealed = nil
		}
	}
	return nil
}

// Follow returns what the log says of one follow.
func (p *Planner) Follow(id string) (target, language, keyID string, sealed []byte, confirmed, ended, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.follows[id]
	if f == nil {
		return "", "", "", nil, false, false, false
	}
	return f.Target, f.Language, f.KeyID, f.Sealed, f.Confirmed, f.Ended, true
}

// AgentOf returns the agent of a petition's stream, for tests and audits.
func (p *Planner) AgentOf(stream string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pt := p.petitions[stream]; pt != nil {
		return pt.Agent
	}
	return ""
}

func decisionWord(d pevents.Admissibility) string {
	switch d {
	case pevents.Admissibility_ADMISSIBILITY_ADMISSIBLE:
		return "admissible"
	case pevents.Admissibility_ADMISSIBILITY_INADMISSIBLE:
		return "inadmissible"
	}
	return "unknown"
}

func outcomeWord(o pevents.DeliberationOutcome) string {
	switch o {
	case pevents.DeliberationOutcome_DELIBERATION_OUTCOME_APPROVED:
		return "approved"
	case pevents.DeliberationOutcome_DELIBERATION_OUTCOME_PARTLY_APPROVED:
		return "partly_approved"
	case pevents.DeliberationOutcome_DELIBERATION_OUTCOME_REJECTED:
		return "rejected"
	}
	return "unknown"
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// DueItem is one case of a council's staff digest.
type DueItem struct {
	Receipt, Title string
	Deadline       time.Time
}

// Due lists, for each council, the deposited petitions awaiting a decision
// whose deadline (law 113-14 art. 125: three months from deposit, as
// recorded on the receipt) is within soon of now, and those past it.
func (p *Planner) Due(now time.Time, soon time.Duration) map[string][2][]DueItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][2][]DueItem{}
	for _, pt := range p.petitions {
		if pt.Deadline.IsZero() {
			continue
		}
		it := DueItem{Receipt: pt.Receipt, Title: pt.Title, Deadline: pt.Deadline}
		lists := out[pt.Council]
		switch {
		case now.After(pt.Deadline):
			lists[1] = append(lists[1], it)
		case pt.Deadline.Sub(now) <= soon:
			lists[0] = append(lists[0], it)
		default:
			continue
		}
		out[pt.Council] = lists
	}
	for c, lists := range out {
		for i := range lists {
			slices.SortFunc(lists[i], func(a, b DueItem) int { return a.Deadline.Compare(b.Deadline) })
		}
		out[c] = lists
	}
	return out
}

// request is an information request as later events need it.
type request struct {
	Name, Council, Requester, Receipt string
	// Language is the requester's, as the request was filed (empty: the
	// contact's default, Arabic). A snapshot of an older version has
	// none, as the requests it knew had none.
	Language string
}

// planInformation tells the requester of a request filed online (the
// envelope's actor is the citizen's account; a request registered at the
// counter has no account to write to) of its receipt, an extension, and
// the answer or refusal with the exceptions invoked (law 31-13 arts 16,
// 18; art. 7 for the exceptions).
func (p *Planner) planInformation(e *eventstore.Event, payload proto.Message) []Message {
	if x, ok := payload.(*ievents.RequestReceived); ok {
		council, _, _ := strings.Cut(strings.TrimPrefix(x.GetName(), "communes/"), "/")
		r := &request{Name: x.GetName(), Council: "communes/" + council, Receipt: x.GetReceiptNumber(), Language: x.GetRequesterLanguage()}
		if e.Actor.Role == "citizen" {
			r.Requester = e.Actor.Subject
		}
		p.requests[e.Stream] = r
		if r.Requester == "" {
			return nil
		}
		return []Message{{EventID: e.ID, Position: e.Position, Recipient: r.Requester, Language: r.Language, Kind: KindInfoReceived, Council: r.Council,
			Params: map[string]string{"receipt": r.Receipt, "received": x.GetReceivedOn(), "title": x.GetSubject()}, RecordedAt: e.RecordedAt}}
	}
	r := p.requests[e.Stream]
	if r == nil || r.Requester == "" {
		return nil
	}
	m := Message{EventID: e.ID, Position: e.Position, Recipient: r.Requester, Language: r.Language, Council: r.Council, Params: map[string]string{"receipt": r.Receipt}, RecordedAt: e.RecordedAt}
	switch x := payload.(type) {
	case *ievents.RequestExtended:
		m.Kind, m.Params["reasons"] = KindInfoExtended, x.GetReasons()
	case *ievents.RequestAnswered:
		m.Kind = KindInfoAnswered
		if x.GetKind() != ievents.AnswerKind_ANSWER_KIND_FULL {
			m.Kind = KindInfoRefused
			var ex []string
			for _, e := range x.GetExceptions() {
				ex = append(ex, strings.ToLower(strings.TrimPrefix(e.String(), "EXCEPTION_")))
			}
			m.Params["exceptions"] = strings.Join(ex, ", ")
			m.Params["reasons"] = x.GetReasons()
		}
		m.Params["information"] = x.GetInformation()
		m.Params["link"] = x.GetLink()
		m.Params["answered"] = x.GetAnsweredOn()
	default:
		return nil
	}
	return []Message{m}
}

// sealedContact is a contact detail as the identity context records it
// (ContactRecorded): sealed with a data key of the key store.
type sealedContact struct {
	Channel Channel
	Sealed  []byte
	KeyID   string
}

// applyIdentity keeps the last contact detail recorded for each account;
// an erasure removes it (and its key is destroyed by the identity
// context), so the person's pending messages are dropped.
func (p *Planner) applyIdentity(payload proto.Message) {
	switch x := payload.(type) {
	case *idevents.ContactRecorded:
		ch := Email
		if x.GetKind() == idevents.ContactKind_CONTACT_KIND_PHONE {
			ch = SMS
		}
		p.contacts[x.GetUserKey()] = sealedContact{Channel: ch, Sealed: x.GetContactCiphertext(), KeyID: x.GetContactKeyId()}
	case *idevents.ContactErased:
		delete(p.contacts, x.GetUserKey())
		p.erased[x.GetUserKey()] = true
	}
}

func (p *Planner) wasErased(userKey string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.erased[userKey]
}

func (p *Planner) contact(userKey string) (sealedContact, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.contacts[userKey]
	return c, ok
}

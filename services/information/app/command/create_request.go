package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
)

// CreateRequest registers a request for information (law 31-13 art. 14).
type CreateRequest struct {
	Parent string
	// RequestID, when set, makes retries safe.
	RequestID        string
	Channel          ieventsv1.RequestChannel
	RequesterKind    ieventsv1.RequesterKind
	RequesterName    string
	RequesterContact string
	Subject          string
	Urgent           bool
	UrgentReason     string
	// ReceivedOn "YYYY-MM-DD": the official's, for a paper request handed
	// in earlier; empty is today.
	ReceivedOn string
	// Language the requester is written to in ("ar", "fr", "en"; empty
	// is Arabic): the page's on the site.
	Language string
}

// CreateRequestHandler runs CreateRequest.
type CreateRequestHandler struct{ Deps }

// Handle registers the request and returns its resource name and the log
// position written. A citizen's own request is ONLINE, received today, and
// bound to their account by a keyed hash; the official keys in paper,
// email and portal requests. The requester's name and contact are sealed
// with a data key held outside the log.
func (h CreateRequestHandler) Handle(ctx context.Context, actor eventstore.Actor, c CreateRequest) (string, uint64, error) {
	code, err := ParseCouncil(h.Councils, c.Parent)
	if err != nil {
		return "", 0, err
	}
	id := c.RequestID
	if id == "" {
		id = h.IDs.NewID()
	} else if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return "", 0, fault.Field("request_id", "a request id is a lower-case UUID, got %q", id)
	}
	r := Request{Council: c.Parent, Code: code, ID: id}
	key := ""
	if !Official(actor) {
		key = RequesterKey(h.Requesters, code, actor.Subject)
	}
	// A client-chosen id is scoped to its parent and never aliases an
	// existing request, of this council or another (DESIGN.md
	// "Authorization"). A retry of the same request by its author returns
	// it as it is, and takes no receipt number.
	if existing, taken := h.Model.NameOfID(id); taken && existing != r.Name() {
		return "", 0, fault.New(fault.AlreadyExists, domain.ReasonRequestExists, "request id %s is taken: use a fresh UUID", id)
	}
	if st, ok := h.Model.Request(r.Name(), readmodel.AsOf{}); ok {
		if Official(actor) || st.State.RequesterKey == key {
			return r.Name(), 0, nil
		}
		return "", 0, fault.New(fault.AlreadyExists, domain.ReasonRequestExists, "request id %s is taken: use a fresh UUID", id)
	}
	env := h.Env()
	on := env.Today
	if Official(actor) {
		if c.ReceivedOn != "" {
			if on, err = domain.ParseDay(c.ReceivedOn); err != nil {
				return "", 0, fault.Field("received_on", "%v", err)
			}
		}
		if c.Channel == ieventsv1.RequestChannel_REQUEST_CHANNEL_ONLINE {
			return "", 0, fault.Field("channel", "an online request is filed by its requester; key in PAPER, EMAIL or PORTAL requests")
		}
	} else {
		if c.Channel != ieventsv1.RequestChannel_REQUEST_CHANNEL_ONLINE && c.Channel != ieventsv1.RequestChannel_REQUEST_CHANNEL_UNSPECIFIED {
			return "", 0, fault.Field("channel", "a request filed online is ONLINE; paper, email and portal requests are keyed in by the council's official")
		}
		if c.ReceivedOn != "" && c.ReceivedOn != on.Format(domain.DayLayout) {
			return "", 0, fault.Field("received_on", "a request filed online is received today")
		}
		c.Channel = ieventsv1.RequestChannel_REQUEST_CHANNEL_ONLINE
	}
	name, contact := strings.TrimSpace(c.RequesterName), strings.TrimSpace(c.RequesterContact)
	if name == "" || utf8.RuneCountInString(name)+utf8.RuneCountInString(contact) > domain.MaxIdentity {
		return "", 0, fault.Field("requester_name", "give the requester's name (at most %d characters with the contact)", domain.MaxIdentity)
	}
	if contact == "" {
		return "", 0, fault.Field("requester_contact", "give an address, email or phone where the answer is sent (%s)", domain.ArtRequest)
	}
	// Check everything the domain checks before a number is taken.
	probe := domain.Receive{Name: r.Name(), ReceiptNumber: "probe", ReceivedOn: on, Channel: c.Channel, RequesterKind: c.RequesterKind, Subject: c.Subject, Urgent: c.Urgent, UrgentReason: c.UrgentReason, Language: c.Language}
	if _, err := domain.Decide(domain.State{}, probe, env); err != nil {
		return "", 0, err
	}
	keyID, dataKey, err := h.Persons.SealingKey(ctx)
	if err != nil {
		return "", 0, err
	}
	sealed, err := privacy.SealName(dataKey, name+"\n"+contact)
	if err != nil {
		h.Persons.Unused(keyID, dataKey)
		return "", 0, err
	}
	receipt, err := h.issueReceipt(ctx, actor, code, on.Year(), r.Name())
	if err != nil {
		h.Persons.Unused(keyID, dataKey)
		return "", 0, err
	}
	cmd := probe
	cmd.ReceiptNumber, cmd.RequesterKey, cmd.IdentityCiphertext, cmd.IdentityKeyID = receipt, key, sealed, keyID
	pos, err := h.run(ctx, actor, r, nil, cmd)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Reason == domain.ReasonRequestExists {
		h.Persons.Unused(keyID, dataKey)
		return "", 0, fault.New(fault.AlreadyExists, domain.ReasonRequestExists, "request id %s is taken: use a fresh UUID", id)
	}
	if err != nil {
		h.Persons.Unused(keyID, dataKey)
		return "", 0, err
	}
	h.Persons.BindLater(Person(h.Requesters, code, id, key), keyID)
	return r.Name(), pos, nil
}

// issueReceipt takes the next number of the council's receipt ledger for
// year: appended with the revision read, so no two requests share one. A
// number already given to this request is given again.
func (h CreateRequestHandler) issueReceipt(ctx context.Context, actor eventstore.Actor, code string, year int, request string) (string, error) {
	type ledger struct {
		issued int
		mine   string
	}
	var number string
	_, err := es.Execute(ctx, h.Store, h.Registry, domain.ReceiptStream(code, year), actor, h.Now,
		func(l ledger, e *eventstore.Event, p proto.Message) ledger {
			if r, ok := p.(*ieventsv1.ReceiptIssued); ok && r.GetRequest() == request {
				l.mine = r.GetReceiptNumber()
			}
			l.issued++
			return l
		},
		func(l ledger) ([]es.Decided, error) {
			if number = l.mine; number != "" {
				return nil, nil
			}
			number = fmt.Sprintf("%d/%04d", year, l.issued+1)
			return []es.Decided{{Payload: &ieventsv1.ReceiptIssued{ReceiptNumber: number, Request: request}}}, nil
		})
	return number, err
}

package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// commitSignature records an online signature with its account's binding
// in one atomic commit (eventstore.Store.AppendMulti), optimistically:
// without reading either half of the binding, it appends both halves and
// the signature, each stream created only if it does not exist. A first
// signature by a new account — the common case, and the whole of a viral
// petition's load — thus costs one commit and no read. An account whose
// binding this process has already seen (bindingCache: a binding never
// changes once both halves are written) is decided from memory: it signs
// with the signature alone, or is refused at once. Only when the commit is
// refused because a stream exists (the account or the number bound
// already, signed already, on paper, or a racer won) are the halves read
// and the binding decided (commitAfterReading), which gives every refusal
// its reason and leaves the log as it was. On a log without multi-stream
// commits (EventStoreDB) the halves, then the signature, are appended one
// after the other (signSequentially).
func (s *Service) commitSignature(ctx context.Context, actor eventstore.Actor, c domain.Bind, p prepared) (Signed, error) {
	b, known := s.bindings.get(c)
	idEv, accountEv, err := domain.DecideBinding(b, c)
	if err != nil {
		s.unused(p)
		return Signed{}, err
	}
	parts, err := s.halves(actor, c, idEv, accountEv)
	if err != nil {
		s.unused(p)
		return Signed{}, err
	}
	parts = append(parts, eventstore.StreamAppend{Stream: p.stream, Expected: eventstore.NoStream, Events: []eventstore.Proposed{p.event}})
	res, err := s.appendParts(ctx, parts)
	if err == nil {
		if !known {
			s.bindings.put(c)
		}
		s.bound(p)
		return Signed{Ref: Ref(p.key), Position: res[len(res)-1].Position, Assurance: p.assurance}, nil
	}
	var wrong *eventstore.WrongExpectedRevisionError
	switch {
	case errors.Is(err, eventstore.ErrMultiStreamUnsupported):
		return s.signSequentially(ctx, actor, c, p, false)
	case errors.As(err, &wrong):
		// Nothing was written. Read the binding and decide; when it was the
		// signature's stream that exists, only the halves are left to
		// commit.
		return s.commitAfterReading(ctx, actor, c, p, wrong.Stream == p.stream)
	default:
		// The commit may still have landed: the key is not reused.
		return Signed{}, err
	}
}

// appendParts commits parts: one stream with Append, several with
// AppendMulti.
func (s *Service) appendParts(ctx context.Context, parts []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if len(parts) == 1 {
		res, err := s.Store.Append(ctx, parts[0].Stream, parts[0].Expected, parts[0].Events)
		if err != nil {
			return nil, err
		}
		return []eventstore.AppendResult{res}, nil
	}
	return s.Store.AppendMulti(ctx, parts)
}

// commitAfterReading is commitSignature once its optimistic commit was
// refused: the binding is decided from both halves' streams, read at the
// same time (domain.DecideBinding), and the missing halves and the
// signature go in one AppendMulti, each stream expected not to exist. Of
// accounts racing for one number exactly one commit lands; the others
// write nothing, read the binding again and are refused. When the
// signature's stream already exists (signedAlready: signed already, or on
// paper) the halves are committed alone and the signature refused:
// whoever types a number claims it, so an account cannot probe who signed
// with many numbers. A conflict on any stream decides again, with
// es.Execute's budget (es.MaxAttempts, es.RetryFor).
func (s *Service) commitAfterReading(ctx context.Context, actor eventstore.Actor, c domain.Bind, p prepared, signedAlready bool) (Signed, error) {
	// The signature's key is given back once, as soon as the signature
	// is known not to be recorded.
	gaveBack := false
	giveBack := func() {
		if !gaveBack {
			gaveBack = true
			s.unused(p)
		}
	}
	if signedAlready {
		giveBack()
	}
	deadline := time.Now().Add(es.RetryFor)
	for attempt := 1; ; attempt++ {
		parts, err := s.bindingParts(ctx, actor, c)
		if err != nil {
			giveBack()
			return Signed{}, err
		}
		bindsNow := len(parts) > 0
		if signedAlready {
			if bindsNow {
				_, err = s.Store.AppendMulti(ctx, parts)
			}
			if err == nil {
				s.bindings.put(c)
				return Signed{Ref: Ref(p.key)}, s.signedAlready(ctx, p)
			}
		} else {
			parts = append(parts, eventstore.StreamAppend{Stream: p.stream, Expected: eventstore.NoStream, Events: []eventstore.Proposed{p.event}})
			res, err2 := s.appendParts(ctx, parts)
			if err2 == nil {
				s.bindings.put(c)
				s.bound(p)
				return Signed{Ref: Ref(p.key), Position: res[len(res)-1].Position, Assurance: p.assurance}, nil
			}
			err = err2
		}
		var wrong *eventstore.WrongExpectedRevisionError
		switch {
		case errors.As(err, &wrong) && wrong.Stream == p.stream:
			// Nothing was written: the halves go alone, at once.
			signedAlready = true
			giveBack()
			continue
		case errors.Is(err, eventstore.ErrMultiStreamUnsupported):
			return s.signSequentially(ctx, actor, c, p, signedAlready)
		case !errors.Is(err, eventstore.ErrWrongExpectedRevision):
			// The commit may still have landed: the key is not reused.
			return Signed{}, err
		}
		// A half was bound meanwhile: read both again and decide again.
		if attempt >= es.MaxAttempts || time.Now().After(deadline) {
			giveBack()
			return Signed{}, fault.New(fault.Conflict, "REVISION_CONFLICT", "the ID number's binding kept changing; try again")
		}
		if err := es.Backoff(ctx, attempt); err != nil {
			giveBack()
			return Signed{}, err
		}
	}
}

// bindingParts reads both halves of the binding and decides it
// (domain.DecideBinding): the halves still to append, each to a stream
// that must not exist yet.
func (s *Service) bindingParts(ctx context.Context, actor eventstore.Actor, c domain.Bind) ([]eventstore.StreamAppend, error) {
	b, err := s.readBinding(ctx, c)
	if err != nil {
		return nil, err
	}
	idEv, accountEv, err := domain.DecideBinding(b, c)
	if err != nil {
		return nil, err
	}
	return s.halves(actor, c, idEv, accountEv)
}

// halves proposes the binding's halves still to append (idEv, accountEv:
// nil for a half already bound), each to a stream that must not exist
// yet.
func (s *Service) halves(actor eventstore.Actor, c domain.Bind, idEv *petitionseventsv1.NationalIdBound, accountEv *petitionseventsv1.AccountBound) ([]eventstore.StreamAppend, error) {
	var parts []eventstore.StreamAppend
	add := func(stream string, payload proto.Message) error {
		ev, err := s.Registry.Propose(payload, es.Meta{ID: newID(), Actor: actor})
		if err == nil {
			parts = append(parts, eventstore.StreamAppend{Stream: stream, Expected: eventstore.NoStream, Events: []eventstore.Proposed{ev}})
		}
		return err
	}
	if idEv != nil {
		if err := add(domain.NationalIDStream(c.Council, c.SignerKey), idEv); err != nil {
			return nil, err
		}
	}
	if accountEv != nil {
		if err := add(domain.AccountStream(c.Council, c.AccountKey), accountEv); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// signedAlready is the refusal of a signature whose stream exists.
func (s *Service) signedAlready(ctx context.Context, p prepared) error {
	existing, err := s.firstEvent(ctx, p.stream)
	if err != nil {
		return err
	}
	added, _ := existing.(*petitionseventsv1.SignatureAdded)
	return domain.SignedAlready(added, Ref(p.key))
}

// signSequentially is commitSignature on a log without multi-stream
// commits: the binding's halves (bind), then the signature. Between the
// two, the account's half may land while another account wins the number
// (see bind).
func (s *Service) signSequentially(ctx context.Context, actor eventstore.Actor, c domain.Bind, p prepared, signedAlready bool) (Signed, error) {
	if err := s.bind(ctx, actor, c); err != nil {
		if !signedAlready {
			s.unused(p)
		}
		return Signed{}, err
	}
	s.bindings.put(c)
	if signedAlready {
		return Signed{Ref: Ref(p.key)}, s.signedAlready(ctx, p)
	}
	res, err := s.Store.Append(ctx, p.stream, eventstore.NoStream, []eventstore.Proposed{p.event})
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		s.unused(p)
		return Signed{Ref: Ref(p.key)}, s.signedAlready(ctx, p)
	}
	if err != nil {
		// The append may still have landed: the key is not reused.
		return Signed{}, err
	}
	s.bound(p)
	return Signed{Ref: Ref(p.key), Position: res.Position, Assurance: p.assurance}, nil
}

// bindAttempts bounds the re-reads of a binding that another append
// changed meanwhile (each attempt reads both streams again).
const bindAttempts = 3

// bind (on a log without multi-stream commits) binds the account to the
// ID number in the council before the account's signature is appended (domain.DecideBinding), each half's
// stream created only if it does not exist. Both halves are read, then
// written, at the same time (the log packs the two appends into one group
// commit): a first signature costs one round trip more than the signature
// itself, not two. A half already bound to the other is left as it is, so
// a retried signature binds nothing new. Written together, the account's
// half may land while another account wins the number in the same
// instant: the account is then bound to a number it cannot sign with, and
// its person contacts the council — the price of racing for someone's
// number, never of an honest first signature.
func (s *Service) bind(ctx context.Context, actor eventstore.Actor, c domain.Bind) error {
	for range bindAttempts {
		b, err := s.readBinding(ctx, c)
		if err != nil {
			return err
		}
		idEv, accountEv, err := domain.DecideBinding(b, c)
		if err != nil {
			return err
		}
		var idRaced, accountRaced bool
		var idErr, accountErr error
		var wg sync.WaitGroup
		if idEv != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				idRaced, idErr = s.appendNew(ctx, actor, domain.NationalIDStream(c.Council, c.SignerKey), idEv)
			}()
		}
		if accountEv != nil {
			accountRaced, accountErr = s.appendNew(ctx, actor, domain.AccountStream(c.Council, c.AccountKey), accountEv)
		}
		wg.Wait()
		if err := errors.Join(idErr, accountErr); err != nil {
			return err
		}
		if !idRaced && !accountRaced {
			return nil
		}
	}
	return fault.New(fault.Conflict, "REVISION_CONFLICT", "the ID number's binding kept changing; try again")
}

// appendNew creates stream with one event; raced is true when the stream
// already existed (someone bound it meanwhile: read again).
func (s *Service) appendNew(ctx context.Context, actor eventstore.Actor, stream string, payload proto.Message) (raced bool, err error) {
	ev, err := s.Registry.Propose(payload, es.Meta{ID: newID(), Actor: actor})
	if err != nil {
		return false, err
	}
	_, err = s.Store.Append(ctx, stream, eventstore.NoStream, []eventstore.Proposed{ev})
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		return true, nil
	}
	return false, err
}

// readBinding reads both halves of a binding from the log, at the same
// time.
func (s *Service) readBinding(ctx context.Context, c domain.Bind) (domain.Binding, error) {
	var b domain.Binding
	var id proto.Message
	var idErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		id, idErr = s.firstEvent(ctx, domain.NationalIDStream(c.Council, c.SignerKey))
	}()
	account, err := s.boundID(ctx, c.Council, c.AccountKey)
	wg.Wait()
	if err := errors.Join(idErr, err); err != nil {
		return b, err
	}
	if p, ok := id.(*petitionseventsv1.NationalIdBound); ok {
		b.IDAccount = p.GetAccountKey()
	}
	b.AccountID = account
	return b, nil
}

// boundID returns the signer key of the ID number the account is bound to
// in the council, "" for none.
func (s *Service) boundID(ctx context.Context, code, accountKey string) (string, error) {
	ev, err := s.firstEvent(ctx, domain.AccountStream(code, accountKey))
	if err != nil {
		return "", err
	}
	if p, ok := ev.(*petitionseventsv1.AccountBound); ok {
		return p.GetSignerKey(), nil
	}
	return "", nil
}

// firstEvent decodes the first event of a stream; nil when the stream does
// not exist.
func (s *Service) firstEvent(ctx context.Context, stream string) (proto.Message, error) {
	evs, err := s.Store.ReadStream(ctx, stream, 0, 1)
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(evs) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := s.Registry.DecodeEvent(&evs[0])
	if err != nil {
		return nil, fmt.Errorf("petitions: stream %s: %w", stream, err)
	}
	return p, nil
}

// ownSignature is the account's own signature on a petition, read from
// its stream: its first event, and how it stands now.
type ownSignature struct {
	key    string
	added  *petitionseventsv1.SignatureAdded
	events []eventstore.Event
}

// findOwnSignature finds the caller's own signature on the petition n:
// the ID number its account is bound to in the council, then that
// number's signature stream, which must hold a signature made online by
// this account (domain.OwnSignature). ok is false when the account has no
// signature there: no endpoint answers for anyone else's.
func (s *Service) findOwnSignature(ctx context.Context, actor eventstore.Actor, n Name) (ownSignature, bool, error) {
	if actor.Subject == "" {
		return ownSignature{}, false, nil
	}
	accountKey := s.Signers.SignerAccountKey(n.Code, actor.Subject)
	key, err := s.boundID(ctx, n.Code, accountKey)
	if err != nil || key == "" {
		return ownSignature{}, false, err
	}
	evs, err := s.Store.ReadStream(ctx, domain.SignatureStream(n.ID, key), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(evs) == 0) {
		return ownSignature{}, false, nil
	}
	if err != nil {
		return ownSignature{}, false, err
	}
	p, err := s.Registry.DecodeEvent(&evs[0])
	if err != nil {
		return ownSignature{}, false, err
	}
	added, _ := p.(*petitionseventsv1.SignatureAdded)
	if !domain.OwnSignature(added, n.String(), accountKey) {
		return ownSignature{}, false, nil
	}
	return ownSignature{key: key, added: added, events: evs}, true, nil
}

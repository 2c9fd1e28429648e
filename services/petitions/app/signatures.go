package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// Signature is one signature to add.
type Signature struct {
	NationalID string
	FullName   string
	Province   string
	Channel    petitionseventsv1.SignatureChannel
	Batch      string
	// SheetDocument is the scanned sheet a paper import names.
	SheetDocument string
	// AssertedNationalID is the national ID number the caller's identity
	// provider asserts (the claim --oidc-national-id-claim names), "" if
	// none. Online only.
	AssertedNationalID string
}

// Ref is the public reference of a signature: the start of its signer key.
func Ref(signerKey string) string { return signerKey[:12] }

// prepared is a signature decided and ready to append, with the data key
// that sealed its name.
type prepared struct {
	stream  string
	key     string
	event   eventstore.Proposed
	keyID   string
	dataKey []byte
	// assurance is the decided signature's level.
	assurance petitionseventsv1.SignatureAssurance
}

// signer is a signature's input, validated and normalized once: the
// national ID as a signer key (a keyed hash, keyed to the council) and
// the trimmed full name.
type signer struct {
	key, name string
	// account is the signing account's key and asserted the signer key
	// of the ID number its provider asserts (online only).
	account, asserted string
}

// signerInput validates and normalizes a signer's national ID and name.
func (s *Service) signerInput(n Name, nationalID, fullName string) (signer, error) {
	id, err := privacy.NormalizeNationalID(nationalID)
	if err != nil {
		return signer{}, fault.Field("national_id", "%v", err)
	}
	if err := domain.ValidateSignerName(fullName); err != nil {
		return signer{}, err
	}
	return signer{key: s.Signers.SignerKey(n.Code, id), name: strings.TrimSpace(fullName)}, nil
}

// signing is what every signature on a petition is decided with: the
// petition's state and, for a region, its provinces.
type signing struct {
	state     domain.State
	provinces map[string]bool
}

// signingFacts reads the petition and, for a region, its provinces.
func (s *Service) signingFacts(n Name) (signing, error) {
	p, err := s.lookup(n)
	if err != nil {
		return signing{}, err
	}
	f := signing{state: p.State}
	if n.Level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION {
		codes := s.Councils.ChildCodes(n.Code)
		f.provinces = make(map[string]bool, len(codes))
		for _, code := range codes {
			f.provinces[code] = true
		}
	}
	return f, nil
}

// prepare asks the domain to decide one signature (decide is
// domain.DecideSignature, or domain.DecideSignatureRow for a sheet's row),
// then seals the name with a fresh data key into the decided event: a key
// is drawn only for an accepted signature.
func (s *Service) prepare(ctx context.Context, actor eventstore.Actor, n Name, f signing, in signer, sig Signature,
	decide func(domain.State, domain.SignatureFacts, domain.Sign) (*petitionseventsv1.SignatureAdded, error)) (prepared, error) {
	c := domain.Sign{Petition: n.String(), SignerKey: in.key, Channel: sig.Channel, Province: sig.Province, Batch: sig.Batch,
		SheetDocument: sig.SheetDocument, Account: in.account, AssertedSignerKey: in.asserted}
	ev, err := decide(f.state, domain.SignatureFacts{Provinces: f.provinces, Erased: s.Model.Erased(in.key)}, c)
	if err != nil {
		return prepared{}, err
	}
	keyID, dataKey, err := s.Persons.SealingKey(ctx)
	if err != nil {
		return prepared{}, fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	p := prepared{stream: domain.SignatureStream(n.ID, in.key), key: in.key, keyID: keyID, dataKey: dataKey, assurance: ev.GetAssurance()}
	if ev.NameCiphertext, err = privacy.SealName(dataKey, in.name); err != nil {
		s.unused(p)
		return prepared{}, err
	}
	ev.NameKeyId = keyID
	if p.event, err = s.Registry.Propose(ev, es.Meta{ID: newID(), Actor: actor}); err != nil {
		s.unused(p)
		return prepared{}, err
	}
	return p, nil
}

// unused gives back the key of a signature that was not recorded.
func (s *Service) unused(p prepared) { s.Persons.Unused(p.keyID, p.dataKey) }

// bound confirms the key of a recorded signature.
func (s *Service) bound(p prepared) { s.Persons.BindLater(p.key, p.keyID) }

// Sign adds the calling account's signature online: input validated
// once, facts read (the petition, the region's provinces, erasure),
// decided by domain.DecideSignature, the account bound to the ID number in
// the council (domain.DecideBinding: one number per account, one account
// per number, race-free through the log), then appended. The signature's
// own stream is created only if it does not exist, so the log itself
// guarantees one signature per person per petition, without reading
// anything. The binding is written before the signature, even when the
// signature is then refused as already counted: whoever types a number
// claims it, so an account cannot probe who signed with many numbers.
func (s *Service) Sign(ctx context.Context, actor eventstore.Actor, name string, sig Signature) (string, uint64, error) {
	res, err := s.SignOnline(ctx, actor, name, sig)
	return res.Ref, res.Position, err
}

// Signed is the outcome of a signature online.
type Signed struct {
	Ref       string
	Position  uint64
	Assurance petitionseventsv1.SignatureAssurance
}

// SignOnline is Sign, with the signature's level of assurance.
func (s *Service) SignOnline(ctx context.Context, actor eventstore.Actor, name string, sig Signature) (Signed, error) {
	n, err := ParseName(name)
	if err != nil {
		return Signed{}, err
	}
	// Malformed input is reported before the petition's state.
	in, err := s.signerInput(n, sig.NationalID, sig.FullName)
	if err != nil {
		return Signed{}, err
	}
	if actor.Subject == "" {
		return Signed{}, fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "signing online needs a signed-in account")
	}
	in.account = s.Signers.SignerAccountKey(n.Code, actor.Subject)
	if sig.AssertedNationalID != "" {
		// A provider's number that does not parse vouches for nothing the
		// caller could type: refused as not the asserted number.
		in.asserted = "unparsable"
		if id, err := privacy.NormalizeNationalID(sig.AssertedNationalID); err == nil {
			in.asserted = s.Signers.SignerKey(n.Code, id)
		}
	}
	f, err := s.signingFacts(n)
	if err != nil {
		return Signed{}, err
	}
	p, err := s.prepare(ctx, actor, n, f, in, sig, domain.DecideSignature)
	if err != nil {
		return Signed{}, err
	}
	return s.commitSignature(ctx, actor, domain.Bind{Council: n.Code, SignerKey: in.key, AccountKey: in.account}, p)
}

// SignatureCheck is how the caller's own signature on a petition stands.
type SignatureCheck struct {
	Status    petitionsv1.SignatureStatus
	Ref       string
	Assurance petitionseventsv1.SignatureAssurance
}

// CheckSignature tells the calling account whether its own signature on
// the petition counts, read from the log (its binding, then its
// signature's stream): it answers for no one else's, so no ID number is
// taken. An account without a signature there gets
// SIGNATURE_STATUS_UNSPECIFIED.
func (s *Service) CheckSignature(ctx context.Context, actor eventstore.Actor, name string, minPosition uint64) (SignatureCheck, error) {
	n, err := ParseName(name)
	if err != nil {
		return SignatureCheck{}, err
	}
	if err := s.Runner.WaitFor(ctx, minPosition); err != nil {
		return SignatureCheck{}, err
	}
	if _, err := s.lookup(n); err != nil {
		return SignatureCheck{}, err
	}
	own, ok, err := s.findOwnSignature(ctx, actor, n)
	if err != nil || !ok {
		return SignatureCheck{}, err
	}
	st := petitionsv1.SignatureStatus_SIGNATURE_STATUS_VALID
	if len(own.events) > 1 {
		last, err := s.Registry.DecodeEvent(&own.events[len(own.events)-1])
		if err != nil {
			return SignatureCheck{}, err
		}
		switch last.(type) {
		case *petitionseventsv1.SignatureWithdrawn:
			st = petitionsv1.SignatureStatus_SIGNATURE_STATUS_WITHDRAWN
		case *petitionseventsv1.SignatureStruck:
			st = petitionsv1.SignatureStatus_SIGNATURE_STATUS_STRUCK
		}
	}
	return SignatureCheck{Status: st, Ref: Ref(own.key), Assurance: domain.AssuranceOf(own.added)}, nil
}

// WithdrawSignature withdraws the calling account's own signature before
// deposit; an account with no signature on the petition gets
// SIGNATURE_NOT_FOUND and nothing is written.
func (s *Service) WithdrawSignature(ctx context.Context, actor eventstore.Actor, name, reason string) (uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return 0, err
	}
	if utf8.RuneCountInString(reason) > domain.MaxShort {
		return 0, fault.Field("reason", "at most %d characters", domain.MaxShort)
	}
	p, err := s.lookup(n)
	if err != nil {
		return 0, err
	}
	evs, err := domain.DecideSignatureWithdrawal(p.State, domain.WithdrawSignature{Reason: reason})
	if err != nil {
		return 0, err
	}
	own, ok, err := s.findOwnSignature(ctx, actor, n)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fault.New(fault.NotFound, "SIGNATURE_NOT_FOUND", "your account has no signature on this petition")
	}
	return s.endSignature(ctx, actor, n, own.key, evs)
}

// StrikeSignature strikes a signature out (staff), with a reason.
func (s *Service) StrikeSignature(ctx context.Context, actor eventstore.Actor, name, ref, reason string) (uint64, error) {
	n, err := ParseName(name)
	if err != nil {
		return 0, err
	}
	p, err := s.lookup(n)
	if err != nil {
		return 0, err
	}
	key, _, found := s.Model.FindSignature(n.String(), ref)
	evs, err := domain.DecideSignatureStrike(p.State, domain.StrikeSignature{Ref: ref, Reason: reason, Found: found})
	if err != nil {
		return 0, err
	}
	return s.endSignature(ctx, actor, n, key, evs)
}

// endSignature appends a decided withdrawal or strike to a signature that
// still counts: its stream holds only the SignatureAdded (revision 0), so
// the log, not a read, refuses a signature that is missing or already
// ended.
func (s *Service) endSignature(ctx context.Context, actor eventstore.Actor, n Name, key string, evs []domain.Event) (uint64, error) {
	ev, err := s.Registry.Propose(evs[0].Payload, es.Meta{ID: newID(), Actor: actor})
	if err != nil {
		return 0, err
	}
	res, err := s.Store.Append(ctx, domain.SignatureStream(n.ID, key), eventstore.Exact(0), []eventstore.Proposed{ev})
	var wrong *eventstore.WrongExpectedRevisionError
	if errors.As(err, &wrong) {
		if wrong.Actual == eventstore.NoRevision {
			return 0, fault.New(fault.NotFound, "SIGNATURE_NOT_FOUND", "no signature from this person on this petition")
		}
		return 0, fault.New(fault.FailedPrecondition, "SIGNATURE_NOT_VALID", "this signature was already withdrawn or struck out")
	}
	if err != nil {
		return 0, err
	}
	return res.Position, nil
}

// Import limits.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 20000
	importWorkers  = 32
)

// ImportRow is the outcome of one CSV row.
type ImportRow struct {
	Line   int
	Status petitionsv1.ImportRowStatus
	Reason string
	Ref    string
}

// ImportReport is the outcome of a CSV import.
type ImportReport struct {
	Rows                          []ImportRow
	Accepted, Duplicates, Invalid int
	Position                      uint64
}

// ImportSignatures imports a paper signature sheet: a CSV with a header
// naming national_id and full_name (and province for a region). A file
// that is not well-formed imports nothing; each well-formed row gets its
// own outcome: accepted, duplicate (in the file or already signed), or
// invalid with the reason. sheetDoc, if not empty, names the petition's
// attached scanned sheet (DOCUMENT_KIND_SIGNATURE_SHEET) the rows were
// keyed in from; every imported signature records it.
func (s *Service) ImportSignatures(ctx context.Context, actor eventstore.Actor, name string, data []byte, sheetDoc string) (ImportReport, error) {
	n, err := ParseName(name)
	if err != nil {
		return ImportReport{}, err
	}
	rows, err := parseSheet(data)
	if err != nil {
		return ImportReport{}, err
	}
	if sheetDoc != "" {
		// From the petition's own stream, not the read model: the sheet
		// may have been attached a moment ago.
		st, err := s.streamState(ctx, n)
		if err != nil {
			return ImportReport{}, err
		}
		if err := domain.CheckSheetDocument(st, sheetDoc); err != nil {
			return ImportReport{}, err
		}
	}
	f, err := s.signingFacts(n)
	if err != nil {
		return ImportReport{}, err
	}
	// The petition is checked once for the whole sheet; each row is then
	// decided on its own (domain.DecideSignatureRow).
	if err := domain.SignatureAllowed(f.state, petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER); err != nil {
		return ImportReport{}, err
	}
	batch := newID()
	report := ImportReport{Rows: make([]ImportRow, len(rows))}
	seen := map[string]int{} // signer key → first line
	type job struct {
		i int
		p prepared
	}
	var jobs []job
	for i, r := range rows {
		report.Rows[i] = ImportRow{Line: r.line}
		if r.err != "" {
			report.Rows[i].Status, report.Rows[i].Reason = petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_INVALID, r.err
			continue
		}
		p, invalid, err := s.importRow(ctx, actor, n, f, r, batch, sheetDoc)
		if err != nil {
			for _, j := range jobs {
				s.unused(j.p)
			}
			return ImportReport{}, err
		}
		if invalid != "" {
			report.Rows[i].Status, report.Rows[i].Reason = petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_INVALID, invalid
			continue
		}
		report.Rows[i].Ref = Ref(p.key)
		if first, dup := seen[p.key]; dup {
			s.unused(p)
			report.Rows[i].Status = petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_DUPLICATE
			report.Rows[i].Reason = fmt.Sprintf("same person as line %d", first)
			continue
		}
		seen[p.key] = r.line
		jobs = append(jobs, job{i, p})
	}
	// Append concurrently so the store packs the signatures into group
	// commits.
	var mu sync.Mutex
	var firstErr error
	work := make(chan job)
	var wg sync.WaitGroup
	for range importWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				res, err := s.Store.Append(ctx, j.p.stream, eventstore.NoStream, []eventstore.Proposed{j.p.event})
				switch {
				case err == nil:
					s.bound(j.p)
				case errors.Is(err, eventstore.ErrWrongExpectedRevision):
					s.unused(j.p)
				}
				mu.Lock()
				switch {
				case err == nil:
					report.Rows[j.i].Status = petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_ACCEPTED
					report.Position = max(report.Position, res.Position)
				case errors.Is(err, eventstore.ErrWrongExpectedRevision):
					report.Rows[j.i].Status = petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_DUPLICATE
					report.Rows[j.i].Reason = "this person had already signed"
				default:
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return ImportReport{}, firstErr
	}
	for _, r := range report.Rows {
		switch r.Status {
		case petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_ACCEPTED:
			report.Accepted++
		case petitionsv1.ImportRowStatus_IMPORT_ROW_STATUS_DUPLICATE:
			report.Duplicates++
		default:
			report.Invalid++
		}
	}
	return report, nil
}

// importRow decides one well-formed row of a sheet
// (domain.DecideSignatureRow): a signature ready to append, or why the row
// is invalid (bad input, a province outside the region, an erased
// person), or an error that stops the whole import.
func (s *Service) importRow(ctx context.Context, actor eventstore.Actor, n Name, f signing, r sheetRow, batch, sheetDoc string) (prepared, string, error) {
	sig := Signature{NationalID: r.id, FullName: r.name, Province: r.province, Channel: petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER, Batch: batch, SheetDocument: sheetDoc}
	in, err := s.signerInput(n, sig.NationalID, sig.FullName)
	if err == nil {
		var p prepared
		if p, err = s.prepare(ctx, actor, n, f, in, sig, domain.DecideSignatureRow); err == nil {
			return p, "", nil
		}
	}
	var fe *fault.FieldError
	if errors.As(err, &fe) {
		return prepared{}, fe.Error(), nil
	}
	if _, reason, _ := fault.Classify(err); reason == domain.ReasonPersonErased {
		return prepared{}, err.Error(), nil
	}
	return prepared{}, "", err
}

type sheetRow struct {
	line               int
	id, name, province string
	err                string
}

// parseSheet reads the whole CSV before anything is written; a structural
// problem (encoding, header, column count, size) rejects the file.
func parseSheet(data []byte) ([]sheetRow, error) {
	malformed := func(format string, args ...any) error {
		return fault.New(fault.Invalid, "MALFORMED_CSV", "signature sheet not imported, nothing was recorded: "+format, args...)
	}
	if len(data) == 0 {
		return nil, malformed("the file is empty")
	}
	if len(data) > MaxImportBytes {
		return nil, malformed("%d bytes, at most %d", len(data), MaxImportBytes)
	}
	if !utf8.Valid(data) {
		return nil, malformed("the file is not UTF-8 text")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 0
	header, err := r.Read()
	if err != nil {
		return nil, malformed("line 1: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "national_id", "cin":
			col["id"] = i
		case "full_name", "name", "nom":
			col["name"] = i
		case "province":
			col["province"] = i
		}
	}
	if _, ok := col["id"]; !ok {
		return nil, malformed("line 1: the header needs a national_id column")
	}
	if _, ok := col["name"]; !ok {
		return nil, malformed("line 1: the header needs a full_name column")
	}
	var rows []sheetRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed("%v", err)
		}
		// FieldPos is only valid after a successful Read (the fuzzer found
		// a stray quote panicking here).
		line, _ := r.FieldPos(0)
		if len(rows) >= MaxImportRows {
			return nil, malformed("more than %d rows", MaxImportRows)
		}
		row := sheetRow{line: line, id: rec[col["id"]], name: rec[col["name"]]}
		if i, ok := col["province"]; ok {
			row.province = strings.TrimSpace(rec[i])
		}
		if strings.TrimSpace(row.id) == "" {
			row.err = "national_id: empty"
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, malformed("no signature rows after the header")
	}
	return rows, nil
}

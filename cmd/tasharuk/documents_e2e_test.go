package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/privacy"
)

// bucketOf opens, with the service stopped, the documents bucket and the
// key store of the log in e's data folder, as the CLI does.
func bucketOf(t *testing.T, e *env) (jetstream.ObjectStore, *privacy.KeyStore, func()) {
	t.Helper()
	ctx := context.Background()
	sc := storeConfigFor(e)
	sc.KeysDir = keysOf(e.dir)
	ls, err := openQuiet(ctx, sc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(ls.NATS.Conn())
	if err != nil {
		t.Fatal(err)
	}
	obj, err := js.ObjectStore(ctx, documentBucket)
	if err != nil {
		t.Fatal(err)
	}
	_, ks, err := openPersonKeys(ctx, ls, sc, "test")
	if err != nil {
		t.Fatal(err)
	}
	return obj, ks, func() { ks.Close(); ls.Close() }
}

// TestSealedDocumentsEndToEnd (issue 18, documents with personal data): a
// scanned signature sheet (attached without saying it holds personal
// data: its kind does; its replay records nothing, another document under
// its request id is refused) and a proof of residence are stored sealed, each
// with a data key of its own — the bytes in the bucket are not the plain
// bytes, the object's name is not their hash — while their events keep
// the SHA-256 and size of the plain bytes. The council's staff read them
// back in plain; the agent, another citizen, another council's staff and
// anonymous callers cannot; a crafted id is DOCUMENT_NOT_FOUND; a tampered
// ciphertext is DOCUMENT_ALTERED. `privacy erase --document` destroys the
// key and deletes the object and records PetitionDocumentErased; after it
// the document reads DOCUMENT_ERASED, a replayed erasure, an unsealed
// document, a crafted id and another council's name are refused with the
// log unchanged; the export verifies, holds no personal data, and `audit
// document` still proves an exported copy of the erased sheet against its
// event.
func TestSealedDocumentsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-sheet")
	other := e.token(access.RoleCitizen, "", "citizen-sheet-other")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-sheet-zc")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-sheet-kt")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage du douar", Request: "Éclairer la piste du douar.", Reasons: "La piste est dangereuse la nuit."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	petitionID := strings.TrimPrefix(name, "communes/50910113/petitions/")
	sheet := []byte("%PDF-1.4\n% Feuille de signatures n. 1\n% AB123456 Fatima Zahra Alaoui, douar Ait Ali\n% CD654321 Youssef Benali, douar Ait Ali\n%%EOF\n")
	residence := []byte("%PDF-1.4\n% Certificat de residence: Mme Khadija Tazi, CIN EF777777\n%%EOF\n")
	statutes := []byte("%PDF-1.4\n% Reglement interieur du comite de quartier\n%%EOF\n")

	const sheetRequest = "019b0000-0000-7000-8000-0000000005e1"
	attachSheet := func(tok string, content []byte) (*petitionsv1.AttachDocumentResponse, error) {
		return e.petitions.AttachDocument(as(tok), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET,
			FileName: "feuille-1.pdf", Content: content, RequestId: sheetRequest})
	}
	sheetAtt, err := attachSheet(staffZC, sheet)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a replayed attachment records nothing; a different one under its id is refused", func(t *testing.T) {
		head := e.quietHead()
		again, err := attachSheet(staffZC, sheet)
		if err != nil || again.GetDocument().GetDocumentId() != sheetRequest || again.GetDocument().GetKeyId() != sheetAtt.GetDocument().GetKeyId() {
			t.Fatalf("the retry: %v %v", again.GetDocument(), err)
		}
		_, err = attachSheet(staffZC, append([]byte("%PDF-1.4\n% autre feuille\n"), sheet...))
		wantCode(t, err, codes.AlreadyExists, "DOCUMENT_EXISTS")
		_, err = attachSheet(e.token(access.RoleStaff, "50910113", "clerk-sheet-zc-2"), sheet)
		wantCode(t, err, codes.AlreadyExists, "DOCUMENT_EXISTS")
		_, err = attachSheet(staffKT, sheet)
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("another council's staff attach: %v", err)
		}
		if got := e.quietHead(); got != head {
			t.Fatalf("replayed attachments moved the log from %d to %d", head, got)
		}
	})
	resAtt, err := e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER,
		FileName: "residence.pdf", Content: residence, PersonalData: true})
	if err != nil {
		t.Fatal(err)
	}
	plainAtt, err := e.petitions.AttachDocument(as(agent), &petitionsv1.AttachDocumentRequest{Name: name, Kind: petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER,
		FileName: "reglement.pdf", Content: statutes})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(sheet)
	sd := sheetAtt.GetDocument()
	if !sd.GetSealed() || !sd.GetPersonalData() || sd.GetSha256() != hex.EncodeToString(sum[:]) || sd.GetSize() != int64(len(sheet)) ||
		sd.GetKeyId() != "doc.50910113."+petitionID+"."+sd.GetDocumentId() || strings.Contains(sd.GetObject(), sd.GetSha256()) {
		t.Fatalf("the sheet's attachment: %v", sd)
	}
	if !resAtt.GetDocument().GetSealed() || plainAtt.GetDocument().GetSealed() || plainAtt.GetDocument().GetKeyId() != "" {
		t.Fatalf("sealed: residence %v, plain %v", resAtt.GetDocument().GetSealed(), plainAtt.GetDocument().GetSealed())
	}
	sheetName := sheetAtt.GetDocumentName()
	read := func(tok, doc string) ([]byte, error) {
		got, err := e.petitions.GetDocument(as(tok), &petitionsv1.GetDocumentRequest{Name: doc, MinPosition: plainAtt.GetLogPosition()})
		return got.GetContent(), err
	}

	t.Run("staff of the council read them in plain; nobody else", func(t *testing.T) {
		for doc, want := range map[string][]byte{sheetName: sheet, resAtt.GetDocumentName(): residence, plainAtt.GetDocumentName(): statutes} {
			if got, err := read(staffZC, doc); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("staff read %s: %v", doc, err)
			}
		}
		for who, tok := range map[string]string{"the agent": agent, "another citizen": other, "staff of Kasba Tadla": staffKT} {
			if _, err := read(tok, sheetName); status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s reads the sheet: %v", who, err)
			}
		}
		if code, _ := e.rest(http.MethodGet, "/v1/"+sheetName, "", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous read: %d", code)
		}
		// Another council's staff naming the sheet under their own council.
		_, err := read(staffKT, strings.Replace(sheetName, "50910113", "50910107", 1))
		wantCode(t, err, codes.NotFound, "PETITION_NOT_FOUND")
		_, err = read(staffZC, name+"/documents/019b0000-0000-7000-8000-00000000beef")
		wantCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		if code, body := e.rest(http.MethodGet, "/v1/"+name, staffZC, nil, nil); code != 200 || strings.Contains(body, "Alaoui") {
			t.Errorf("the petition view: %d, names a signer: %v", code, strings.Contains(body, "Alaoui"))
		}
	})

	e.stop()
	obj, ks, closeBucket := bucketOf(t, e)
	stored, err := obj.GetBytes(context.Background(), sd.GetObject())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(stored, sheet) || bytes.Contains(stored, []byte("Alaoui")) || bytes.Contains(stored, []byte("AB123456")) || len(stored) <= len(sheet) {
		t.Fatal("the bucket holds the sheet's plain bytes")
	}
	// What the bucket holds is the sheet sealed with its own key.
	if key, err := ks.DocumentKey(context.Background(), sd.GetKeyId()); err != nil {
		t.Fatal(err)
	} else if opened, err := privacy.OpenDocument(key, sd.GetKeyId(), stored); err != nil || !bytes.Equal(opened, sheet) {
		t.Fatalf("the stored bytes do not open with the sheet's key: %v", err)
	}
	if got, err := obj.GetBytes(context.Background(), plainAtt.GetDocument().GetObject()); err != nil || !bytes.Equal(got, statutes) {
		t.Fatalf("a document without personal data is stored as it came: %v", err)
	}
	// A clerk with access to the bucket alters the ciphertext.
	tampered := bytes.Clone(stored)
	tampered[len(tampered)/2] ^= 0x20
	if _, err := obj.PutBytes(context.Background(), sd.GetObject(), tampered); err != nil {
		t.Fatal(err)
	}
	closeBucket()
	e.start()
	_, err = read(staffZC, sheetName)
	wantCode(t, err, codes.DataLoss, "DOCUMENT_ALTERED")
	e.stop()
	obj, _, closeBucket = bucketOf(t, e)
	if _, err := obj.PutBytes(context.Background(), sd.GetObject(), stored); err != nil {
		t.Fatal(err)
	}
	closeBucket()

	erase := func(doc string) (string, error) {
		var out, errOut strings.Builder
		err := runPrivacy(context.Background(), []string{"erase", "--document", doc, "--data-dir", dir}, &out, &errOut)
		return out.String(), err
	}
	before := len(readLog(t, e))
	out, err := erase(sheetName)
	if err != nil || !strings.Contains(out, "erased: document "+sheetName) || !strings.Contains(out, sd.GetKeyId()) {
		t.Fatalf("privacy erase --document: %v %s", err, out)
	}
	if got := len(readLog(t, e)); got != before+1 {
		t.Fatalf("the erasure recorded %d events, want 1", got-before)
	}

	t.Run("refused erasures change nothing", func(t *testing.T) {
		head := len(readLog(t, e))
		for doc, want := range map[string]string{
			sheetName:                  "DOCUMENT_ERASED", // replayed
			plainAtt.GetDocumentName(): "DOCUMENT_NOT_ERASABLE",
			name + "/documents/019b0000-0000-7000-8000-00000000beef":             "DOCUMENT_NOT_FOUND",
			strings.Replace(resAtt.GetDocumentName(), "50910113", "50910107", 1): "PETITION_NOT_FOUND",
		} {
			_, err := erase(doc)
			if _, r, _ := fault.Classify(err); r != want {
				t.Errorf("erase %s: %v, want %s", doc, err, want)
			}
		}
		if got := len(readLog(t, e)); got != head {
			t.Fatalf("refused erasures moved the log from %d to %d events", head, got)
		}
	})

	obj, ks, closeBucket = bucketOf(t, e)
	if _, err := ks.DocumentKey(context.Background(), sd.GetKeyId()); !errors.Is(err, privacy.ErrErased) {
		t.Errorf("the sheet's key after erasure: %v", err)
	}
	if _, err := obj.GetBytes(context.Background(), sd.GetObject()); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("the sheet's object after erasure: %v", err)
	}
	if _, err := ks.DocumentKey(context.Background(), resAtt.GetDocument().GetKeyId()); err != nil {
		t.Errorf("the other document's key: %v", err)
	}
	closeBucket()

	e.start()
	_, err = read(staffZC, sheetName)
	wantCode(t, err, codes.FailedPrecondition, "DOCUMENT_ERASED")
	if !strings.Contains(status.Convert(err).Message(), "erased") {
		t.Errorf("the message: %s", status.Convert(err).Message())
	}
	if got, err := read(staffZC, resAtt.GetDocumentName()); err != nil || !bytes.Equal(got, residence) {
		t.Errorf("the residence proof after the sheet's erasure: %v", err)
	}
	for _, secret := range []string{"Alaoui", "AB123456", "Tazi", "EF777777"} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the server's logs hold %q", secret)
		}
	}
	e.stop()

	export := filepath.Join(t.TempDir(), "export.jsonl")
	var aout, errOut strings.Builder
	if err := runAudit(context.Background(), []string{"export", "--out", export, "--data-dir", dir}, &aout, &errOut); err != nil {
		t.Fatalf("export: %v %s", err, errOut.String())
	}
	aout.Reset()
	if err := runAudit(context.Background(), []string{"verify", export, "--public-key", "@" + filepath.Join(dir, "keys", "checkpoint.pub")}, &aout, &errOut); err != nil || !strings.Contains(aout.String(), "OK") {
		t.Fatalf("verify after the erasure: %v\n%s", err, aout.String())
	}
	b, _ := os.ReadFile(export)
	for _, secret := range []string{"Alaoui", "AB123456", "Tazi", "EF777777"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the export holds %q", secret)
		}
	}
	if !bytes.Contains(b, []byte(`"petitions.PetitionDocumentErased"`)) {
		t.Error("the erasure is not in the export")
	}
	file := filepath.Join(t.TempDir(), "feuille-1.pdf")
	if err := os.WriteFile(file, sheet, 0o600); err != nil {
		t.Fatal(err)
	}
	aout.Reset()
	if err := runAudit(context.Background(), []string{"document", file, "--export", export}, &aout, &errOut); err != nil || !strings.Contains(aout.String(), sd.GetDocumentId()) {
		t.Fatalf("audit document of the erased sheet's copy: %v %s", err, aout.String())
	}
}

// TestSignatureSheetImportEndToEnd (issue 18, "a scanned paper signature
// sheet can be attached to its CSV import"): the council's staff attach
// the scan of a paper sheet, then import its CSV naming that document;
// every imported signature records the sheet's id. Naming a document of
// another kind, another petition's sheet, a crafted id, or (after its
// erasure) the erased sheet is refused with a typed error and the log
// unchanged; another council's staff and a citizen cannot import; the
// same import replayed records nothing more.
func TestSignatureSheetImportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, dir, clock, sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-import-sheet")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-import-zc")
	staffKT := e.token(access.RoleStaff, "50910107", "clerk-import-kt")
	collecting := func(title string) string {
		t.Helper()
		created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: title, Request: "Réparer la piste du douar.", Reasons: "La piste est coupée à chaque pluie."})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPetition().GetName()
		if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		cleared(t, e, nil, name)
		return name
	}
	attach := func(name string, kind petitionseventsv1.DocumentKind, content string) string {
		t.Helper()
		att, err := e.petitions.AttachDocument(as(staffZC), &petitionsv1.AttachDocumentRequest{Name: name, Kind: kind, FileName: "scan.pdf", Content: []byte(content)})
		if err != nil {
			t.Fatal(err)
		}
		return att.GetDocument().GetDocumentId()
	}
	name := collecting("Piste du douar")
	otherName := collecting("Piste de l'autre douar")
	sheetID := attach(name, petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET, "%PDF-1.4\n% feuille 1 scannee\n%%EOF\n")
	otherKindID := attach(name, petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER, "%PDF-1.4\n% plan de la piste\n%%EOF\n")
	otherSheetID := attach(otherName, petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET, "%PDF-1.4\n% feuille de l'autre petition\n%%EOF\n")
	id1, name1 := signer("SH", 1)
	id2, name2 := signer("SH", 2)
	csv := []byte("national_id,full_name\n" + id1 + "," + name1 + "\n" + id2 + "," + name2 + "\n")
	importSheet := func(tok, petition, doc string) (*petitionsv1.ImportSignaturesResponse, error) {
		return e.petitions.ImportSignatures(as(tok), &petitionsv1.ImportSignaturesRequest{Name: petition, Csv: csv, SheetDocumentId: doc})
	}

	t.Run("refused sheets import nothing", func(t *testing.T) {
		head := e.quietHead()
		_, err := importSheet(staffZC, name, otherKindID)
		wantCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		if !strings.Contains(status.Convert(err).Message(), "not a SIGNATURE_SHEET") {
			t.Errorf("the message: %s", status.Convert(err).Message())
		}
		_, err = importSheet(staffZC, name, otherSheetID)
		wantCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		_, err = importSheet(staffZC, name, "019b0000-0000-7000-8000-00000000beef")
		wantCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		_, err = importSheet(staffZC, name, "../../"+sheetID)
		wantCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		for who, tok := range map[string]string{"staff of Kasba Tadla": staffKT, "the agent": agent} {
			if _, err := importSheet(tok, name, sheetID); status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s imports: %v", who, err)
			}
		}
		if got := e.quietHead(); got != head {
			t.Fatalf("refused imports moved the log from %d to %d", head, got)
		}
	})

	rep, err := importSheet(staffZC, name, sheetID)
	if err != nil || rep.GetAccepted() != 2 {
		t.Fatalf("import naming the sheet: %v %v", rep, err)
	}
	head := e.quietHead()
	again, err := importSheet(staffZC, name, sheetID)
	if err != nil || again.GetAccepted() != 0 || again.GetDuplicates() != 2 || e.quietHead() != head {
		t.Fatalf("the replayed import: %v %v, log %d → %d", again, err, head, e.quietHead())
	}
	e.stop()

	// Every imported signature names the sheet.
	ls, err := openQuiet(context.Background(), storeConfigFor(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry()
	named := 0
	for from := uint64(1); ; {
		page, err := ls.Log.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			from = page[i].Position + 1
			p, err := reg.DecodeEvent(&page[i])
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := p.(*petitionseventsv1.SignatureAdded); ok {
				if s.GetPetition() != name || s.GetSheetDocumentId() != sheetID {
					t.Errorf("signature on %s names sheet %q", s.GetPetition(), s.GetSheetDocumentId())
				}
				named++
			}
		}
	}
	ls.Close()
	if named != 2 {
		t.Fatalf("%d signatures recorded, want 2", named)
	}

	// The sheet is erased: a later import cannot name it.
	var out, errOut strings.Builder
	if err := runPrivacy(context.Background(), []string{"erase", "--document", name + "/documents/" + sheetID, "--data-dir", dir}, &out, &errOut); err != nil {
		t.Fatalf("erase the sheet: %v %s", err, errOut.String())
	}
	e.start()
	head = e.quietHead()
	id3, name3 := signer("SH", 3)
	_, err = e.petitions.ImportSignatures(as(staffZC), &petitionsv1.ImportSignaturesRequest{Name: name, Csv: []byte("national_id,full_name\n" + id3 + "," + name3 + "\n"), SheetDocumentId: sheetID})
	wantCode(t, err, codes.FailedPrecondition, "DOCUMENT_ERASED")
	if e.quietHead() != head {
		t.Fatal("an import naming an erased sheet moved the log")
	}
}

// attachAssociationDocuments has the agent attach an association's
// supporting documents (its legal-deposit receipt, which gives its seat
// too, its statutes and its governing body's decision) and returns the
// checklist evidence that names them, as the bureau must (law 113-14
// art. 124; decree 2.16.403).
func attachAssociationDocuments(t *testing.T, pc petitionsv1.PetitionServiceClient, agentTok, name string) []*petitionseventsv1.ConditionEvidence {
	t.Helper()
	id := map[petitionseventsv1.DocumentKind]string{}
	for _, kind := range []petitionseventsv1.DocumentKind{petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT,
		petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES, petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION} {
		att, err := pc.AttachDocument(as(agentTok), &petitionsv1.AttachDocumentRequest{Name: name, Kind: kind, FileName: strings.ToLower(strings.TrimPrefix(kind.String(), "DOCUMENT_KIND_")) + ".pdf",
			Content: []byte("%PDF-1.4\n% " + kind.String() + "\n%%EOF\n")})
		if err != nil {
			t.Fatal(err)
		}
		id[kind] = att.GetDocument().GetDocumentId()
	}
	return []*petitionseventsv1.ConditionEvidence{
		{Condition: "association_constituted", DocumentId: id[petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT]},
		{Condition: "association_statutes", DocumentId: id[petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES]},
		{Condition: "association_seat", DocumentId: id[petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT]},
		{Condition: "governing_body_decision", DocumentId: id[petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION]},
	}
}

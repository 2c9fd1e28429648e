package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// A petition's supporting documents (DESIGN.md "Documents"): its agent
// attaches them from the petition's page before the deposit, the
// council's staff from the management page; both see the list (kind,
// label, size, date, sealed or not). Only staff get a link to the bytes,
// served by documentFile through GetDocument as the signed-in staff
// member; the API decides who may read them. Nothing of a document is
// shown to anyone else.

// uploadSlack is what a multipart body holds beside the file: the CSRF
// token, the kind, the request id and the parts' headers.
const uploadSlack = 64 << 10

// Fields of the upload form, also the fields refusals are shown beside.
const (
	docKindField = "document_kind"
	docFileField = "document_file"
)

// documentKinds are the kinds offered, in the order of decree 2.16.403's
// list of supporting documents.
var documentKinds = []petitionseventsv1.DocumentKind{
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_SIGNATURE_SHEET,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_RESIDENCE_PROOF,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_STATUTES,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_LEGAL_DEPOSIT_RECEIPT,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_SEAT_PROOF,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_GOVERNING_BODY_DECISION,
	petitionseventsv1.DocumentKind_DOCUMENT_KIND_OTHER,
}

// docUpload is the upload form: the kinds, what a refused form chose, and
// the request id that makes a resent form attach nothing more.
type docUpload struct {
	Action    string
	Kinds     []option
	Kind      string
	RequestID string
	Personal  bool
	MaxSize   string
}

// docLine is one attached document as the list shows it.
type docLine struct {
	ID       string
	Kind     petitionseventsv1.DocumentKind
	FileName string
	Size     int64
	Attached *timestamppb.Timestamp
	Sealed   bool
	// URL is the download link, for the council's staff only.
	URL string
}

// documentsView fills the list and, where the reader may attach, the
// form: for the agent before the deposit (on the petition's page) and for
// the council's staff while the petition is not closed or withdrawn (on
// the management page). The API still decides each attachment.
func documentsView(q *rq, d *petitionData, manage bool, form *docUpload) {
	if !d.IsAgent && !d.IsStaff {
		return
	}
	name := d.P.GetName()
	d.Documents = documentLines(d.P, d.Timeline, d.IsStaff)
	d.ShowDocuments = true
	state := d.P.GetState()
	open := false
	if manage {
		open = d.IsStaff && state != petitionseventsv1.PetitionState_PETITION_STATE_CLOSED && state != petitionseventsv1.PetitionState_PETITION_STATE_WITHDRAWN
	} else {
		open = d.IsAgent && slices.Contains([]petitionseventsv1.PetitionState{petitionseventsv1.PetitionState_PETITION_STATE_DRAFT,
			petitionseventsv1.PetitionState_PETITION_STATE_AWAITING_MODERATION, petitionseventsv1.PetitionState_PETITION_STATE_MODERATION_REFUSED,
			petitionseventsv1.PetitionState_PETITION_STATE_COLLECTING}, state)
	}
	// A refused upload comes back with its form, whatever the state, so
	// the refusal is shown beside its field.
	if (!open && form == nil) || q.r.URL.Query().Get("as_of") != "" {
		return
	}
	if form == nil {
		form = &docUpload{}
	}
	if form.RequestID == "" {
		form.RequestID = newDocumentID()
	}
	form.Action = "/" + name + "/documents"
	if manage {
		form.Action = "/" + name + "/manage/documents"
	}
	form.MaxSize = q.L.Size(domain.MaxDocumentBytes)
	for _, k := range documentKinds {
		form.Kinds = append(form.Kinds, option{Value: k.String(), Label: q.L.E(k)})
	}
	d.Upload = form
}

// newDocumentID is the request id of an upload form, a lower-case UUID
// (version 7, so the id also tells when the form was served).
func newDocumentID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// documentLines lists the attached documents with the day each was
// attached (its event's occur time, as the timeline dates acts): the timeline's attaching entries are in the order of the
// attachments, so while none was erased the n-th entry is the n-th
// document; otherwise the day is read from a version-7 id (the web's and
// the API's own), and left out for another id.
func documentLines(p *petitionsv1.Petition, tl []*petitionsv1.TimelineEntry, staff bool) []docLine {
	var attached []*timestamppb.Timestamp
	erased := false
	for _, e := range tl {
		switch e.GetType() {
		case "petitions.PetitionDocumentAttached":
			attached = append(attached, e.GetOccurTime())
		case "petitions.PetitionDocumentErased":
			erased = true
		}
	}
	docs := p.GetDocuments()
	out := make([]docLine, 0, len(docs))
	for i, d := range docs {
		l := docLine{ID: d.GetDocumentId(), Kind: d.GetKind(), FileName: d.GetFileName(), Size: d.GetSize(), Sealed: d.GetSealed()}
		if !erased && len(attached) == len(docs) {
			l.Attached = attached[i]
		} else if u, err := uuid.Parse(l.ID); err == nil && u.Version() == 7 {
			sec, nsec := u.Time().UnixTime()
			l.Attached = &timestamppb.Timestamp{Seconds: sec, Nanos: int32(nsec)}
		}
		if staff && idPattern.MatchString(l.ID) {
			l.URL = "/" + p.GetName() + "/documents/" + l.ID
		}
		out = append(out, l)
	}
	return out
}

// Size writes a number of bytes in the reader's language (KB and MB of
// 1,024).
func (l *Locale) Size(n int64) string {
	switch {
	case n < 1<<10:
		return l.T("doc.size.b", l.Int(n))
	case n < 1<<20:
		return l.T("doc.size.kb", l.decimal(float64(n)/(1<<10)))
	}
	return l.T("doc.size.mb", l.decimal(float64(n)/(1<<20)))
}

// attachDocument attaches the file of an upload form, from the petition's
// page (manage false) or the management page. The body is limited before
// it is parsed: a file over domain.MaxDocumentBytes is refused beside the
// field, and nothing is sent to the API.
func (h *handler) attachDocument(manage bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := h.begin(w, r)
		name, ok := petitionOf(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		again := func(verr *viewError, f *docUpload) {
			if manage {
				h.showManageWith(q, name, verr, nil, f)
				return
			}
			h.showPetition(q, name, verr, func(d *petitionData) { d.docForm = f })
		}
		r.Body = http.MaxBytesReader(w, r.Body, domain.MaxDocumentBytes+uploadSlack)
		err := r.ParseMultipartForm(domain.MaxDocumentBytes + uploadSlack)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			// Nothing of the form can be read (not even its token): the
			// page comes back with the refusal, and nothing was done.
			again(docTooLarge(q.L), nil)
			return
		case err != nil && !errors.Is(err, http.ErrNotMultipart):
			again(fieldError(q.L, docFileField, "doc.nofile"), nil)
			return
		}
		if !h.checkCSRF(r) {
			h.badForm(q)
			return
		}
		f := &docUpload{Kind: q.form("kind"), Personal: r.FormValue("personal_data") != ""}
		if id := q.form("request_id"); id != "" {
			if u, err := uuid.Parse(id); err == nil && u.String() == id {
				f.RequestID = id
			}
		}
		kind := petitionseventsv1.DocumentKind(petitionseventsv1.DocumentKind_value[f.Kind])
		if !slices.Contains(documentKinds, kind) {
			f.Kind = ""
			again(fieldError(q.L, docKindField, "doc.kind.required"), f)
			return
		}
		file, hdr, err := r.FormFile("file")
		if err != nil {
			again(fieldError(q.L, docFileField, "doc.nofile"), f)
			return
		}
		content, err := io.ReadAll(io.LimitReader(file, domain.MaxDocumentBytes+1))
		file.Close()
		if err != nil || len(content) == 0 {
			again(fieldError(q.L, docFileField, "doc.nofile"), f)
			return
		}
		if len(content) > domain.MaxDocumentBytes {
			again(docTooLarge(q.L), f)
			return
		}
		resp, err := h.petitions.AttachDocument(q.ctx, &petitionsv1.AttachDocumentRequest{Name: name, Kind: kind,
			FileName: uploadName(hdr.Filename), Content: content, PersonalData: f.Personal, RequestId: f.RequestID})
		if err != nil {
			v := errorView(q.L, err)
			// Refusals come back beside the file, but one on the kind.
			if v.Field == "kind" {
				v.Field = docKindField
			} else {
				v.Field = docFileField
			}
			again(v, f)
			return
		}
		to := "/" + name
		if manage {
			to += "/manage"
		}
		redirect(q, to, "attached", resp.GetLogPosition(), "")
	}
}

// docTooLarge is the refusal of a file over the limit, before any API
// call (the API refuses it too: DOCUMENT_TOO_LARGE).
func docTooLarge(l *Locale) *viewError {
	v := fieldError(l, docFileField, "doc.toolarge", l.Size(domain.MaxDocumentBytes))
	v.Reason, v.HTTP = "DOCUMENT_TOO_LARGE", http.StatusRequestEntityTooLarge
	return v
}

// uploadName is the label of an uploaded file: its base name (a browser
// may send a whole Windows path), without control characters, at most
// domain.MaxShort characters; "document" when nothing is left.
func uploadName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > domain.MaxShort {
		s = string(r[:domain.MaxShort])
	}
	if s == "" || s == "." || s == ".." {
		return "document"
	}
	return s
}

// documentExt is the file extension of each accepted media type.
var documentExt = map[string]string{
	"application/pdf":           ".pdf",
	"image/jpeg":                ".jpg",
	"image/png":                 ".png",
	"text/plain; charset=utf-8": ".txt",
}

// downloadName is a safe name to save a document under: the label's
// letters, digits and a few punctuation marks, ending with the extension
// of the type sniffed when it was attached (never one the label chose).
func downloadName(label, media string) string {
	ext := documentExt[media]
	if ext == "" {
		ext = ".bin"
	}
	base := strings.TrimSuffix(label, path.Ext(label))
	base = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			return r
		case r == '-' || r == '_' || r == '.' || r == ' ':
			return r
		}
		return '_'
	}, base)
	base = strings.Trim(base, " ._")
	if r := []rune(base); len(r) > 100 {
		base = string(r[:100])
	}
	if base == "" {
		base = "document"
	}
	return base + ext
}

// documentFile serves a document's bytes to whom the API lets read them
// (the council's staff, admins, auditors: GetDocument), as a download.
// Anyone else gets the API's refusal (403 or 404), a visitor 403.
func (h *handler) documentFile(w http.ResponseWriter, r *http.Request) {
	q := h.begin(w, r)
	name, ok := petitionOf(r)
	doc := r.PathValue("doc")
	if !ok || !idPattern.MatchString(doc) {
		h.notFound(w, r)
		return
	}
	if q.user == nil {
		p := h.newPage(q, q.L.T("error.PermissionDenied"), nil)
		p.Err = &viewError{Heading: q.L.T("error.PermissionDenied"), Message: q.L.T("doc.staffonly"), HTTP: http.StatusForbidden}
		h.render(q, http.StatusForbidden, "error", p)
		return
	}
	got, err := h.petitions.GetDocument(q.ctx, &petitionsv1.GetDocumentRequest{Name: name + "/documents/" + doc, MinPosition: minPosition(r)})
	if err != nil {
		h.fail(q, err)
		return
	}
	d := got.GetDocument()
	media := d.GetMediaType()
	if _, ok := documentExt[media]; !ok {
		media = "application/octet-stream"
	}
	hd := w.Header()
	hd.Set("Content-Type", media)
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(d.GetFileName(), d.GetMediaType())})
	if disp == "" {
		disp = `attachment; filename="document` + documentExt[d.GetMediaType()] + `"`
	}
	hd.Set("Content-Disposition", disp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Add("Vary", "Cookie")
	hd.Set("Content-Length", strconv.Itoa(len(got.GetContent())))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(got.GetContent())
}

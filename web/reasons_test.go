package web

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/server"
)

// Every reason of the API's catalogue (server/errors.go) has its text in
// every language, so a refusal never reaches an Arabic or French page as
// English: a reason appended to the catalogue without its ar/fr/en text
// fails here.
func TestEveryCatalogueReasonIsTranslated(t *testing.T) {
	cs := loadTestCatalogues(t)
	if len(server.Catalogue) < 70 {
		t.Fatalf("only %d reasons in the catalogue: is it still server.Catalogue?", len(server.Catalogue))
	}
	for _, e := range server.Catalogue {
		for _, l := range languages {
			s := strings.TrimSpace(cs[l.Code].msgs["reason."+string(e.Reason)])
			if s == "" {
				t.Errorf("%s: reason %s has no text (add reason.%s to web/i18n/%s.json)", l.Code, e.Reason, e.Reason, l.Code)
			}
		}
	}
	// And no catalogue text stands for a reason the API no longer has.
	known := map[string]bool{}
	for _, e := range server.Catalogue {
		known[string(e.Reason)] = true
	}
	for k := range cs["en"].msgs {
		if r, ok := strings.CutPrefix(k, "reason."); ok && !known[r] {
			t.Errorf("reason.%s is translated but not in the catalogue", r)
		}
	}
}

// errorView shows the reason's text in the reader's language, keeps the
// API's English message as the detail, and names the field: from the
// BadRequest of a field error, or the reason's usual field for a rule.
func TestErrorViewSpeaksTheReadersLanguage(t *testing.T) {
	cs := loadTestCatalogues(t)
	rule := server.ToStatus(fault.Rule("REASONS_REQUIRED", "law 113-14 art. 125", "an inadmissible decision needs written reasons (at least 20 characters)"))
	field := server.ToStatus(fault.Field("national_id", "privacy: not a national ID number"))
	for _, c := range []struct {
		err         error
		lang        string
		message     string
		field       string
		http        int
		detailEmpty bool
	}{
		{rule, "ar", cs["ar"].msgs["reason.REASONS_REQUIRED"], "reasons", 422, false},
		{rule, "fr", cs["fr"].msgs["reason.REASONS_REQUIRED"], "reasons", 422, false},
		{field, "ar", cs["ar"].msgs["reason.INVALID_ARGUMENT"], "national_id", 422, false},
		{status.Error(codes.Unavailable, "dial tcp 10.0.0.1: refused"), "fr", cs["fr"].msgs["error.unexpected"], "", 503, true},
		{errors.New("not a status"), "fr", cs["fr"].msgs["error.unexpected"], "", 500, true},
	} {
		v := errorView(cs[c.lang], c.err)
		if v.Message != c.message || v.Field != c.field || v.HTTP != c.http || (v.Detail == "") != c.detailEmpty {
			t.Errorf("%s %v: got message %q field %q HTTP %d detail %q", c.lang, c.err, v.Message, v.Field, v.HTTP, v.Detail)
		}
		if c.lang == "ar" && strings.ContainsAny(v.Message, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("an Arabic page shows Latin text: %q", v.Message)
		}
	}
	// A field violation wins over the reason's usual field.
	st, _ := status.New(codes.FailedPrecondition, "x").WithDetails(&errdetails.ErrorInfo{Reason: "REASONS_REQUIRED"},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "summary"}}})
	if v := errorView(cs["en"], st.Err()); v.Field != "summary" || !v.For("summary") || v.For("reasons") {
		t.Errorf("field %q", v.Field)
	}
	var none *viewError
	if none.For("reasons") {
		t.Error("no error concerns a field")
	}
}

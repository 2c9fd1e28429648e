package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"
)

func getBody(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// The service serves its OpenAPI description, the committed one, as JSON.
func TestAPIDocsOpenAPIServed(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, "")

	resp, body := getBody(t, e.base+"/openapi.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	committed, err := os.ReadFile(filepath.Join(repoRoot(t), "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(committed) {
		t.Fatal("/openapi.json is not api/openapi.json")
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.IsOpenAPI31OrLater()); err != nil {
		t.Fatalf("served document: %v", err)
	}
	if doc.Paths.Value("/v1/communes/{commune}/petitions/{petition}:sign") == nil {
		t.Error("served document lacks the sign path")
	}

	// The docs page and its vendored renderer, from this server only.
	resp, body = getBody(t, e.base+"/docs")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Content-Security-Policy") != "default-src 'self'" {
		t.Errorf("/docs CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
	page := string(body)
	if !strings.Contains(page, `src="/docs/redoc.standalone.js"`) || strings.Contains(page, "://") {
		t.Errorf("/docs must load the vendored renderer and nothing from elsewhere:\n%s", page)
	}
	for _, f := range []string{"redoc.standalone.js", "redoc.LICENSE"} {
		if resp, _ := getBody(t, e.base+"/docs/"+f); resp.StatusCode != http.StatusOK {
			t.Errorf("/docs/%s: %d", f, resp.StatusCode)
		}
	}
}

// /docs renders every operation in the real Chromium under the site's CSP,
// with no console error (a CSP refusal is one).
func TestAPIDocsRenderInBrowser(t *testing.T) {
	chromiumPath(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, "")
	b := newBrowser(t, e.base, artifactsDir(t), "", "en")

	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(b.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Source == log.EntrySourceSecurity || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				problems = append(problems, fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console.error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text+" "+ev.ExceptionDetails.Exception.Description)
		}
	}); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(filepath.Join(repoRoot(t), "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ops := 0
	for _, item := range doc.Paths {
		ops += len(item)
	}

	b.open("/docs")
	// Redoc gives each operation a section "operation/<operationId>".
	rendered, err := chromedp.Run(b.ctx, chromedp.Poll[int](
		`(() => { const n = document.querySelectorAll('[data-section-id^="operation/"]').length; return n >= `+fmt.Sprint(ops)+` ? n : 0; })()`,
		chromedp.WithPollingTimeout(90*time.Second), chromedp.WithPollingInterval(200*time.Millisecond)))
	if err != nil {
		n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-section-id^="operation/"]').length`))
		t.Fatalf("/docs rendered %d of %d operations: %v; browser said %v", n, ops, err, problems)
	}
	if rendered != ops {
		t.Errorf("/docs rendered %d operation sections, the document has %d operations", rendered, ops)
	}
	title := b.text("h1")
	if !strings.Contains(title, "tasharuk API") {
		t.Errorf("/docs heading %q", title)
	}
	// Styled as Redoc styles itself (its CSS reaches the page although the
	// CSP refuses inline styles): headings in its font, rules in place.
	font, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('h1')).fontFamily`))
	if err != nil || !strings.Contains(font, "Montserrat") {
		t.Errorf("/docs h1 font %q (%v): Redoc's styles were not applied", font, err)
	}
	rules, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`[...document.styleSheets, ...document.adoptedStyleSheets].reduce((n, s) => n + s.cssRules.length, 0)`))
	if err != nil || rules < 100 {
		t.Errorf("/docs has %d CSS rules (%v): Redoc's styles were not applied", rules, err)
	}
	sign := b.text(`[data-section-id="operation/PetitionService_SignPetition"]`)
	for _, want := range []string{"/v1/communes/{commune}/petitions/{petition}:sign", "bearerAuth"} {
		if !strings.Contains(sign, want) {
			t.Errorf("SignPetition section lacks %q:\n%s", want, sign)
		}
	}
	// The viewport only: the whole page is tens of thousands of pixels.
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "api-docs.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) != 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(problems, "\n"))
	}
}

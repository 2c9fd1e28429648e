package main

import (
	"context"
	"encoding/json"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tasharuk/tasharuk/access"
)

// chromiumPath finds the browser the web tests drive: $TASHARUK_CHROMIUM,
// /usr/bin/chromium, or chromium on the PATH. CI installs it (.ci/run);
// without it the test fails rather than skips, so a missing browser is
// never mistaken for a pass.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TASHARUK_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("TASHARUK_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("no Chromium found: set TASHARUK_CHROMIUM or install Debian's chromium (apt-get install -y chromium; .ci/run does it)")
	return ""
}

// axeSource reads axe-core: $TASHARUK_AXE_JS, or
// $(go env GOPATH)/pkg/axe-core/axe.min.js where .ci/run installs it.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("TASHARUK_AXE_JS")
	if p == "" {
		p = filepath.Join(build.Default.GOPATH, "pkg", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("axe-core not found at %s (%v): install it with npm install --prefix \"$(go env GOPATH)/pkg/axe-core-npm\" axe-core@4.10.2 and copy node_modules/axe-core/axe.min.js there (.ci/run does it), or set TASHARUK_AXE_JS", p, err)
	}
	return string(b)
}

// artifactsDir is where screenshots go: $TASHARUK_ARTIFACTS, or a
// temporary folder.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TASHARUK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	t.Logf("screenshots in %s", abs)
	return abs
}

// catalogue reads a language's message catalogue, so the test expects
// what a reader of that language sees.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		t.Fatal("repository root not found")
	}
	b, err := os.ReadFile(filepath.Join(dir, "web", "i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	axe  string
	lang string
	out  *syncBuffer
	// visited are the paths opened, in order, each once: the phone check
	// opens them all again.
	visited []string
}

func newBrowser(t *testing.T, base, shots, axe, lang string) *browser {
	t.Helper()
	out := &syncBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// One guard for the whole scenario: a hung browser fails the test.
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	return &browser{t: t, ctx: ctx, base: base, dir: shots, axe: axe, lang: lang, out: out}
}

// do runs actions, failing the test with what it was doing.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path and waits for the page.
func (b *browser) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status >= 500 {
		b.t.Fatalf("open %s: HTTP %d", path, resp.Status)
	}
	if !slices.Contains(b.visited, path) {
		b.visited = append(b.visited, path)
	}
}

// fitsPhone opens every page visited so far on a 390×844 phone and fails
// for each one wider than the screen (document.documentElement.scrollWidth
// or innerWidth over 390: the start of an Arabic line cut off, a table or
// a chart sticking out) or with chart labels under 12 px, checking each
// with axe-core too.
func (b *browser) fitsPhone(a11y func(page string)) {
	b.t.Helper()
	b.do("emulate a 390×844 phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(3)))
	for _, p := range slices.Clone(b.visited) {
		b.open(p)
		// Wider than the screen either way: the document scrolls sideways,
		// or (right to left) something starts off the screen's left edge,
		// where no scrolling reaches; what a scrolling box holds (a wide
		// table in .scroll) is the box's, not the page's. Chart labels
		// drawn under 12 px count too.
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
			// The phone's width, not innerWidth: a mobile browser widens
			// its layout viewport to a page that does not fit (innerWidth
			// then says 612 on a 390 px screen).
			const w = 390, d = document.documentElement, out = [];
			const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "");
			const boxed = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) { const o = getComputedStyle(a).overflowX; if (o !== "visible") return true; } return false; };
			if (d.scrollWidth > w || window.innerWidth > w) out.push("document " + d.scrollWidth + ", viewport " + window.innerWidth + " > " + w);
			for (const el of document.querySelectorAll("body *")) {
				if (out.length >= 6) break;
				const r = el.getBoundingClientRect();
				if (r.width === 0 || el.closest(".visually-hidden, .skip")) continue;
				if ((r.right > w + 1 || r.left < -1) && !boxed(el)) out.push(name(el) + " " + Math.round(r.left) + ".." + Math.round(r.right));
			}
			for (const t of document.querySelectorAll("figure.chart svg text")) {
				const h = t.getBoundingClientRect().height;
				if (h > 0 && h < 12) { out.push("chart label " + JSON.stringify(t.textContent) + " " + h.toFixed(1) + " px"); break; }
			}
			return out.join(", ");
		})()`))
		if err != nil {
			b.t.Fatalf("width of %s: %v", p, err)
		}
		if wide != "" {
			b.t.Errorf("%s (%s) is wider than a 390 px phone: %s", p, b.lang, wide)
		}
		a11y("phone " + strings.SplitN(p, "?", 2)[0])
	}
	b.do("back to the desktop", chromedp.EmulateViewport(1366, 900))
}

// submit clicks a form's button and waits for the page it leads to.
func (b *browser) submit(what, button string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status >= 300 {
		body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
		b.t.Fatalf("%s: HTTP %d\n%s", what, resp.Status, body)
	}
}

// text returns an element's visible text.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// location is the page's path.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], b.base)
}

// shot saves a full-page PNG of the current page.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, fullPagePNG())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.dir, b.lang+"-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fullPagePNG captures the whole page, beyond the viewport.
func fullPagePNG() chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		size := m.CSSContentSize
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: ptrTo(true),
			FromSurface:           ptrTo(true),
			Clip:                  &page.Viewport{X: 0, Y: 0, Width: size.Width, Height: size.Height, Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

func ptrTo[T any](v T) *T { return &v }

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the current page and fails on any
// violation.
func (b *browser) accessible(page string) []axeViolation {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("inject axe-core on %s: %v", page, err)
	}
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe.run on %s: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		b.t.Fatalf("axe result on %s: %v", page, err)
	}
	// No violation at all, whatever its impact (issue 22, acceptance 4).
	for _, v := range vs {
		b.t.Errorf("%s (%s): axe %s violation %s: %s at %v", page, b.lang, v.Impact, v.ID, v.Help, v.Nodes)
	}
	return vs
}

// TestWebBrowser runs the acceptance scenario in a real headless Chromium,
// in Arabic and in French: a citizen signs in, files a petition in Zaouiat
// Cheikh, opens and signs it and sees that the signature counts; staff of
// the commune sign in, register the deposit and decide it inadmissible
// with reasons through the checklist form; the public petition page shows
// the outcome and the reasons, and the commune page its figures and SVG
// charts. Full-page screenshots are saved, and axe-core checks the main
// pages for serious or critical accessibility violations.
func TestWebBrowser(t *testing.T) {
	chromiumPath(t)
	axe := axeSource(t)
	shots := artifactsDir(t)
	clock := &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"))

	var (
		mu      sync.Mutex
		checked = map[string]int{}
	)
	scenario := map[string]struct {
		title, request, reasons, decision, nationalID, fullName string
	}{
		"ar": {
			title:      "تهيئة ساحة لعب للأطفال بحي الأمل",
			request:    "إدراج تهيئة ساحة لعب للأطفال بحي الأمل في جدول أعمال المجلس.",
			reasons:    "يلعب أطفال الحي في الشارع لغياب أي فضاء آمن.",
			decision:   "لم يبلغ عدد التوقيعات الصحيحة الحد الأدنى المطلوب قانونًا (100 توقيع).",
			nationalID: "WA100001", fullName: "Zineb Secretname-AR",
		},
		"fr": {
			title:      "Aire de jeux au quartier Al Amal",
			request:    "Inscrire à l'ordre du jour l'aménagement d'une aire de jeux pour enfants au quartier Al Amal.",
			reasons:    "Les enfants du quartier jouent dans la rue, faute d'espace sûr.",
			decision:   "Le nombre minimal de signatures valides (100) n'est pas atteint.",
			nationalID: "WF100001", fullName: "Zineb Secretname-FR",
		},
	}
	for _, lang := range []string{"ar", "fr"} {
		s := scenario[lang]
		t.Run(lang, func(t *testing.T) {
			msg := catalogue(t, lang)
			b := newBrowser(t, e.base, shots, axe, lang)
			a11y := func(page string) {
				b.accessible(page)
				mu.Lock()
				checked[page]++
				mu.Unlock()
			}

			// The public region page, in the chosen language.
			b.open("/regions/beni-mellal-khenifra?lang=" + lang)
			if got := b.text("h1"); !strings.Contains(got, map[string]string{"ar": "جهة بني ملال خنيفرة", "fr": "Khénifra"}[lang]) {
				t.Fatalf("region page heading %q", got)
			}
			dir, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.dir + " " + document.documentElement.lang`))
			if err != nil || dir != map[string]string{"ar": "rtl ar", "fr": "ltr fr"}[lang] {
				t.Fatalf("<html dir lang> = %q (%v)", dir, err)
			}
			b.shot("region")
			a11y("region")

			// A citizen signs in by pasting a token.
			b.open("/signin")
			a11y("signin")
			b.do("paste the citizen's token", chromedp.SetValue(chromedp.ID("token"), e.token(access.RoleCitizen, "", "agent-"+lang)))
			b.submit("sign in as citizen", "#signin-submit")
			if got := b.text("#flash"); got != msg["flash.signed_in"] {
				t.Fatalf("after sign-in: %q", got)
			}

			// Files a petition in Zaouiat Cheikh.
			b.open("/communes/50910113/petitions/new")
			b.do("fill the draft",
				chromedp.Click(chromedp.ID("kind-citizens")),
				chromedp.SendKeys(chromedp.ID("title"), s.title),
				chromedp.SendKeys(chromedp.ID("request"), s.request),
				chromedp.SendKeys(chromedp.ID("reasons"), s.reasons))
			b.shot("draft")
			a11y("draft")
			b.submit("file the petition", "#draft-submit")
			path := b.location()
			if !strings.HasPrefix(path, "/communes/50910113/petitions/") {
				t.Fatalf("after filing: at %s", path)
			}
			if got := b.text("h1"); got != s.title {
				t.Fatalf("petition title %q, want %q", got, s.title)
			}

			// Opens it to signatures and signs it.
			b.submit("open to signatures", "#open-button")
			if got := b.text("#state"); got != msg["enum.PETITION_STATE_AWAITING_MODERATION"] {
				t.Fatalf("state after opening: %q", got)
			}
			// The council's moderation clears it; it then collects.
			cleared(t, e, nil, strings.TrimPrefix(path, "/"))
			b.open(path)
			if got := b.text("#state"); got != msg["enum.PETITION_STATE_COLLECTING"] {
				t.Fatalf("state after moderation: %q", got)
			}
			b.do("fill the signature",
				chromedp.SendKeys(chromedp.ID("national_id"), s.nationalID),
				chromedp.SendKeys(chromedp.ID("full_name"), s.fullName))
			b.submit("sign", "#sign-form button[type=submit]")
			if got := b.text("#signatures-valid"); got != "1" {
				t.Fatalf("valid signatures after signing: %q", got)
			}
			// …and sees that the signature counts: their own, so no ID
			// number is asked for (issue 16).
			b.submit("check the signature", "#check-form button[type=submit]")
			if got := b.text("#signature-status"); !strings.HasPrefix(got, msg["enum.SIGNATURE_STATUS_VALID"]) {
				t.Fatalf("signature status %q, want %q", got, msg["enum.SIGNATURE_STATUS_VALID"])
			}
			b.shot("petition-signed")

			// Staff of Zaouiat Cheikh sign in: their desk lists the petition.
			b.open("/signin")
			b.do("paste the staff token", chromedp.SetValue(chromedp.ID("token"), e.token(access.RoleStaff, "50910113", "clerk-"+lang)))
			b.submit("sign in as staff", "#signin-submit")
			if loc := b.location(); loc != "/communes/50910113/desk" {
				t.Fatalf("staff landed on %s", loc)
			}
			b.shot("desk")
			a11y("desk")
			b.open(path + "/manage")
			b.submit("register the deposit", "#deposit-submit")
			if got := b.text("#receipt"); !strings.HasPrefix(got, "50910113-2026-") {
				t.Fatalf("receipt %q", got)
			}
			b.submit("refer to the bureau", "#refer-submit")
			if got := b.text("#state"); got != msg["enum.PETITION_STATE_UNDER_REVIEW"] {
				t.Fatalf("state after referral: %q", got)
			}
			a11y("decision")
			b.do("fill the decision form",
				chromedp.Click(chromedp.ID("chk-agent_designated")),
				chromedp.Click(chromedp.ID("chk-within_council_powers")),
				chromedp.Click(chromedp.ID("chk-no_excluded_subject")),
				chromedp.Click(chromedp.ID("adm-inadmissible")),
				chromedp.SendKeys(chromedp.ID("reasons"), s.decision))
			b.shot("decision-form")
			b.submit("decide", "#decide-submit")
			if got := b.text("#state"); got != msg["enum.PETITION_STATE_INADMISSIBLE"] {
				t.Fatalf("state after the decision: %q", got)
			}

			// Signed out, the public petition page shows the outcome.
			b.submit("sign out", `form[action="/signout"] button`)
			b.open(path)
			if got := b.text("#decision-outcome"); got != msg["enum.ADMISSIBILITY_INADMISSIBLE"] {
				t.Fatalf("public outcome %q", got)
			}
			if got := b.text("#decision-reasons"); got != s.decision {
				t.Fatalf("public reasons %q, want %q", got, s.decision)
			}
			html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(html, "Secretname") || strings.Contains(html, s.nationalID) {
				t.Fatal("the public page shows the signer's name or national ID")
			}
			b.shot("petition-public")
			a11y("petition")

			// The commune page: figures and SVG charts.
			b.open("/communes/50910113")
			if got := b.text("#fig-deposited"); got == "0" || got == "" {
				t.Fatalf("deposited petitions on the commune page: %q", got)
			}
			n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#charts svg[role=img] rect.bar").length`))
			if err != nil || n == 0 {
				t.Fatalf("commune page charts: %d bars (%v)", n, err)
			}
			b.shot("commune")
			a11y("commune")
			for _, p := range []string{"/", "/communes/50910113/advisoryBodies", "/audit", "/audit/checkpoints", "/open-data", "/audit/history?name=" + strings.TrimPrefix(path, "/")} {
				b.open(p)
				a11y(strings.SplitN(p, "?", 2)[0])
			}

			// Every page visited, on a 390 px phone: none wider than the
			// screen, none with an axe-core violation.
			b.fitsPhone(a11y)

			// Readable on a small phone: no horizontal scrolling.
			b.do("emulate a phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
			b.open(path)
			wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil || wide {
				t.Fatalf("the petition page scrolls sideways on a 360 px phone (%v)", err)
			}
			b.shot("petition-phone")
			top, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, lang+"-petition-phone-screen.png"), top, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, p := range []string{"region", "commune", "petition", "signin", "decision"} {
		if checked[p] == 0 {
			t.Errorf("axe-core did not check the %s page", p)
		}
	}
	t.Logf("axe-core checked: %v", fmt.Sprint(checked))
}

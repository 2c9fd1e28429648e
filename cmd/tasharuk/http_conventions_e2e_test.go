package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tasharuk/tasharuk/access"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	territoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/v1"
)

// conventionsClock is the service's clock in these tests.
func conventionsClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

// TestStartupLogURL: the start-up log names the URL the service answers
// at, with the scheme and the address really bound (issue 14).
func TestStartupLogURL(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	var url string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "serving" {
			continue
		}
		url, _ = rec["url"].(string)
	}
	if url != e.base {
		t.Fatalf("start-up log: url %q, want %q (the address the test bound)", url, e.base)
	}
	// The URL is the one that answers.
	if code, body := e.rest("GET", "/healthz", "", nil, nil); code != 200 {
		t.Fatalf("GET %s/healthz: %d %s", url, code, body)
	}
}

// TestGRPCHealthPerService: grpc.health.v1 answers SERVING for the server
// ("") and for every service it registers, by full name; an unknown name
// is NOT_FOUND (issue 14: it only answered for "").
func TestGRPCHealthPerService(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), "")
	hc := healthpb.NewHealthClient(e.conn)
	for _, name := range []string{
		"",
		petitionsv1.PetitionService_ServiceDesc.ServiceName,
		territoryv1.TerritoryService_ServiceDesc.ServiceName,
		statusv1.StatusService_ServiceDesc.ServiceName,
		advisoryv1.AdvisoryService_ServiceDesc.ServiceName,
		consultationsv1.ConsultationService_ServiceDesc.ServiceName,
		auditv1.AuditService_ServiceDesc.ServiceName,
		eventlogv1.EventLogService_ServiceDesc.ServiceName,
	} {
		resp, err := hc.Check(e.ctxBG(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil {
			t.Fatalf("health of %q: %v", name, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health of %q: %v, want SERVING", name, resp.GetStatus())
		}
	}
	_, err := hc.Check(e.ctxBG(), &healthpb.HealthCheckRequest{Service: "tasharuk.nothing.v1.NoService"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("health of an unknown service: %v, want NotFound", err)
	}
}

// rawGet fetches path with the headers given, without the transport's
// transparent decompression, and returns the response and its raw body.
func rawGet(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

// TestGzipResponses: with Accept-Encoding: gzip the region roll-up (REST),
// a web page and an open-data file come gzipped, each the same bytes as
// the plain answer, with Vary: Accept-Encoding; tiny bodies are sent
// plain; /metrics, which compresses itself, is compressed once (issue 14:
// the roll-up was sent uncompressed).
func TestGzipResponses(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), sharedData(t, "bmk_communes_2024.csv"))
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, path := range []string{
		"/v1/regions/beni-mellal-khenifra/councilStatuses",
		"/",
		"/open-data/regions/beni-mellal-khenifra/statuses.csv",
	} {
		plainResp, plain := rawGet(t, e.base+path, nil)
		if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("GET %s without Accept-Encoding: %d, Content-Encoding %q", path, plainResp.StatusCode, plainResp.Header.Get("Content-Encoding"))
		}
		if len(plain) < 1024 {
			t.Fatalf("GET %s: %d bytes, the test needs a body over 1 KB", path, len(plain))
		}
		resp, body := rawGet(t, e.base+path, gz)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s with Accept-Encoding: gzip: %d, Content-Encoding %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("GET %s: Vary %q does not name Accept-Encoding", path, resp.Header.Values("Vary"))
		}
		if len(body) >= len(plain) {
			t.Fatalf("GET %s: %d bytes gzipped, %d plain", path, len(body), len(plain))
		}
		if got := gunzip(t, body); !bytes.Equal(got, plain) && path != "/" {
			t.Fatalf("GET %s: the gunzipped body differs from the plain one", path)
		} else if path == "/" && !bytes.Contains(got, []byte("</html>")) {
			t.Fatalf("GET /: the gunzipped page is not a page:\n%.300s", got)
		}
		t.Logf("GET %s: %d bytes, %d gzipped", path, len(plain), len(body))
	}
	// A tiny body is not worth compressing.
	if resp, body := rawGet(t, e.base+"/healthz", gz); resp.Header.Get("Content-Encoding") != "" || string(body) != "ok\n" {
		t.Fatalf("/healthz: Content-Encoding %q, body %q", resp.Header.Get("Content-Encoding"), body)
	}
	// /metrics is compressed by promhttp, once.
	resp, body := rawGet(t, e.base+"/metrics", gz)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("/metrics: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if m := gunzip(t, body); !bytes.Contains(m, []byte("# HELP tasharuk_rpc_requests_total")) {
		t.Fatalf("/metrics gunzipped once is not the metrics text:\n%.200q", m)
	}
	// gRPC is not touched: a call still works through the same port.
	if _, err := e.log.GetLogInfo(e.ctxBG(), &eventlogv1.GetLogInfoRequest{}); err != nil {
		t.Fatalf("gRPC beside gzip: %v", err)
	}
}

// gatewayStatus is the google.rpc.Status JSON of a REST error.
type gatewayStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type       string            `json:"@type"`
		Reason     string            `json:"reason"`
		Domain     string            `json:"domain"`
		Metadata   map[string]string `json:"metadata"`
		RetryDelay string            `json:"retryDelay"`
	} `json:"details"`
}

// errorInfo decodes a REST error body and returns its status and the
// ErrorInfo's reason ("" if it has none).
func errorInfo(t *testing.T, body string) (gatewayStatus, string) {
	t.Helper()
	var st gatewayStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("error body is not a google.rpc.Status: %v\n%s", err, body)
	}
	for _, d := range st.Details {
		if d.Type == "type.googleapis.com/google.rpc.ErrorInfo" {
			if d.Domain != "tasharuk.ma" {
				t.Fatalf("ErrorInfo domain %q", d.Domain)
			}
			return st, d.Reason
		}
	}
	return st, ""
}

// TestRESTErrorBodiesCarryErrorInfo: the errors the gateway finds itself
// (an unknown route, a method the route does not take, a body that is not
// JSON, a body too large, a query value of the wrong type) answer with
// the same google.rpc.Status + ErrorInfo as every other error, with a
// reason from the catalogue and the HTTP status that fits; nothing is
// written (issue 14).
func TestRESTErrorBodiesCarryErrorInfo(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-errors")
	before := e.head()
	for _, c := range []struct {
		name, method, path, body string
		http                     int
		code                     codes.Code
		reason                   string
	}{
		{"unknown route", "GET", "/v1/communes/50910113/nothing", "", 404, codes.NotFound, "NOT_FOUND_ROUTE"},
		{"unknown collection", "GET", "/v1/planets", "", 404, codes.NotFound, "NOT_FOUND_ROUTE"},
		{"method not allowed", "DELETE", "/v1/communes/50910113/petitions", "", 405, codes.Unimplemented, "METHOD_NOT_ALLOWED"},
		{"malformed JSON", "POST", "/v1/communes/50910113/petitions", `{"kind":`, 400, codes.InvalidArgument, "MALFORMED_REQUEST"},
		{"JSON of the wrong shape", "POST", "/v1/communes/50910113/petitions", `[1,2,3]`, 400, codes.InvalidArgument, "MALFORMED_REQUEST"},
		{"query value of the wrong type", "GET", "/v1/communes/50910113/petitions?pageSize=many", "", 400, codes.InvalidArgument, "MALFORMED_REQUEST"},
		{"body too large", "POST", "/v1/communes/50910113/petitions", `{"title":"` + strings.Repeat("x", 9<<20) + `"}`, 413, codes.InvalidArgument, "REQUEST_TOO_LARGE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, e.base+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+agent)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.http {
				t.Fatalf("%s %s: HTTP %d, want %d\n%s", c.method, c.path, resp.StatusCode, c.http, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			st, reason := errorInfo(t, string(b))
			if reason != c.reason || codes.Code(st.Code) != c.code || st.Message == "" {
				t.Fatalf("%s %s: code %v reason %q message %q, want %v %s\n%s", c.method, c.path, codes.Code(st.Code), reason, st.Message, c.code, c.reason, b)
			}
		})
	}
	if after := e.head(); after != before {
		t.Fatalf("refused requests wrote %d events", after-before)
	}
}

// TestEnumValueRefusedWithTheRealNames: a REST body naming an enum value
// the API does not have ("ADMISSIBLE") is refused, 400 MALFORMED_REQUEST,
// with a message naming the values it takes, as responses spell them
// (issue 14: the message named values that are not the real ones).
func TestEnumValueRefusedWithTheRealNames(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), sharedData(t, "bmk_communes_2024.csv"))
	clerk := e.token(access.RoleStaff, "50910113", "clerk-enum")
	agent := e.token(access.RoleCitizen, "", "agent-enum")
	code, body := e.rest(http.MethodPost, "/v1/communes/50910113/petitions", agent, map[string]any{
		"kind": "PETITIONER_KIND_CITIZENS", "title": "t", "request": "r", "reasons": "r"}, nil)
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct {
		Petition struct{ Name string } `json:"petition"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.Petition.Name == "" {
		t.Fatalf("create: %v %s", err, body)
	}
	before := e.head()
	code, body = e.rest(http.MethodPost, "/v1/"+created.Petition.Name+":decideAdmissibility", clerk, map[string]any{"admissibility": "ADMISSIBLE"}, nil)
	st, reason := errorInfo(t, body)
	if code != 400 || reason != "MALFORMED_REQUEST" {
		t.Fatalf("decide ADMISSIBLE: %d %s %s", code, reason, body)
	}
	for _, want := range []string{"admissibility", "ADMISSIBILITY_ADMISSIBLE", "ADMISSIBILITY_INADMISSIBLE"} {
		if !strings.Contains(st.Message, want) {
			t.Fatalf("decide ADMISSIBLE: message %q does not name %s", st.Message, want)
		}
	}
	if strings.Contains(st.Message, "UNSPECIFIED") {
		t.Fatalf("message %q offers the unspecified value", st.Message)
	}
	// The kind of a new petition too (a field of another request).
	code, body = e.rest(http.MethodPost, "/v1/communes/50910113/petitions", agent, map[string]any{"kind": "CITIZENS", "title": "t"}, nil)
	if st, reason := errorInfo(t, body); code != 400 || reason != "MALFORMED_REQUEST" || !strings.Contains(st.Message, "PETITIONER_KIND_CITIZENS") {
		t.Fatalf("create with kind CITIZENS: %d %s %q", code, reason, st.Message)
	}
	if after := e.head(); after != before {
		t.Fatalf("refused requests wrote %d events", after-before)
	}
}

// TestFiltersTakeTheNamesResponsesUse: list filters accept an enum value
// as responses spell it (PETITION_STATE_COLLECTING), without the prefix,
// and in lower case; an unknown one is refused with the accepted names
// (issue 14: filter=state=PETITION_STATE_DEPOSITED was refused).
func TestFiltersTakeTheNamesResponsesUse(t *testing.T) {
	e := startEnv(t, t.TempDir(), conventionsClock(), sharedData(t, "bmk_communes_2024.csv"))
	agent := e.token(access.RoleCitizen, "", "agent-filter")
	created, err := e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := e.petitions.OpenPetitionForSignatures(as(agent), &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	council := strings.Split(name, "/")[1]
	opened, err := e.petitions.ModeratePetition(as(e.token(access.RoleStaff, council, "clerk-"+council)), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true})
	if err != nil {
		t.Fatal(err)
	}
	at := fmt.Sprint(opened.GetLogPosition())
	list := func(path, filter string) (int, string) {
		return e.rest(http.MethodGet, path+"?minPosition="+at+"&filter="+url.QueryEscape(filter), agent, nil, nil)
	}
	for _, f := range []string{"state=PETITION_STATE_COLLECTING", "state=COLLECTING", "state=collecting", "state=petition_state_collecting"} {
		code, body := list("/v1/communes/50910113/petitions", f)
		if code != 200 || !strings.Contains(body, name) || !strings.Contains(body, "PETITION_STATE_COLLECTING") {
			t.Fatalf("filter %s: %d %s", f, code, body)
		}
	}
	if code, body := list("/v1/communes/50910113/petitions", "state=PETITION_STATE_DEPOSITED"); code != 200 || strings.Contains(body, name) {
		t.Fatalf("filter state=PETITION_STATE_DEPOSITED: %d, lists the collecting petition: %s", code, body)
	}
	code, body := list("/v1/communes/50910113/petitions", "state=ACCEPTED")
	if st, reason := errorInfo(t, body); code != 400 || reason != "INVALID_ARGUMENT" ||
		!strings.Contains(st.Message, "COLLECTING") || !strings.Contains(st.Message, "PETITION_STATE_") {
		t.Fatalf("filter state=ACCEPTED: %d %s %q", code, reason, st.Message)
	}
	// Consultations and councils read their filters the same way.
	for _, f := range []string{"state=CONSULTATION_STATE_ANSWERED", "state=answered"} {
		if code, body := list("/v1/communes/50910113/consultations", f); code != 200 {
			t.Fatalf("consultations filter %s: %d %s", f, code, body)
		}
	}
	if code, body := list("/v1/communes/50910113/consultations", "state=DONE"); code != 400 || !strings.Contains(body, "ANSWERED") {
		t.Fatalf("consultations filter state=DONE: %d %s", code, body)
	}
	for _, f := range []string{"level=COUNCIL_LEVEL_PROVINCE", "level=province"} {
		code, body := list("/v1/councils", f)
		var out struct {
			Councils []struct{ Name, Level string }
		}
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Councils) == 0 {
			t.Fatalf("councils filter %s: %d %.300s", f, code, body)
		}
		for _, c := range out.Councils {
			if c.Level != "COUNCIL_LEVEL_PROVINCE" {
				t.Fatalf("councils filter %s lists %s, a %s", f, c.Name, c.Level)
			}
		}
	}
	if code, body := list("/v1/councils", "level=TOWN"); code != 400 || !strings.Contains(body, "PROVINCE") {
		t.Fatalf("councils filter level=TOWN: %d %s", code, body)
	}
}

// TestRetryAfterOn429: a call refused by a rate limit says when to retry,
// in the seconds until the bucket holds a token: Retry-After on the REST
// 429 and on the web page's 429, retry-after metadata and a RetryInfo on
// gRPC; after that many seconds the call is served (issue 14).
func TestRetryAfterOn429(t *testing.T) {
	clock := conventionsClock()
	// Drafting: 0.01 per second per token, a burst of 3: once the burst
	// is spent, the next token is 100 s away (the test clock stands still).
	e := startEnv(t, t.TempDir(), clock, sharedData(t, "bmk_communes_2024.csv"), envOptions{Limits: limits{SignPerToken: 2, SignBurst: 5, SignPerAddress: 1000, FilePerToken: 0.01, FileBurst: 3}})
	agent := e.token(access.RoleCitizen, "", "agent-retry")
	draft := map[string]any{"kind": "PETITIONER_KIND_CITIZENS", "title": "t", "request": "r", "reasons": "r"}
	for i := range 3 {
		if code, body := e.rest(http.MethodPost, "/v1/communes/50910113/petitions", agent, draft, nil); code != 200 {
			t.Fatalf("draft %d: %d %s", i, code, body)
		}
	}
	before := e.head()
	b, _ := json.Marshal(draft)
	req, _ := http.NewRequest(http.MethodPost, e.base+"/v1/communes/50910113/petitions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+agent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "100" {
		t.Fatalf("REST draft over the limit: %d, Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	st, reason := errorInfo(t, string(body))
	if reason != "RATE_LIMITED" || !strings.Contains(st.Message, "100 s") {
		t.Fatalf("REST 429 body: %s", body)
	}
	retryInfo := false
	for _, d := range st.Details {
		retryInfo = retryInfo || d.Type == "type.googleapis.com/google.rpc.RetryInfo" && d.RetryDelay == "100s"
	}
	if !retryInfo {
		t.Fatalf("REST 429 body has no RetryInfo of 100s: %s", body)
	}

	// gRPC: the same bucket, the same wait.
	var md metadata.MD
	_, err = e.petitions.CreatePetition(as(agent), &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS, Title: "t", Request: "r", Reasons: "r"}, grpc.Header(&md))
	wantCode(t, err, codes.ResourceExhausted, "RATE_LIMITED")
	if got := md.Get("retry-after"); len(got) != 1 || got[0] != "100" {
		t.Fatalf("gRPC retry-after metadata %q, want 100", got)
	}
	var delay time.Duration
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if delay != 100*time.Second {
		t.Fatalf("gRPC RetryInfo delay %v, want 100s", delay)
	}

	// The web pages: a draft filed through the form is refused the same way.
	web := newWebClient(t, e.base, "en")
	web.post("/signin", "/signin", url.Values{"token": {agent}})
	m := csrfInput.FindStringSubmatch(web.page("/communes/50910113/petitions/new"))
	if m == nil {
		t.Fatal("no CSRF token on the draft form")
	}
	wresp, err := web.c.PostForm(e.base+"/communes/50910113/petitions", url.Values{"csrf": {m[1]}, "kind": {"citizens"}, "title": {"t"}, "request": {"r"}, "reasons": {"r"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(wresp.Body)
	wresp.Body.Close()
	if wresp.StatusCode != http.StatusTooManyRequests || wresp.Header.Get("Retry-After") != "100" || !strings.Contains(string(page), "RATE_LIMITED") {
		t.Fatalf("web draft over the limit: %d, Retry-After %q\n%.2000s", wresp.StatusCode, wresp.Header.Get("Retry-After"), page)
	}
	if after := e.head(); after != before {
		t.Fatalf("refused drafts wrote %d events", after-before)
	}

	// After the wait, a draft is served again.
	clock.Advance(100 * time.Second)
	if code, body := e.rest(http.MethodPost, "/v1/communes/50910113/petitions", agent, draft, nil); code != 200 {
		t.Fatalf("draft after Retry-After: %d %s", code, body)
	}
}

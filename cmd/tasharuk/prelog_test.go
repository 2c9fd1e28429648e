package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/access"
	advisoryv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/v1"
	consultationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	statusv1 "github.com/tasharuk/tasharuk/api/tasharuk/status/v1"
	"github.com/tasharuk/tasharuk/audit"
)

// Issue 15, acceptance point 5: a log written by the pre-redesign binary
// replays to identical read models and passes `audit verify` with the new
// binary. testdata/prelog holds that log (recorded once, by
// -update-prelog, with the code of main before the redesign) and the
// answers that code gave on it; this test opens the log the way serve,
// replay and audit do and compares.

var updatePrelog = flag.Bool("update-prelog", false, "record testdata/prelog again (the pre-redesign fixture: only with the pre-redesign code)")

// prelogGolden is testdata/prelog/golden.json.
type prelogGolden struct {
	Note  string      `json:"note"`
	Marks prelogMarks `json:"marks"`
	// Head is the log's last position.
	Head uint64 `json:"head"`
	// Digest is the read models' digest (projections.Runner.Digest; before
	// the split, projections.Model.Digest) after a replay from zero
	// (`tasharuk replay`): it hashes today's in-memory read models, so the
	// redesign may change how it is computed; the answers below are the
	// representation-independent check.
	Digest string `json:"digest"`
	// Audit is `tasharuk audit verify`'s summary of the export.
	Audit prelogAudit `json:"audit"`
	// EventTypes counts the export's events by wire type.
	EventTypes map[string]int `json:"event_types"`
	// Answers are the API's answers (canonical JSON) with the service
	// serving the fixture at prelogServeTime, latest and as of the marks.
	Answers map[string]json.RawMessage `json:"answers"`
	// SignersA are petition A's signer names as staff read them: decrypted,
	// "[erased]" for the erased person.
	SignersA []string `json:"signers_a"`
}

type prelogAudit struct {
	Events       int    `json:"events"`
	Streams      int    `json:"streams"`
	Checkpoints  int    `json:"checkpoints"`
	LastPosition int64  `json:"last_position"`
	Root         string `json:"root"`
}

// TestPreRedesignLog unpacks testdata/prelog into a temporary data folder
// and checks, with today's code: the integrity check on start, the replay
// digest, the export's verification (offline with the fixture's public
// key, and live against the saved checkpoint), the event types, the API's
// answers latest and as of mid-history positions, the signer names, and
// `replay --verify` after the service ran on it.
func TestPreRedesignLog(t *testing.T) {
	fixture := filepath.Join(repoRoot(t), "testdata", "prelog")
	if *updatePrelog {
		writePrelog(t, fixture)
	}
	b, err := os.ReadFile(filepath.Join(fixture, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want prelogGolden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	dir := unpackPrelog(t, fixture)
	got := observePrelog(t, dir, want.Marks)
	if got.Head != want.Head {
		t.Errorf("log head %d, want %d", got.Head, want.Head)
	}
	if got.Digest != want.Digest {
		t.Errorf("read models' digest after a replay from zero:\n got %s\nwant %s", got.Digest, want.Digest)
	}
	if got.Audit != want.Audit {
		t.Errorf("audit verify:\n got %+v\nwant %+v", got.Audit, want.Audit)
	}
	if a, w := fmt.Sprint(got.EventTypes), fmt.Sprint(want.EventTypes); a != w {
		t.Errorf("event types:\n got %s\nwant %s", a, w)
	}
	keys := make([]string, 0, len(want.Answers))
	for k := range want.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(got.Answers) != len(want.Answers) {
		t.Errorf("%d answers, want %d", len(got.Answers), len(want.Answers))
	}
	for _, k := range keys {
		if g, w := withoutAddedFields(t, got.Answers[k]), canonicalJSON(t, want.Answers[k]); g != w {
			t.Errorf("answer %q differs: %s", k, firstDifference(g, w))
		}
	}
	if a, w := strings.Join(got.SignersA, "|"), strings.Join(want.SignersA, "|"); a != w {
		t.Errorf("petition A's signer names:\n got %s\nwant %s", a, w)
	}
}

// writePrelog records the history and writes the fixture and its golden
// values (computed by observePrelog on the unpacked fixture, exactly as
// the guard does).
func writePrelog(t *testing.T, fixture string) {
	dir := t.TempDir()
	mk := recordPrelog(t, dir)
	if err := os.RemoveAll(fixture); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fixture, 0o755); err != nil {
		t.Fatal(err)
	}
	packPrelog(t, dir, filepath.Join(fixture, "data.tar.gz"))
	if err := os.CopyFS(filepath.Join(fixture, "keys"), os.DirFS(filepath.Join(dir, "keys"))); err != nil {
		t.Fatal(err)
	}
	g := observePrelog(t, unpackPrelog(t, fixture), mk)
	g.Note = "Golden values of the pre-redesign code on data.tar.gz (issue 15, acceptance point 5); written by `go test ./cmd/tasharuk -run TestPreRedesignLog -update-prelog`. Do not regenerate after the redesign starts."
	g.Marks = mk
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fixture, "golden.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// packPrelog packs the data folder but its keys (committed beside it, in
// the clear) and the service's read-model snapshot (a cache, rebuilt from
// the log).
func packPrelog(t *testing.T, dir, out string) {
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		if rel == "keys" || rel == "projections" || rel == "tasharuk.lock" {
			if !d.IsDir() {
				return nil
			}
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.ModTime = prelogStart
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// unpackPrelog makes a data folder from the fixture: the packed log and
// key buckets, and the keys folder.
func unpackPrelog(t *testing.T, fixture string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(filepath.Join(fixture, "data.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			t.Fatalf("fixture entry outside the folder: %q", hdr.Name)
		}
		p := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			out.Close()
		default:
			t.Fatalf("fixture entry %q of type %c", hdr.Name, hdr.Typeflag)
		}
	}
	// The keys folder as the service keeps it (0700, files 0600).
	if err := os.CopyFS(filepath.Join(dir, "keys"), os.DirFS(filepath.Join(fixture, "keys"))); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(filepath.Join(dir, "keys"), 0o700)
	entries, _ := os.ReadDir(filepath.Join(dir, "keys"))
	for _, en := range entries {
		_ = os.Chmod(filepath.Join(dir, "keys", en.Name()), 0o600)
	}
	return dir
}

var (
	replayLine = regexp.MustCompile(`rebuilt from zero: position (\d+), digest ([0-9a-f]+)`)
	verifyLine = regexp.MustCompile(`(\d+) events in (\d+) streams, (\d+) checkpoints, up to position (\d+); Merkle root (\S+)`)
)

// observePrelog opens the data folder with today's code paths and returns
// what they answer.
func observePrelog(t *testing.T, dir string, mk prelogMarks) prelogGolden {
	t.Helper()
	ctx := context.Background()
	var g prelogGolden
	sc := storeConfig{DataDir: dir}
	sc.Stream = "TASHARUK_LOG"

	// The integrity check on start (serve, territory import, replay
	// --verify): every hash, chain and position, and the log against the
	// saved signed checkpoint.
	ls, err := openQuiet(ctx, sc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d, err := audit.CheckLog(ctx, ls.Log, ls.NATS.StreamName(), savedCheckpointPath(sc, ls.Backend), checkpointKey(sc))
	if err != nil {
		t.Fatal(err)
	}
	if d != nil {
		t.Fatalf("the fixture's log fails the check on start: position %d %s: %s", d.Position, d.Kind, d.Detail)
	}
	head, err := ls.Log.LastPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.Head = head
	ls.Close()

	run := func(what string, f func(context.Context, []string, io.Writer, io.Writer) error, args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		if err := f(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s%s", what, err, out.String(), errOut.String())
		}
		return out.String()
	}
	// `tasharuk replay`: the read models rebuilt from zero.
	m := replayLine.FindStringSubmatch(run("replay", runReplay, "--data-dir", dir))
	if m == nil || m[1] != fmt.Sprint(head) {
		t.Fatalf("replay did not rebuild to the head %d: %v", head, m)
	}
	g.Digest = m[2]

	// `tasharuk audit export`, then `audit verify` offline with the
	// fixture's public key, and live against the saved checkpoint.
	export := filepath.Join(t.TempDir(), "log.jsonl")
	run("audit export", runAudit, "export", "--out", export, "--data-dir", dir)
	out := run("audit verify", runAudit, "verify", export, "--public-key", "@"+filepath.Join(dir, "keys", "checkpoint.pub"))
	v := verifyLine.FindStringSubmatch(out)
	if v == nil || !strings.Contains(out, "OK: every hash") {
		t.Fatalf("audit verify: %s", out)
	}
	fmt.Sscan(v[1], &g.Audit.Events)
	fmt.Sscan(v[2], &g.Audit.Streams)
	fmt.Sscan(v[3], &g.Audit.Checkpoints)
	fmt.Sscan(v[4], &g.Audit.LastPosition)
	g.Audit.Root = v[5]
	if out := run("audit verify --live", runAudit, "verify", "--live", "--data-dir", dir); !strings.Contains(out, "checking against the saved checkpoint") || !strings.Contains(out, "OK: every hash") {
		t.Fatalf("audit verify --live: %s", out)
	}
	g.EventTypes = exportTypes(t, export)

	// The service on the fixture: the API's answers and the signer names.
	e := startEnv(t, dir, &testClock{t: prelogServeTime}, "")
	staffZC := e.token(access.RoleStaff, "50910113", "clerk-zc")
	adv := advisoryv1.NewAdvisoryServiceClient(e.conn)
	con := consultationsv1.NewConsultationServiceClient(e.conn)
	g.Answers = map[string]json.RawMessage{}
	answer := func(key string, msg proto.Message, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		b, err := protojson.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		g.Answers[key] = json.RawMessage(canonicalJSON(t, b))
	}
	status := func(name string, asOf uint64) {
		r, err := e.status.GetCouncilStatus(ctx, &statusv1.GetCouncilStatusRequest{Name: name, MinPosition: head, AsOfPosition: asOf})
		answer(fmt.Sprintf("status %s as of %d", name, asOf), r, err)
	}
	petition := func(name string, asOf uint64) {
		r, err := e.petitions.GetPetition(ctx, &petitionsv1.GetPetitionRequest{Name: name, MinPosition: head, AsOfPosition: asOf})
		answer(fmt.Sprintf("petition %s as of %d", name, asOf), r, err)
	}
	status("communes/50910113/status", 0)
	status("communes/50910113/status", mk.AfterDeposit)
	status("communes/50910107/status", 0)
	status("communes/50910107/status", mk.BeforeResponse)
	status("regions/beni-mellal-khenifra/status", 0)
	status("provinces/beni-mellal/status", 0)
	petition(mk.PetitionA, 0)
	petition(mk.PetitionA, mk.AfterDeposit)
	petition(mk.PetitionB, 0)
	petition(mk.PetitionAssoc, 0)
	petition(mk.PetitionW, 0)
	lp, err := e.petitions.ListPetitions(ctx, &petitionsv1.ListPetitionsRequest{Parent: "communes/50910113", PageSize: 50, MinPosition: head})
	answer("petitions of communes/50910113", lp, err)
	tl, err := e.petitions.GetPetitionTimeline(ctx, &petitionsv1.GetPetitionTimelineRequest{Name: mk.PetitionA, MinPosition: head})
	answer("timeline "+mk.PetitionA, tl, err)
	bd, err := adv.GetBody(ctx, &advisoryv1.GetBodyRequest{Name: mk.Body, MinPosition: head})
	answer("body "+mk.Body, bd, err)
	op, err := adv.GetOpinion(ctx, &advisoryv1.GetOpinionRequest{Name: mk.Opinion, MinPosition: head})
	answer("opinion "+mk.Opinion, op, err)
	op, err = adv.GetOpinion(ctx, &advisoryv1.GetOpinionRequest{Name: mk.Opinion, MinPosition: head, AsOfPosition: mk.BeforeResponse})
	answer(fmt.Sprintf("opinion %s as of %d", mk.Opinion, mk.BeforeResponse), op, err)
	lc, err := con.ListConsultations(ctx, &consultationsv1.ListConsultationsRequest{Parent: "communes/50910107", MinPosition: head})
	answer("consultations of communes/50910107", lc, err)
	pc, err := con.GetConsultation(ctx, &consultationsv1.GetConsultationRequest{Name: mk.Public, MinPosition: head})
	answer("consultation "+mk.Public, pc, err)
	ls2, err := e.petitions.ListSignatures(as(staffZC), &petitionsv1.ListSignaturesRequest{Name: mk.PetitionA, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ls2.GetSignatures() {
		g.SignersA = append(g.SignersA, s.GetFullName())
	}
	if n := len(g.SignersA); n != 103 {
		t.Fatalf("petition A lists %d signatures, want 103", n)
	}
	_, erased := signer("ZC", prelogErased)
	for i, s := range g.SignersA {
		if s == erased {
			t.Fatalf("the erased person's name is readable (signature %d)", i)
		}
		if s != "[erased]" && !strings.HasPrefix(s, "Zineb Secretname-ZC-") {
			t.Fatalf("signature %d's name does not decrypt: %q", i, s)
		}
	}
	if n := strings.Count(strings.Join(g.SignersA, "|"), "[erased]"); n != 1 {
		t.Fatalf("%d erased names, want 1", n)
	}
	e.stop()

	// `tasharuk replay --verify`: the service's snapshot, brought up to
	// date, equals a rebuild from zero.
	if out := run("replay --verify", runReplay, "--verify", "--data-dir", dir); !strings.Contains(out, "OK: the live read models equal a rebuild from zero") {
		t.Fatalf("replay --verify: %s", out)
	}
	return g
}

// exportTypes counts an export's events by type.
func exportTypes(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec struct {
			Envelope *struct {
				Type string `json:"type"`
			} `json:"envelope"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Envelope == nil {
			continue
		}
		counts[rec.Envelope.Type]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return counts
}

// canonicalJSON re-encodes JSON with sorted keys and no spaces (protojson
// varies its spacing on purpose).
func canonicalJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Fields the API added after the fixture was written: the counts by level
// of assurance (issue 16). Old signatures have no level and read as
// PAPER_CHECKED_BY_STAFF on paper and CODE_VERIFIED online, so on this log
// the levels must add up to the valid count, and every level counts (the
// default rulebook); once checked, they are dropped and the rest of the
// answer must be exactly the fixture's.
var (
	addedSignatureCounts = []string{"paperCheckedByStaff", "codeVerified", "providerVerifiedId"}
	addedStatusCounts    = []string{"validSignaturesPaperCheckedByStaff", "validSignaturesCodeVerified", "validSignaturesProviderVerifiedId"}
)

// withoutAddedFields checks and drops the fields added since the fixture
// from a canonical JSON answer.
func withoutAddedFields(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	num := func(x any) float64 {
		switch n := x.(type) {
		case float64:
			return n
		case string: // int64 fields are JSON strings
			f, _ := strconv.ParseFloat(n, 64)
			return f
		}
		return 0
	}
	var walk func(any)
	walk = func(x any) {
		switch m := x.(type) {
		case map[string]any:
			if _, ok := m["counted"]; ok {
				sum := 0.0
				for _, k := range addedSignatureCounts {
					sum += num(m[k])
					delete(m, k)
				}
				if sum != num(m["valid"]) || num(m["counted"]) != num(m["valid"]) {
					t.Errorf("signature counts by level %v do not add up to the valid count", m)
				}
				delete(m, "counted")
			}
			if _, ok := m[addedStatusCounts[1]]; ok {
				sum := 0.0
				for _, k := range addedStatusCounts {
					sum += num(m[k])
					delete(m, k)
				}
				if sum != num(m["validSignatures"]) {
					t.Errorf("status counts by level do not add up to validSignatures in %v", m)
				}
			}
			for _, e := range m {
				walk(e)
			}
		case []any:
			for _, e := range m {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// firstDifference shows where two long strings first differ.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	cut := func(s string) string {
		from, to := max(0, i-60), min(len(s), i+60)
		return s[from:to]
	}
	return fmt.Sprintf("at byte %d:\n got …%s…\nwant …%s…", i, cut(got), cut(want))
}

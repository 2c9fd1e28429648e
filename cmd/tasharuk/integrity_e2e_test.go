package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tasharuk/tasharuk/access"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/audit"
)

// integrityService is one run of serve on a data folder, with clients.
type integrityService struct {
	base      string
	logs      *syncBuffer
	conn      *grpc.ClientConn
	petitions petitionsv1.PetitionServiceClient
	log       eventlogv1.EventLogServiceClient
	audit     auditv1.AuditServiceClient
	stop      func()
}

// startIntegrityService starts serve on dir and waits until /readyz
// answers (any status: a damaged log is never ready).
func startIntegrityService(t *testing.T, dir string, clock *testClock, readOnly bool) *integrityService {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &integrityService{base: "http://" + ln.Addr().String(), logs: &syncBuffer{}}
	cfg := config{Addr: ln.Addr().String(), Now: clock.Now, CheckpointEvery: 1000, CheckpointInterval: 100 * time.Millisecond, ReadOnly: readOnly}
	cfg.Store.DataDir = dir
	cfg.Store.Stream = "TASHARUK_LOG"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- serve(ctx, cfg, ln, logger) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended on start: %v\n%s", err, s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz did not answer within 60s", s.base)
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn, err := grpc.NewClient(cfg.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	s.conn = conn
	s.petitions = petitionsv1.NewPetitionServiceClient(conn)
	s.log = eventlogv1.NewEventLogServiceClient(conn)
	s.audit = auditv1.NewAuditServiceClient(conn)
	s.stop = serveStopper(t, conn, cancel, done)
	t.Cleanup(s.stop)
	return s
}

func (s *integrityService) head(t *testing.T) uint64 {
	t.Helper()
	info, err := s.log.GetLogInfo(context.Background(), &eventlogv1.GetLogInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return info.GetHeadPosition()
}

// readyz returns /readyz's status and JSON answer.
func (s *integrityService) readyz(t *testing.T) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/readyz", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		out = map[string]any{"text": string(b)} // not JSON: the assertions say what is missing
	}
	return resp.StatusCode, out
}

func (s *integrityService) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// lastBlock returns the last JetStream block file of the log.
func lastBlock(t *testing.T, dir string) string {
	t.Helper()
	blocks, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "TASHARUK_LOG", "msgs", "*.blk"))
	if len(blocks) == 0 {
		t.Fatal("no block file of TASHARUK_LOG found")
	}
	sort.Slice(blocks, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(filepath.Base(blocks[i]), "%d.blk", &a)
		fmt.Sscanf(filepath.Base(blocks[j]), "%d.blk", &b)
		return a < b
	})
	return blocks[len(blocks)-1]
}

// TestIntegrityLostTail is reproduction 4 of issue 13 (acceptance 4): the
// last bytes of the log's block file are corrupted while the service is
// stopped. The next start must name the damaged position (log and
// /readyz), sign nothing, not be ready and write nothing (an act is
// refused, the head unchanged); --read-only serves reads and exports; and
// replay --verify reports the damage instead of OK.
func TestIntegrityLostTail(t *testing.T) {
	lostTail(t, func(b []byte) []byte {
		for i := len(b) - 6; i < len(b); i++ {
			b[i] ^= 0xff
		}
		return b
	})
}

// TestIntegrityTruncatedTail: the same with the block file cut short in
// the last record (a write that never reached the disk).
func TestIntegrityTruncatedTail(t *testing.T) {
	lostTail(t, func(b []byte) []byte { return b[:len(b)-20] })
}

func lostTail(t *testing.T, corrupt func([]byte) []byte) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	var out, errOut strings.Builder
	if err := runTerritory(context.Background(), []string{"import", sharedData(t, "bmk_communes_2024.csv"), "--data-dir", dir, "--create"}, &out, &errOut); err != nil {
		t.Fatalf("territory import: %v\n%s", err, errOut.String())
	}
	issue := func(role access.Role, council, subject string) string {
		key, err := access.LoadKey(keysOf(dir))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := access.NewIssuer(key, access.DefaultIssuer).Issue(access.Principal{Subject: subject, Role: role, Council: council}, 365*24*time.Hour, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	// A healthy service: a petition, signatures, and a checkpoint of it all.
	s := startIntegrityService(t, dir, clock, false)
	if code, ready := s.readyz(t); code != http.StatusOK || ready["ready"] != true {
		t.Fatalf("healthy service not ready: %d %v", code, ready)
	}
	agent := issue(access.RoleCitizen, "", "agent-integrity")
	ctx := as(agent)
	created, err := s.petitions.CreatePetition(ctx, &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Eclairage public", Request: "Eclairer la route du douar.", Reasons: "Elle est dangereuse la nuit."})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetPetition().GetName()
	if _, err := s.petitions.OpenPetitionForSignatures(ctx, &petitionsv1.OpenPetitionForSignaturesRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	// The council's moderation clears it before it collects signatures.
	if _, err := s.petitions.ModeratePetition(as(issue(access.RoleStaff, "50910113", "clerk-integrity")), &petitionsv1.ModeratePetitionRequest{Name: name, Clear: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id, full := signer("IN", i)
		if _, err := s.petitions.SignPetition(as(issue(access.RoleCitizen, "", signerSubject(id))), &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the last event of the log is a checkpoint of every event
	// before it (the interval is 100 ms).
	var head uint64
	deadline := time.Now().Add(20 * time.Second)
	for {
		head = s.head(t)
		cps, err := s.audit.ListCheckpoints(context.Background(), &auditv1.ListCheckpointsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cps.GetCheckpoints()); n > 0 && cps.GetCheckpoints()[n-1].GetTreeSize() == head-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of the whole log: head %d, %v", head, cps.GetCheckpoints())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	saved, err := audit.ReadSavedCheckpoint(filepath.Join(dir, "audit", "nats-checkpoint.json"), "")
	if err != nil || saved == nil || saved.EventPosition != head {
		t.Fatalf("saved checkpoint %+v (%v), want its event at the head %d", saved, err, head)
	}

	// Corrupt the last bytes of the block file, as a torn write would. The
	// read models' snapshot goes too: after a crash it would be older than
	// the log (it is written at a clean stop and every 50,000 events), so
	// only the saved checkpoint remembers how far the log reached.
	blk := lastBlock(t, dir)
	b, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blk, corrupt(b), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "projections", "nats-snapshot.gob")); err != nil {
		t.Fatal(err)
	}

	// The damaged start. JetStream drops the torn message; its head may
	// still count it (it keeps the block's last sequence) or not.
	s = startIntegrityService(t, dir, clock, false)
	damagedHead := s.head(t)
	lost := head // the checkpoint event, the last acknowledged one
	if _, err := s.audit.GetInclusionProof(context.Background(), &auditv1.GetInclusionProofRequest{Position: head}); err == nil {
		t.Fatalf("the corruption lost nothing (head %d): the test does not test anything", head)
	}
	t.Logf("head %d before the corruption, %d after", head, damagedHead)

	t.Run("StartReportsThePosition", func(t *testing.T) {
		logs := s.logs.String()
		var found bool
		for _, line := range strings.Split(logs, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || rec["level"] != "ERROR" {
				continue
			}
			if pos, ok := rec["position"].(float64); ok && uint64(pos) == lost && rec["reason"] == "LOG_SHORTER_THAN_CHECKPOINT" {
				found = true
			}
		}
		if !found {
			t.Fatalf("no ERROR line names position %d and reason LOG_SHORTER_THAN_CHECKPOINT:\n%s", lost, logs)
		}
	})

	t.Run("NotReadyWithPositionAndReason", func(t *testing.T) {
		code, ready := s.readyz(t)
		if code != http.StatusServiceUnavailable || ready["ready"] != false || ready["reason"] != "LOG_SHORTER_THAN_CHECKPOINT" || ready["position"] != float64(lost) {
			t.Fatalf("readyz: %d %v, want 503, reason LOG_SHORTER_THAN_CHECKPOINT at position %d", code, ready, lost)
		}
		code, text := s.get(t, "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(text, "LOG_SHORTER_THAN_CHECKPOINT") || !strings.Contains(text, fmt.Sprintf("position %d", lost)) {
			t.Fatalf("readyz text: %d %s", code, text)
		}
		_, metrics := s.get(t, "/metrics")
		if !strings.Contains(metrics, "tasharuk_integrity_ok 0") ||
			!strings.Contains(metrics, `tasharuk_integrity_failures_total{kind="LOG_SHORTER_THAN_CHECKPOINT",source="start"} 1`) {
			t.Fatalf("metrics do not show the failure:\n%s", metrics)
		}
	})

	t.Run("ActRefusedNothingWritten", func(t *testing.T) {
		// The read models rebuild what is left (the petition is readable),
		// so the refusal below is the guard's, not a missing petition.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := s.petitions.GetPetition(context.Background(), &petitionsv1.GetPetitionRequest{Name: name}); err == nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("the petition is not readable on the damaged service: %v", err)
			}
		}
		id, full := signer("IN", 9)
		_, err := s.petitions.SignPetition(ctx, &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
		wantCode(t, err, codes.Unavailable, "LOG_DAMAGED")
		if !strings.Contains(err.Error(), fmt.Sprintf("position %d", lost)) {
			t.Fatalf("the refusal does not name the position: %v", err)
		}
		_, err = s.petitions.CreatePetition(ctx, &petitionsv1.CreatePetitionRequest{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
			Title: "Autre", Request: "Autre demande.", Reasons: "Autres raisons."})
		wantCode(t, err, codes.Unavailable, "LOG_DAMAGED")
		// No checkpoint is signed either: wait several intervals.
		time.Sleep(500 * time.Millisecond)
		if now := s.head(t); now != damagedHead {
			t.Fatalf("the damaged service wrote %d events (head %d → %d)", now-damagedHead, damagedHead, now)
		}
		if strings.Contains(s.logs.String(), "audit: checkpoint recorded") {
			t.Fatal("a checkpoint was signed over the damaged log")
		}
	})
	s.stop()

	t.Run("ReadOnlyServesReadsAndExports", func(t *testing.T) {
		ro := startIntegrityService(t, dir, clock, true)
		defer ro.stop()
		// Ready for reads once the read models hold everything before the
		// damage.
		code, ready := ro.readyz(t)
		for deadline := time.Now().Add(20 * time.Second); code != http.StatusOK && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			code, ready = ro.readyz(t)
		}
		if code != http.StatusOK || ready["read_only"] != true || ready["reason"] != "LOG_SHORTER_THAN_CHECKPOINT" || ready["position"] != float64(lost) {
			t.Fatalf("read-only readyz: %d %v", code, ready)
		}
		// The reads: the petition, over gRPC and REST, its history, the
		// checkpoints, the open data.
		got, err := ro.petitions.GetPetition(context.Background(), &petitionsv1.GetPetitionRequest{Name: name})
		if err != nil || got.GetPetition().GetTitle() != "Eclairage public" {
			t.Fatalf("GetPetition read-only: %v %v", got, err)
		}
		for _, path := range []string{"/v1/" + name, "/v1/audit/history/" + name, "/v1/audit/checkpoints", "/open-data/communes/50910113/petitions.json"} {
			if code, body := ro.get(t, path); code != http.StatusOK || (strings.Contains(path, "petition") && !strings.Contains(body, "Eclairage public") && !strings.Contains(body, "PetitionDrafted")) {
				t.Fatalf("GET %s read-only: %d %s", path, code, body)
			}
		}
		// Every write refused, with its reason, and nothing written.
		id, full := signer("IN", 8)
		_, err = ro.petitions.SignPetition(ctx, &petitionsv1.SignPetitionRequest{Name: name, NationalId: id, FullName: full})
		wantCode(t, err, codes.FailedPrecondition, "READ_ONLY")
		time.Sleep(300 * time.Millisecond)
		if now := ro.head(t); now != damagedHead {
			t.Fatalf("the read-only service wrote %d events", now-damagedHead)
		}
		ro.stop()
		// The operator exports what is left.
		export := filepath.Join(t.TempDir(), "export.jsonl")
		var out, errOut strings.Builder
		if err := runAudit(context.Background(), []string{"export", "--out", export, "--data-dir", dir}, &out, &errOut); err != nil {
			t.Fatalf("export: %v %s", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), fmt.Sprintf("up to position %d", lost-1)) || !strings.Contains(errOut.String(), fmt.Sprintf("nothing from position %d on", lost)) {
			t.Fatalf("export: %s", errOut.String())
		}
	})

	t.Run("OfflineImportRefused", func(t *testing.T) {
		var out, errOut strings.Builder
		err := runTerritory(context.Background(), []string{"import", sharedData(t, "bmk_communes_2024.csv"), "--data-dir", dir, "--census-year", "2025"}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "LOG_DAMAGED") || !strings.Contains(err.Error(), fmt.Sprintf("position %d", lost)) {
			t.Fatalf("territory import over a damaged log: %v\n%s", err, errOut.String())
		}
		var sc storeConfig
		sc.DataDir, sc.Stream = dir, "TASHARUK_LOG"
		ls, err := openQuiet(context.Background(), sc, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer ls.Close()
		if now, _ := ls.Log.LastPosition(context.Background()); now != damagedHead {
			t.Fatalf("the refused import wrote: head %d → %d", damagedHead, now)
		}
	})

	t.Run("OfflineEraseRefused", func(t *testing.T) {
		var out, errOut strings.Builder
		err := runPrivacy(context.Background(), []string{"erase", "--council", "50910113", "--national-id", "AB123456", "--data-dir", dir}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "LOG_DAMAGED") || !strings.Contains(err.Error(), fmt.Sprintf("position %d", lost)) {
			t.Fatalf("privacy erase over a damaged log: %v\n%s%s", err, out.String(), errOut.String())
		}
		var sc storeConfig
		sc.DataDir, sc.Stream = dir, "TASHARUK_LOG"
		ls, err := openQuiet(context.Background(), sc, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer ls.Close()
		if now, _ := ls.Log.LastPosition(context.Background()); now != damagedHead {
			t.Fatalf("the refused erasure wrote: head %d → %d", damagedHead, now)
		}
	})

	t.Run("ReplayVerifyReportsTheDamage", func(t *testing.T) {
		var out, errOut strings.Builder
		err := runReplay(context.Background(), []string{"--verify", "--data-dir", dir}, &out, &errOut)
		if !errors.Is(err, errVerifyFailed) || strings.Contains(out.String(), "\nOK:") ||
			!strings.Contains(out.String(), "LOG_SHORTER_THAN_CHECKPOINT") || !strings.Contains(out.String(), fmt.Sprintf("position %d", lost)) {
			t.Fatalf("replay --verify on a log that lost its tail: %v\n%s%s", err, out.String(), errOut.String())
		}
		out.Reset()
		err = runAudit(context.Background(), []string{"verify", "--live", "--data-dir", dir}, &out, &errOut)
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out.String(), fmt.Sprintf("FAIL position %d", lost)) || !strings.Contains(out.String(), "saved checkpoint") {
			t.Fatalf("audit verify --live on a log that lost its tail: %v\n%s%s", err, out.String(), errOut.String())
		}
	})
}

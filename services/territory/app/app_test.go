package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

var admin = eventstore.Actor{Subject: "test:admin", Role: "admin"}

func openStore(t *testing.T) *natsstore.Store {
	t.Helper()
	s, err := natsstore.Open(context.Background(), natsstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// censusFile returns the path of the census reference file, copied into
// the repository's testdata/ so that a clone passes on its own.
func censusFile(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "testdata", "bmk_communes_2024.csv")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testdata/bmk_communes_2024.csv not found in the repository")
		}
		dir = parent
	}
}

func parseFile(t *testing.T, path string) []domain.CensusRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := domain.ParseCensus(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// modifiedCensus writes a copy of the reference file with Zaouiat Cheikh's
// population raised by one.
func modifiedCensus(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(censusFile(t))
	if err != nil {
		t.Fatal(err)
	}
	const from = "50910113,Zaouiat Cheikh,Béni Mellal,Béni Mellal-Khénifra,25063,"
	if !strings.Contains(string(b), from) {
		t.Fatal("reference file changed: Zaouiat Cheikh's line not found")
	}
	p := filepath.Join(t.TempDir(), "modified.csv")
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), from, strings.Replace(from, "25063", "25064", 1), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportRealFile(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	reg := es.NewRegistry(domain.EventTypes)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	im := &Importer{Store: store, Registry: reg, Now: func() time.Time { return at }}
	rows := parseFile(t, censusFile(t))

	rep, err := im.Import(ctx, rows, 2024, "bmk_communes_2024.csv", admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (ImportReport{Registered: 141, LastPosition: 141}) {
		t.Fatalf("first import: %+v", rep)
	}
	s, rev, exists, err := LoadCouncil(ctx, store, reg, "beni-mellal-khenifra")
	if err != nil || !exists || rev != 0 || s.Council.Level != territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION {
		t.Fatalf("region: %+v rev %d exists %v err %v", s, rev, exists, err)
	}
	if got := domain.DefaultRulebook(s.Council.Level).SignatureThreshold(s.Council); got != 400 {
		t.Errorf("region threshold %d (population %d)", got, s.Council.Population)
	}
	evs, err := store.ReadStream(ctx, "council.50910101", 0, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Béni Mellal stream: %d events, %v", len(evs), err)
	}
	if e := evs[0]; e.Type != "territory.CouncilRegistered" || e.Actor != admin || !e.OccurredAt.Equal(at) || e.CorrelationID == "" {
		t.Errorf("event metadata: %+v", e)
	}

	// Again: nothing to do.
	rep, err = im.Import(ctx, rows, 2024, "bmk_communes_2024.csv", admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (ImportReport{Unchanged: 141, LastPosition: 141}) {
		t.Fatalf("re-import: %+v", rep)
	}

	// One commune's figure changed: the commune, and its province and
	// region whose figures are sums of their communes.
	rep, err = im.Import(ctx, parseFile(t, modifiedCensus(t)), 2024, "modified.csv", admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (ImportReport{Updated: 3, Unchanged: 138, LastPosition: 144}) {
		t.Fatalf("modified import: %+v", rep)
	}
	evs, err = store.ReadStream(ctx, "council.50910113", 0, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("Zaouiat Cheikh stream: %d events, %v", len(evs), err)
	}
	m, err := reg.DecodeEvent(&evs[1])
	if err != nil {
		t.Fatal(err)
	}
	want := &territoryeventsv1.CouncilPopulationRecorded{Code: "50910113", Population: 25_064, CensusYear: 2024, PreviousPopulation: 25_063, Source: "modified.csv"}
	if !proto.Equal(m, want) {
		t.Errorf("second event %v, want %v", m, want)
	}
	for _, code := range []string{"beni-mellal", "beni-mellal-khenifra"} {
		if evs, err := store.ReadStream(ctx, domain.StreamID(code), 0, 0); err != nil || len(evs) != 2 {
			t.Errorf("%s: %d events, %v", code, len(evs), err)
		}
	}
	for _, code := range []string{"50910101", "azilal"} {
		if evs, err := store.ReadStream(ctx, domain.StreamID(code), 0, 0); err != nil || len(evs) != 1 {
			t.Errorf("%s: %d events, %v", code, len(evs), err)
		}
	}
}

func TestImportRefusedWritesNothing(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	im := &Importer{Store: store, Registry: es.NewRegistry(domain.EventTypes)}
	rows := []domain.CensusRow{
		{Line: 2, Code: "1", Name: "A", Province: "P", Region: "R", Population: 10},
		{Line: 3, Code: "2", Name: "B", Population: 10}, // new, and no province
	}
	_, err := im.Import(ctx, rows, 2024, "f.csv", admin)
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("Import = %v, want an error naming line 3", err)
	}
	if pos, err := store.LastPosition(ctx); err != nil || pos != 0 {
		t.Fatalf("log position %d, %v; want nothing written", pos, err)
	}
}

// racingStore lets another writer append to one stream just before each of
// the next races appends to it.
type racingStore struct {
	eventstore.Store
	stream string
	races  int
	race   func(ctx context.Context) error
}

func (s *racingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.Proposed) (eventstore.AppendResult, error) {
	if stream == s.stream && s.races > 0 {
		s.races--
		if err := s.race(ctx); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.Store.Append(ctx, stream, expected, evs)
}

func TestImportRetriesAfterConcurrentWrite(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	reg := es.NewRegistry(domain.EventTypes)
	rows := parseFile(t, censusFile(t))
	other := &Handler{Store: store, Registry: reg}
	racing := &racingStore{Store: store, stream: "council.50910113", races: 1, race: func(ctx context.Context) error {
		// Another import registers the same commune first.
		_, _, err := other.Register(ctx, domain.Council{
			Code: "50910113", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, NameFR: "Zaouiat Cheikh",
			ParentCode: "beni-mellal", Population: 25_063, CensusYear: 2024,
		}, admin)
		return err
	}}
	im := &Importer{Store: racing, Registry: reg}
	rep, err := im.Import(ctx, rows, 2024, "bmk.csv", admin)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Registered != 140 || rep.Unchanged != 1 || rep.Updated != 0 || racing.races != 0 {
		t.Fatalf("report %+v, races left %d", rep, racing.races)
	}
	if evs, err := store.ReadStream(ctx, "council.50910113", 0, 0); err != nil || len(evs) != 1 {
		t.Fatalf("Zaouiat Cheikh: %d events, %v", len(evs), err)
	}
}

func TestImportGivesUpAfterFourAttempts(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	reg := es.NewRegistry(domain.EventTypes)
	if _, err := (&Importer{Store: store, Registry: reg}).Import(ctx, parseFile(t, censusFile(t)), 2024, "bmk.csv", admin); err != nil {
		t.Fatal(err)
	}
	other := &Handler{Store: store, Registry: reg}
	pop := int64(30_000)
	racing := &racingStore{Store: store, stream: "council.50910113", races: 10, race: func(ctx context.Context) error {
		pop++
		_, _, err := other.RecordPopulation(ctx, "50910113", pop, 2024, "elsewhere", admin)
		return err
	}}
	_, err := (&Importer{Store: racing, Registry: reg}).Import(ctx, parseFile(t, modifiedCensus(t)), 2024, "modified.csv", admin)
	if !errors.Is(err, eventstore.ErrWrongExpectedRevision) || racing.races != 10-maxAttempts {
		t.Fatalf("Import = %v after %d attempts; want a wrong-revision error after %d", err, 10-racing.races, maxAttempts)
	}
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	reg := es.NewRegistry(domain.EventTypes)
	h := &Handler{Store: store, Registry: reg}
	region := domain.Council{Code: "beni-mellal-khenifra", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_REGION, NameFR: "Béni Mellal-Khénifra", Population: 2_525_801, CensusYear: 2024}

	got, pos, err := h.Register(ctx, region, admin)
	if err != nil || got != region || pos != 1 {
		t.Fatalf("Register = %+v, %d, %v", got, pos, err)
	}
	if _, _, err := h.Register(ctx, region, admin); !errors.Is(err, domain.ErrCouncilExists) {
		t.Fatalf("Register twice: %v", err)
	}
	var fe *domain.FieldError
	if _, _, err := h.Register(ctx, domain.Council{Code: "Béni"}, admin); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("Register(bad code): %v", err)
	}
	bad := region
	bad.Code, bad.ParentCode = "other", "x"
	if _, _, err := h.Register(ctx, bad, admin); !errors.As(err, &fe) || fe.Field != "parent_code" {
		t.Fatalf("Register(region with parent): %v", err)
	}

	if _, _, err := h.RecordPopulation(ctx, "nowhere", 10, 2024, "", admin); !errors.Is(err, domain.ErrCouncilNotFound) {
		t.Fatalf("RecordPopulation(unknown): %v", err)
	}
	if _, _, err := h.RecordPopulation(ctx, region.Code, -1, 2024, "", admin); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("RecordPopulation(-1): %v", err)
	}
	got, pos, err = h.RecordPopulation(ctx, region.Code, region.Population, 2024, "same", admin)
	if err != nil || pos != 0 || got != region {
		t.Fatalf("RecordPopulation(same) = %+v, %d, %v", got, pos, err)
	}
	got, pos, err = h.RecordPopulation(ctx, region.Code, 3_100_000, 2034, "rgph2034", admin)
	if err != nil || pos != 2 || got.Population != 3_100_000 || got.CensusYear != 2034 {
		t.Fatalf("RecordPopulation = %+v, %d, %v", got, pos, err)
	}
	if n := domain.DefaultRulebook(got.Level).SignatureThreshold(got); n != 500 {
		t.Errorf("threshold after the new census: %d", n)
	}
	s, rev, exists, err := LoadCouncil(ctx, store, reg, region.Code)
	if err != nil || !exists || rev != 1 || s.Council != got {
		t.Fatalf("LoadCouncil = %+v, %d, %v, %v", s, rev, exists, err)
	}
	if _, _, exists, err := LoadCouncil(ctx, store, reg, "nowhere"); err != nil || exists {
		t.Fatalf("LoadCouncil(missing) = %v, %v", exists, err)
	}
}

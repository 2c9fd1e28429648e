package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	advisoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/advisory/events/v1"
	consultationseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/consultations/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	adomain "github.com/tasharuk/tasharuk/services/advisory/domain"
	cdomain "github.com/tasharuk/tasharuk/services/consultations/domain"
	"github.com/tasharuk/tasharuk/services/status"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// runBenchMechanisms loads advisory-body and consultation events over the
// communes and times the status queries.
func runBenchMechanisms(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench mechanisms", stderr)
	census := fs.String("census", "", "census CSV of the communes (default: the demo communes)")
	total := fs.Int("events", 100000, "advisory and consultation events to load")
	queries := fs.Int("queries", 5000, "status queries to time")
	binary := fs.String("binary", "", binaryHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench mechanisms", "unexpected argument %q", fs.Arg(0))
	}
	dir, bin, cleanup, err := benchFolder(ctx, "mechanisms", *binary, *census, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stderr, "bench mechanisms: loading %d events\n", *total)
	load, err := loadMechanisms(ctx, dir, *total)
	if err != nil {
		return err
	}
	srv, err := startBenchServer(ctx, bin, dir, "")
	if err != nil {
		return err
	}
	q, err := benchStatusQueries(srv, *queries)
	srv.stop()
	if err != nil {
		return err
	}
	natsbench.Print(stdout, append([]natsbench.Result{load}, q...))
	return nil
}

// loadMechanisms writes, for every commune in turn, an equity body with 21
// members, meetings and opinions (adopted, transmitted, half answered), and
// consultations with three workshops each, until total events are written.
func loadMechanisms(ctx context.Context, dir string, total int) (natsbench.Result, error) {
	s, err := natsstore.Open(ctx, natsstore.Config{DataDir: dir})
	if err != nil {
		return natsbench.Result{}, err
	}
	defer s.Close()
	reg := newRegistry()
	model := status.NewReadModels(reg)
	if err := projections.Rebuild(ctx, s, model.Runner); err != nil {
		return natsbench.Result{}, err
	}
	communes := model.Territory.Councils("", 1)
	if len(communes) == 0 {
		return natsbench.Result{}, fmt.Errorf("no communes")
	}
	actor := eventstore.Actor{Subject: "bench", Role: "advisory"}
	now := time.Now().UTC().AddDate(0, -1, 0)
	propose := func(m proto.Message) eventstore.Proposed {
		p, _ := reg.Propose(m, es.Meta{ID: uuid.Must(uuid.NewV7()).String(), OccurredAt: now, Actor: actor})
		return p
	}
	perCommune := total / len(communes)
	type job struct {
		stream string
		exp    eventstore.ExpectedRevision
		evs    []eventstore.Proposed
	}
	jobs := make(chan job, 256)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := s.Append(ctx, j.stream, j.exp, j.evs); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	start := time.Now()
	written := 0
	// Each commune's body stream is written by one job sequence, so its
	// appends keep their order: send whole batches per commune.
	var cw sync.WaitGroup
	for _, c := range communes {
		council := "communes/" + c.Code
		budget := perCommune
		var body []eventstore.Proposed
		body = append(body, propose(&advisoryeventsv1.BodySetUp{BodyId: "equity-gender", Council: council, Kind: advisoryeventsv1.BodyKind_BODY_KIND_EQUITY_GENDER,
			Name: "IEECAG", DecisionDate: "2026-01-10", DecisionReference: "d", QuorumPercent: 50}))
		var ids []string
		for i := range 21 {
			id := fmt.Sprintf("m%02d", i)
			ids = append(ids, id)
			body = append(body, propose(&advisoryeventsv1.MemberJoined{Member: &advisoryeventsv1.Member{MemberId: id, Sex: advisoryeventsv1.Sex(1 + i%2), AgeBand: advisoryeventsv1.AgeBand(1 + i%3), Disability: i%10 == 0}}))
		}
		budget -= len(body)
		var cons []job
		for k := 0; budget > 0; k++ {
			if k%4 == 3 {
				// A consultation with three workshops, answered.
				id := uuid.Must(uuid.NewV7()).String()
				evs := []eventstore.Proposed{propose(&consultationseventsv1.ConsultationRequested{ConsultationId: id, Council: council, Requester: consultationseventsv1.Requester_REQUESTER_PRESIDENT,
					SubjectKind: consultationseventsv1.SubjectKind_SUBJECT_KIND_BUDGET, Title: "Budget", Deadline: "2030-01-01"})}
				for w := range 3 {
					evs = append(evs, propose(&consultationseventsv1.WorkshopHeld{WorkshopId: fmt.Sprint("w", w), Date: "2026-10-01", Place: "p", Theme: "t", Participants: 60, Women: 20, Youth: 20, Disability: 4}))
				}
				evs = append(evs, propose(&consultationseventsv1.ConsultationAnswered{Synthesis: "synthèse"}))
				cons = append(cons, job{cdomain.ConsultationStream(c.Code, id), eventstore.NoStream, evs})
				budget -= len(evs)
				continue
			}
			// A meeting and an opinion adopted, transmitted, half answered.
			m := fmt.Sprint("s", k)
			op := uuid.Must(uuid.NewV7()).String()
			body = append(body,
				propose(&advisoryeventsv1.MeetingHeld{MeetingId: m, Attendees: ids[:15], QuorumReached: true, MembersInOffice: 21}),
				propose(&advisoryeventsv1.OpinionDrafted{OpinionId: op, Title: "avis", Text: "texte"}),
				propose(&advisoryeventsv1.OpinionAdopted{OpinionId: op, MeetingId: m, VotesFor: 10, VotesAgainst: 3, Abstentions: 2}),
				propose(&advisoryeventsv1.OpinionTransmitted{OpinionId: op}))
			budget -= 4
			if k%2 == 0 {
				body = append(body, propose(&advisoryeventsv1.CouncilResponded{OpinionId: op, Response: advisoryeventsv1.CouncilResponse(1 + k%3), Reasons: "motifs"}))
				budget--
			}
		}
		written += len(body)
		for _, j := range cons {
			written += len(j.evs)
			jobs <- j
		}
		cw.Add(1)
		go func(stream string, evs []eventstore.Proposed) {
			defer cw.Done()
			exp := eventstore.NoStream
			for i := 0; i < len(evs); i += 200 {
				end := min(i+200, len(evs))
				res, err := s.Append(ctx, stream, exp, evs[i:end])
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				exp = eventstore.Exact(res.Revision)
			}
		}(adomain.BodyStream(c.Code, "equity-gender"), body)
	}
	close(jobs)
	wg.Wait()
	cw.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		return natsbench.Result{}, e
	}
	d := time.Since(start)
	return natsbench.Result{Name: fmt.Sprintf("load: %d advisory and consultation events over %d communes", written, len(communes)), Ops: written, Duration: d, Rate: float64(written) / d.Seconds()}, nil
}

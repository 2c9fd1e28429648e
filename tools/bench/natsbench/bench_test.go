package natsbench_test

import (
	"context"
	"os"
	"testing"

	natsstore "github.com/tasharuk/tasharuk/eventstore/nats"
	"github.com/tasharuk/tasharuk/tools/bench/natsbench"
)

// BenchmarkAppendAndReplay runs the same measurements as
// `go run ./tools/bench all` and reports tasharuk's rates as ratios to the
// raw engine measured in the same run.
// Run: go test -run '^$' -bench AppendAndReplay ./tools/bench/natsbench/
func BenchmarkAppendAndReplay(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		s, err := natsstore.Open(ctx, natsstore.Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		o := natsbench.Options{Writers: 64, Appends: 20000, ReplayTotal: 100000, PayloadSize: 200}
		app, err := natsbench.RunAppend(ctx, s, nil, o)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := natsbench.RunReplay(ctx, s, nil, o)
		if err != nil {
			b.Fatal(err)
		}
		natsbench.Print(os.Stdout, append(app, rep...))
		b.ReportMetric(app[2].Rate, "appends/s")
		b.ReportMetric(app[2].Ratio, "x-raw-sync")
		b.ReportMetric(app[3].Ratio, "x-raw-atomic")
		b.ReportMetric(rep[1].Rate, "replay-events/s")
		b.ReportMetric(rep[1].Ratio, "x-raw-ordered")
		_ = s.Close()
	}
}

package readmodel

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// The read model keeps rulebook events only, answers by day, and a
// snapshot restores the same answers.
func TestRulebooksApplySnapshotRestore(t *testing.T) {
	months := int32(2)
	margin := int32(5)
	r := NewRulebooks()
	at := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	for _, p := range []proto.Message{
		&territoryeventsv1.CouncilRegistered{Code: "x"},
		&territoryeventsv1.RulebookAmended{Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, Version: 2, LegalReference: "loi", EffectiveDate: "2027-03-01",
			Values: &territoryeventsv1.RulebookValues{DecisionDeadlineMonths: &months}, ChangedFields: []string{"decision_deadline_months"}},
		&territoryeventsv1.CouncilRulesSet{CouncilCode: "50910113", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, Version: 1, InternalRulesReference: "délibération",
			EffectiveDate: "2027-02-01", SessionMarginDays: &margin, ChangedFields: []string{"session_margin_days"}},
	} {
		if err := r.Apply(&eventstore.Event{RecordedAt: at}, p); err != nil {
			t.Fatal(err)
		}
	}
	zc := domain.Council{Code: "50910113", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, Population: 25_063}
	kt := domain.Council{Code: "50910107", Level: territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_COMMUNE, Population: 47_399}
	check := func(r *Rulebooks) {
		t.Helper()
		if rb := r.On(zc, time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC)); rb.DecisionDeadlineMonths != 3 || rb.SessionMarginDays != 5 || rb.Version != 1 || rb.CouncilRulesVersion != 1 {
			t.Errorf("28 February: %+v", rb)
		}
		if rb := r.On(zc, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); rb.DecisionDeadlineMonths != 2 || rb.Version != 2 {
			t.Errorf("1 March: %+v", rb)
		}
		if rb := r.On(kt, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); rb.DecisionDeadlineMonths != 2 || rb.SessionMarginDays != domain.DefaultSessionMarginDays || rb.CouncilRulesVersion != 0 {
			t.Errorf("another commune: %+v", rb)
		}
		if vs := r.Versions(zc); len(vs) != 2 || vs[0].Scope != domain.ScopeLevel || vs[1].Scope != domain.ScopeCouncil || !vs[0].RecordedAt.Equal(at) {
			t.Errorf("versions: %+v", vs)
		}
	}
	check(r)
	data, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewRulebooks()
	if err := restored.Restore(data); err != nil {
		t.Fatal(err)
	}
	check(restored)
	if err := restored.Restore(nil); err != nil || len(restored.Versions(zc)) != 0 {
		t.Errorf("restore of nothing: %v %v", err, restored.Versions(zc))
	}
	if err := restored.Restore([]byte("not gob")); err == nil {
		t.Error("a damaged section was restored")
	}
}

// Package query holds the information context's queries, one file each,
// answered from the context's read model. A citizen reads only their own
// requests; the council's designated official reads all of the council's;
// the figures, the register and the calendar are public.
package query

import (
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/information/app/command"
	"github.com/tasharuk/tasharuk/services/information/domain"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
)

// Deps is what every query shares.
type Deps struct {
	Model      *readmodel.Model
	Councils   command.Councils
	Requesters command.RequesterKeys
	Now        func() time.Time
}

// asOf resolves a query's as-of fields: a position, or a time turned into
// the last of the context's positions by then; deadlines are judged on that
// day (by the service's clock).
func (d Deps) asOf(position uint64, at time.Time) (readmodel.AsOf, error) {
	switch {
	case position > 0 && !at.IsZero():
		return readmodel.AsOf{}, fault.Field("as_of_time", "give as_of_position or as_of_time, not both")
	case !at.IsZero():
		p := d.Model.PositionAt(at)
		if p == 0 {
			return readmodel.AsOf{}, errBeforeLog
		}
		return readmodel.AsOf{Position: p, Today: domain.DayOf(at)}, nil
	case position > 0:
		t := d.Model.ClockAt(position)
		if t.IsZero() {
			t = d.Now()
		}
		return readmodel.AsOf{Position: position, Today: domain.DayOf(t)}, nil
	}
	return readmodel.AsOf{Today: domain.DayOf(d.Now())}, nil
}

// errBeforeLog: the time asked for is before the log's first event, when
// nothing was known.
var errBeforeLog = fault.Field("as_of_time", "the log holds nothing recorded by then")

// View is a request as its reader may see it, with the acts they may do
// now.
type View struct {
	readmodel.Request
	Complaints []ComplaintView
	Acts       []string
}

// ComplaintView is one complaint with its decision's due day.
type ComplaintView struct {
	Level       int32
	Complaint   domain.Complaint
	DecisionDue domain.Day
}

// visible reports whether actor may read the request.
func (d Deps) visible(actor eventstore.Actor, code string, r readmodel.Request) bool {
	return command.Official(actor) || (r.State.RequesterKey != "" && r.State.RequesterKey == command.RequesterKey(d.Requesters, code, actor.Subject))
}

func (d Deps) view(actor eventstore.Actor, r readmodel.Request, a readmodel.AsOf) View {
	rules := d.Model.Rules()
	v := View{Request: r}
	for _, level := range []int32{1, 2} {
		c, ok := r.State.Complaints[complaintLevel(level)]
		if ok {
			v.Complaints = append(v.Complaints, ComplaintView{Level: level, Complaint: c, DecisionDue: r.State.DecisionDue(complaintLevel(level), rules)})
		}
	}
	if a.Position != 0 {
		return v // the past is read, not acted on
	}
	official := command.Official(actor)
	cal := d.Model.Calendar(0)
	today := a.Today
	if official && !r.State.Answered {
		if !r.State.Extended && !today.After(r.DueOn) {
			v.Acts = append(v.Acts, "extend")
		}
		v.Acts = append(v.Acts, "answer", "refuse")
	}
	if _, lodged := r.State.Complaints[complaintLevel(1)]; !lodged {
		from, to := r.State.HeadComplaintWindow(cal, rules)
		if !today.Before(from) && !today.After(to) {
			v.Acts = append(v.Acts, "complain")
		}
	} else if _, lodged := r.State.Complaints[complaintLevel(2)]; !lodged {
		if from, to, ok := r.State.CommissionComplaintWindow(rules); ok && !today.Before(from) && !today.After(to) {
			v.Acts = append(v.Acts, "complain")
		}
	}
	if official {
		for _, c := range r.State.Complaints {
			if !c.Decided {
				v.Acts = append(v.Acts, "decideComplaint")
				break
			}
		}
	}
	return v
}

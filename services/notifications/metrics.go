package notifications

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the outbox's figures on /metrics: queue depth, age of the
// oldest pending message, messages sent and failed attempts by channel,
// messages dropped.
type Metrics struct {
	Sent    *prometheus.CounterVec
	Failed  *prometheus.CounterVec
	Dropped prometheus.Counter
	// Uncertain counts attempts whose outcome is unknown (see Outbox):
	// each may have put a repeat, with the same Message-ID, at the
	// receiver.
	Uncertain prometheus.Counter
	outbox    *Outbox

	sends, failures, uncertains atomic.Int64
}

// Uncertains is the number of uncertain attempts so far.
func (m *Metrics) Uncertains() int64 { return m.uncertains.Load() }

// Sends is the number of messages sent so far, all channels.
func (m *Metrics) Sends() int64 { return m.sends.Load() }

// Failures is the number of failed attempts so far, all channels.
func (m *Metrics) Failures() int64 { return m.failures.Load() }

// NewMetrics makes the collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tasharuk_notifications_sent_total",
			Help: "Messages handed to their channel (SMTP accepted, SMS gateway 2xx)."}, []string{"channel"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tasharuk_notifications_failed_attempts_total",
			Help: "Delivery attempts that failed (each retry counts)."}, []string{"channel"}),
		Dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "tasharuk_notifications_dropped_total",
			Help: "Messages not sent: recipient erased, without contact, or unsubscribed."}),
		Uncertain: prometheus.NewCounter(prometheus.CounterOpts{Name: "tasharuk_notifications_uncertain_attempts_total",
			Help: "Attempts whose outcome is unknown (the process died or the connection broke after the end of DATA): the message goes again with the same Message-ID, a possible repeat at a receiver that does not deduplicate by Message-ID."}),
	}
}

// Collectors returns the collectors to register, with the queue gauges.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Sent, m.Failed, m.Dropped, m.Uncertain,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tasharuk_notifications_queue_depth",
			Help: "Messages planned and not yet settled (sent, dead-lettered or dropped)."}, func() float64 {
			if m.outbox == nil {
				return 0
			}
			n, _ := m.outbox.Depth()
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tasharuk_notifications_planner_start_position",
			Help: "Log position the outbox's planner began reading from at start: 1 without a snapshot, the snapshot's position + 1 with one."}, func() float64 {
			if m.outbox == nil {
				return 0
			}
			return float64(m.outbox.PlannerStart())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tasharuk_notifications_oldest_pending_seconds",
			Help: "Age of the oldest message waiting to be sent (0 when none)."}, func() float64 {
			if m.outbox == nil {
				return 0
			}
			_, oldest := m.outbox.Depth()
			if oldest.IsZero() {
				return 0
			}
			return m.outbox.Now().Sub(oldest).Seconds()
		}),
	}
}

func (m *Metrics) sent(ch Channel)   { m.Sent.WithLabelValues(string(ch)).Inc(); m.sends.Add(1) }
func (m *Metrics) failed(ch Channel) { m.Failed.WithLabelValues(string(ch)).Inc(); m.failures.Add(1) }
func (m *Metrics) dropped()          { m.Dropped.Inc() }
func (m *Metrics) uncertain()        { m.Uncertain.Inc(); m.uncertains.Add(1) }

package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
)

// MaxEstateSeries bounds the estates shown one by one in the estate
// metrics: the first this many estates a daemon counts for. Later ones are
// counted under estate="_other", so the series stay bounded however many
// estates are configured. (A company has tens of estates, not thousands;
// estate ids are configured, never taken from a job.)
const MaxEstateSeries = 200

// The estate label values that are not estate ids.
const (
	// OtherEstates counts the estates beyond MaxEstateSeries.
	OtherEstates = "_other"
	// NoEstate counts what belongs to no estate: a delivery of a job whose
	// resident is unknown, a reply from a number that is nobody's.
	NoEstate = "_none"
)

// EstateMetrics count deliveries and replies by estate: the only metrics
// with an estate label (the others are by channel, kind, status, reason:
// an estate is one more factor of tens, a building or a resident would be
// one of thousands, so neither is ever a label). See docs/operations.md.
type EstateMetrics struct {
	// Deliveries counts delivery outcomes by estate, channel and status
	// (outreach_deliveries_total has them by channel, kind and status).
	Deliveries *prometheus.CounterVec
	// Replies counts residents' replies by estate and action (none,
	// opt_out, opt_in).
	Replies *prometheus.CounterVec

	mu   sync.Mutex
	seen map[string]bool // estates with a label of their own
}

func newEstateMetrics(reg prometheus.Registerer) *EstateMetrics {
	e := &EstateMetrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_estate_deliveries_total",
			Help: "Delivery outcomes by estate, channel and status (the first 200 estates; the rest as estate=\"_other\", deliveries to unknown residents as \"_none\").",
		}, []string{"estate", "channel", "status"}),
		Replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_estate_replies_total",
			Help: "Residents' replies by estate and action (none, opt_out, opt_in); replies from unknown numbers as estate=\"_none\".",
		}, []string{"estate", "action"}),
		seen: map[string]bool{},
	}
	reg.MustRegister(e.Deliveries, e.Replies)
	def := e.Label(outreach.DefaultEstateID)
	for _, c := range outreach.AllChannels {
		for _, s := range outreach.Statuses {
			e.Deliveries.WithLabelValues(def, string(c), string(s))
		}
	}
	for _, a := range []string{"none", "opt_out", "opt_in"} {
		e.Replies.WithLabelValues(def, a)
	}
	return e
}

// Label is the estate label of estate: its id for the first
// MaxEstateSeries estates, OtherEstates beyond, NoEstate for "".
func (e *EstateMetrics) Label(estate string) string {
	if estate == "" {
		return NoEstate
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen[estate] {
		return estate
	}
	if len(e.seen) >= MaxEstateSeries {
		return OtherEstates
	}
	e.seen[estate] = true
	return estate
}

// Delivered counts one delivery outcome of estate.
func (e *EstateMetrics) Delivered(estate string, c outreach.Channel, s outreach.Status) {
	e.Deliveries.WithLabelValues(e.Label(estate), string(c), string(s)).Inc()
}

// Replied counts one reply from a resident of estate ("" for nobody's).
func (e *EstateMetrics) Replied(estate, action string) {
	e.Replies.WithLabelValues(e.Label(estate), action).Inc()
}

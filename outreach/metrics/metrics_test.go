package metrics

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/outreach-dev/outreach/outreach"
)

// TestPreinit: every kind (welcome and escalation included) and both
// reload results show as zero before anything happens, and the metrics
// pass the linter promtool uses.
func TestPreinit(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := New(reg)
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	// channel x kind x every status
	if got, want := testutil.CollectAndCount(m.Deliveries), len(outreach.AllChannels)*len(outreach.Kinds)*len(outreach.Statuses); got != want {
		t.Errorf("deliveries has %d series, want %d", got, want)
	}
	want := `
# HELP outreach_template_reloads_total Reloads of the template set (SIGHUP), by result: success, or failure (the old set keeps serving).
# TYPE outreach_template_reloads_total counter
outreach_template_reloads_total{result="failure"} 0
outreach_template_reloads_total{result="success"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outreach_template_reloads_total"); err != nil {
		t.Error(err)
	}
	got := testutil.CollectAndCount(m.JobsReceived)
	if got != len(outreach.Kinds) {
		t.Errorf("jobs_received has %d series, want one per kind (%d)", got, len(outreach.Kinds))
	}
}

// TestPolicyPreinit: every policy decision, lane and follow-up kind shows
// as zero before anything happens.
func TestPolicyPreinit(t *testing.T) {
	t.Parallel()
	m := New(prometheus.NewRegistry())
	for name, tt := range map[string]struct {
		c    prometheus.Collector
		want int
	}{
		"policy decisions": {m.PolicyDecisions, len(outreach.PolicyOutcomes)},
		"follow-ups":       {m.FollowUps, len(outreach.Kinds)},
	} {
		if got := testutil.CollectAndCount(tt.c); got != tt.want {
			t.Errorf("%s: %d series, want %d", name, got, tt.want)
		}
	}
}

// TestEstateLabels: the estate metrics start with the default estate at
// zero, give the first MaxEstateSeries estates a label each and count the
// rest as _other, and what is nobody's as _none: bounded however many
// estates there are.
func TestEstateLabels(t *testing.T) {
	t.Parallel()
	m := New(prometheus.NewRegistry())
	e := m.Estates
	if got, want := testutil.CollectAndCount(e.Deliveries), len(outreach.AllChannels)*len(outreach.Statuses); got != want {
		t.Errorf("estate deliveries start with %d series, want %d (the default estate)", got, want)
	}
	e.Delivered("sunshine", outreach.ChannelSMS, outreach.StatusSent)
	e.Delivered("", outreach.ChannelSMS, outreach.StatusFailed)
	e.Replied("sunshine", "opt_out")
	if got := testutil.ToFloat64(e.Deliveries.WithLabelValues("sunshine", "sms", "sent")); got != 1 {
		t.Errorf("sunshine sent = %v", got)
	}
	if got := testutil.ToFloat64(e.Deliveries.WithLabelValues(NoEstate, "sms", "failed")); got != 1 {
		t.Errorf("nobody's failed = %v", got)
	}
	for i := range 2 * MaxEstateSeries {
		e.Delivered(fmt.Sprintf("estate-%d", i), outreach.ChannelEmail, outreach.StatusSent)
	}
	labels := map[string]bool{}
	ch := make(chan prometheus.Metric, 10000)
	e.Deliveries.Collect(ch)
	close(ch)
	for mt := range ch {
		var pb dto.Metric
		_ = mt.Write(&pb)
		for _, l := range pb.GetLabel() {
			if l.GetName() == "estate" {
				labels[l.GetValue()] = true
			}
		}
	}
	// default, sunshine, _none, _other and the estates that fit.
	if len(labels) != MaxEstateSeries+2 || !labels[OtherEstates] || !labels[NoEstate] || !labels["sunshine"] {
		t.Errorf("%d estate labels, want %d", len(labels), MaxEstateSeries+2)
	}
	if got := testutil.ToFloat64(e.Deliveries.WithLabelValues(OtherEstates, "email", "sent")); got != float64(2*MaxEstateSeries-(MaxEstateSeries-2)) {
		t.Errorf("_other = %v", got)
	}
}

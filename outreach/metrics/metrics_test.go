package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

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

package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store"
)

// TestStagesMove: a stage run counts under its result and is observed.
func TestStagesMove(t *testing.T) {
	t.Parallel()
	m := metrics.New(prometheus.NewRegistry())
	if got := testutil.CollectAndCount(m.Stages.Total); got != 2*9 {
		t.Errorf("%d stage/result series before anything happened, want 18", got)
	}
	m.Stages.Done(metrics.StageRender, time.Now(), nil)
	m.Stages.Done(metrics.StageRender, time.Now(), errors.New("missing contact"))
	m.Stages.Done(metrics.StageRender, time.Now(), errors.New("missing contact"))
	m.Stages.Done(metrics.StagePolicy, time.Time{}, nil)
	m.Stages.DoneN(metrics.StageAck, 3, time.Millisecond, nil)
	for _, tt := range []struct {
		stage, result string
		want          float64
	}{{"render", "ok", 1}, {"render", "error", 2}, {"policy", "ok", 1}, {"ack", "ok", 3}, {"send", "ok", 0}} {
		if got := testutil.ToFloat64(m.Stages.Total.WithLabelValues(tt.stage, tt.result)); got != tt.want {
			t.Errorf("stage %s result %s = %v, want %v", tt.stage, tt.result, got, tt.want)
		}
	}
	want := map[string]uint64{"render": 3, "policy": 0, "ack": 3}
	for stage, n := range want {
		if got := histogramCount(t, m.Stages.Duration, stage); got != n {
			t.Errorf("stage %s duration observed %d times, want %d", stage, got, n)
		}
	}
}

func histogramCount(t *testing.T, h *prometheus.HistogramVec, label string) uint64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

// TestSetQueue: the queue and lane gauges carry the stream and group.
func TestSetQueue(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetQueue(metrics.Queue{Stream: "outreach:jobs", Group: "outreach", Length: 7, Lag: 5, Pending: 2, Dead: 1, Delayed: 3,
		Lanes: []metrics.Lane{{Name: "urgent", Length: 1, Lag: 1}, {Name: "bulk", Length: 6, Lag: 4, Pending: 2}}})
	want := `
# HELP outreach_lane_lag Entries in each priority lane not yet read by the consumer group, by job stream, group and lane.
# TYPE outreach_lane_lag gauge
outreach_lane_lag{group="outreach",lane="bulk",stream="outreach:jobs"} 4
outreach_lane_lag{group="outreach",lane="urgent",stream="outreach:jobs"} 1
# HELP outreach_queue_pending Entries read by the consumer group but not yet acknowledged, by stream and group.
# TYPE outreach_queue_pending gauge
outreach_queue_pending{group="outreach",stream="outreach:jobs"} 2
# HELP outreach_delayed_jobs Jobs waiting in the delayed set (retries, future send_at, quiet hours, follow-ups), by job stream.
# TYPE outreach_delayed_jobs gauge
outreach_delayed_jobs{stream="outreach:jobs"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outreach_lane_lag", "outreach_queue_pending", "outreach_delayed_jobs"); err != nil {
		t.Error(err)
	}
}

// TestPoolCollector: nothing before Watch; then what the pool says.
func TestPoolCollector(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	if n := testutil.CollectAndCount(m.SMTPPool); n != 0 {
		t.Errorf("%d pool series before Watch", n)
	}
	inUse := 0
	m.SMTPPool.Watch(func() metrics.PoolStats { return metrics.PoolStats{Size: 4, InUse: inUse, Open: 2, Chained: 17} })
	inUse = 3
	want := `
# HELP outreach_smtp_chained_messages_total Emails whose envelope went in the same write as the message before them on an SMTP connection (pipelining across messages, when the pool is busy).
# TYPE outreach_smtp_chained_messages_total counter
outreach_smtp_chained_messages_total 17
# HELP outreach_smtp_connections_in_use SMTP connections taken by a message being sent.
# TYPE outreach_smtp_connections_in_use gauge
outreach_smtp_connections_in_use 3
# HELP outreach_smtp_connections_open SMTP connections currently established with the server.
# TYPE outreach_smtp_connections_open gauge
outreach_smtp_connections_open 2
# HELP outreach_smtp_pool_size SMTP connections the pool may hold (OUTREACH_SMTP_CONNS).
# TYPE outreach_smtp_pool_size gauge
outreach_smtp_pool_size 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"outreach_smtp_connections_in_use", "outreach_smtp_connections_open", "outreach_smtp_pool_size", "outreach_smtp_chained_messages_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// TestCampaignProgress: active campaigns show their targeted jobs and
// deliveries by status, bounded to MaxCampaignSeries plus "_other"; a
// campaign that ends disappears; the count by state follows.
func TestCampaignProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+t.TempDir()+"/outreach.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n := metrics.MaxCampaignSeries + 2
	for i := range n {
		c := outreach.Campaign{ID: fmt.Sprintf("c%02d", i), Name: "greeting", Kind: outreach.KindHolidayGreeting,
			Audience: outreach.Audience{All: true}, State: outreach.CampaignRunning, Targeted: 10,
			CreatedAt: created.Add(time.Duration(i) * time.Minute), UpdatedAt: created}
		if err := st.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	done := outreach.Campaign{ID: "old", Name: "old", Kind: outreach.KindHolidayGreeting, Audience: outreach.Audience{All: true},
		State: outreach.CampaignDone, Targeted: 5, CreatedAt: created, UpdatedAt: created}
	if err := st.CreateCampaign(ctx, done); err != nil {
		t.Fatal(err)
	}
	record := func(campaign, resident string, status outreach.Status) {
		t.Helper()
		now := time.Now().UTC()
		d := outreach.Delivery{ID: outreach.DeliveryID("job-"+campaign+"-"+resident, resident, outreach.ChannelEmail),
			JobID: "job-" + campaign + "-" + resident, ResidentID: resident, Kind: outreach.KindHolidayGreeting,
			Channel: outreach.ChannelEmail, Status: status, Campaign: campaign, CreatedAt: now, UpdatedAt: now}
		if err := st.Record(ctx, []outreach.Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	newest := fmt.Sprintf("c%02d", n-1)
	record(newest, "r1", outreach.StatusSent)
	record(newest, "r2", outreach.StatusSent)
	record(newest, "r3", outreach.StatusFailed)
	record("c00", "r1", outreach.StatusSuppressed) // the oldest: among "_other"
	record("c01", "r1", outreach.StatusSent)       // the same

	m := metrics.New(prometheus.NewRegistry())
	if err := m.Campaigns.Refresh(ctx, st); err != nil {
		t.Fatal(err)
	}
	get := func(g *prometheus.GaugeVec, labels ...string) float64 {
		return testutil.ToFloat64(g.WithLabelValues(labels...))
	}
	if got := get(m.Campaigns.ByState, "running"); got != float64(n) {
		t.Errorf("running campaigns = %v, want %d", got, n)
	}
	if got := get(m.Campaigns.ByState, "done"); got != 1 {
		t.Errorf("done campaigns = %v, want 1", got)
	}
	if got := get(m.Campaigns.Deliveries, newest, "sent"); got != 2 {
		t.Errorf("%s sent = %v, want 2", newest, got)
	}
	if got := get(m.Campaigns.Deliveries, newest, "failed"); got != 1 {
		t.Errorf("%s failed = %v, want 1", newest, got)
	}
	if got := get(m.Campaigns.Targeted, metrics.OtherCampaigns); got != 20 {
		t.Errorf("_other targeted = %v, want 20 (two campaigns of 10)", got)
	}
	if got := get(m.Campaigns.Deliveries, metrics.OtherCampaigns, "sent"); got != 1 {
		t.Errorf("_other sent = %v, want 1", got)
	}
	if got, want := testutil.CollectAndCount(m.Campaigns.Targeted), metrics.MaxCampaignSeries+1; got != want {
		t.Errorf("%d targeted series, want %d (bounded)", got, want)
	}

	if _, err := st.UpdateCampaign(ctx, newest, func(c *outreach.Campaign) error { c.State = outreach.CampaignDone; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Campaigns.Refresh(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := testutil.CollectAndCount(m.Campaigns.Deliveries); got > (metrics.MaxCampaignSeries+1)*len(outreach.Statuses) {
		t.Errorf("%d delivery series after a campaign ended", got)
	}
	if strings.Contains(gatherText(t, m), `campaign="`+newest+`"`) {
		t.Errorf("campaign %s is done but still shown", newest)
	}
	if got := get(m.Campaigns.ByState, "done"); got != 2 {
		t.Errorf("done campaigns = %v, want 2", got)
	}
}

func gatherText(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Campaigns.Targeted, m.Campaigns.Deliveries)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(mfs)
}

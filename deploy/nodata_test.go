package deploy_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/outreach-dev/outreach/outreach/metrics"
)

// setEveryTick are the gauges the daemon sets on its own ticks whatever
// happens (the queue's every StatsEvery, the SMTP pool's at every
// scrape), so a panel of them has data in normal
// operation without a fallback.
var setEveryTick = map[string]string{
	"outreach_queue_lag":                   "queue stats tick",
	"outreach_queue_pending":               "queue stats tick",
	"outreach_queue_length":                "queue stats tick",
	"outreach_delayed_jobs":                "queue stats tick",
	"outreach_dead_letter_stream_length":   "queue stats tick",
	"outreach_lane_lag":                    "queue stats tick",
	"outreach_lane_length":                 "queue stats tick",
	"outreach_lane_pending":                "queue stats tick",
	"outreach_shard_lag":                   "queue stats tick",
	"outreach_shard_pending":               "queue stats tick",
	"outreach_shard_length":                "queue stats tick",
	"outreach_shard_delayed_jobs":          "queue stats tick",
	"outreach_smtp_connections_in_use":     "read from the SMTP pool at every scrape",
	"outreach_smtp_connections_open":       "read from the SMTP pool at every scrape",
	"outreach_smtp_pool_size":              "read from the SMTP pool at every scrape",
	"outreach_smtp_chained_messages_total": "read from the SMTP pool at every scrape",
}

// selector is one metric selector of a PromQL expression with its
// label matchers.
var selector = regexp.MustCompile(`\b(outreach_[a-z0-9_]+)(\{[^}]*\})?`)
var matcher = regexp.MustCompile(`([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"`)

// present reports whether a fresh daemon's registry (metrics.New and
// NewArchive, with the series the API pre-initialises for its routes)
// holds a series that sel selects.
func present(families map[string]*dto.MetricFamily, name, matchers string) bool {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := families[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) {
			return matches(f, matchers)
		}
	}
	f, ok := families[name]
	return ok && matches(f, matchers)
}

func matches(f *dto.MetricFamily, matchers string) bool {
	ms := matcher.FindAllStringSubmatch(matchers, -1)
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for _, mm := range ms {
			v := labels[mm[1]]
			re := regexp.MustCompile("^(?:" + mm[3] + ")$")
			ok := map[string]bool{"=": v == mm[3], "!=": v != mm[3], "=~": re.MatchString(v), "!~": !re.MatchString(v)}[mm[2]]
			if !ok {
				continue series
			}
		}
		return true
	}
	return false
}

// TestPanelsShowZerosNotNoData: a panel of events that normal operation
// may not have had yet (retries, opt-outs, deferred jobs, API 5xx, the
// campaign panels) shows 0, not "No data": each query either selects
// series a fresh daemon already exports (pre-initialised label values),
// or falls back to `or on() vector(0)`. Quantiles and ratios are left
// out: there is no honest 0 for a p99 of nothing, or for 0/0.
func TestPanelsShowZerosNotNoData(t *testing.T) {
	t.Parallel()
	_, dash := loadDashboard(t)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	metrics.NewArchive(reg)
	m.HTTP.Preinit("GET /v1/example", true)
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]*dto.MetricFamily{}
	for _, f := range gathered {
		families[f.GetName()] = f
	}
	checked := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			e := tg.Expr
			if !strings.Contains(e, "outreach_") || strings.Contains(e, "histogram_quantile") || strings.Contains(e, " / ") {
				continue
			}
			checked++
			if strings.Contains(e, "or on() vector(0)") {
				continue
			}
			for _, s := range selector.FindAllStringSubmatch(e, -1) {
				if setEveryTick[s[1]] == "" && !present(families, s[1], s[2]) {
					t.Errorf("panel %q: %s shows No data until its first event: pre-initialise %s%s in outreach/metrics or end the query with `or on() vector(0)`", p.Title, e, s[1], s[2])
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d queries checked", checked)
	}
}

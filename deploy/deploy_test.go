// Package deploy_test checks the operations files in deploy/ against the
// daemon: every metric a dashboard panel or an alert queries must be one
// that the daemon registers.
package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach/metrics"
)

// descRecorder is a Registerer that keeps the metric names it is given.
type descRecorder struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}
func (r *descRecorder) Unregister(prometheus.Collector) bool { return false }

// registered is every metric name the daemon registers: the metrics
// package's New and NewArchive (the retention job's, which the daemon
// registers whether or not retention is on).
func registered(t *testing.T) map[string]bool {
	t.Helper()
	r := &descRecorder{names: map[string]bool{}}
	metrics.New(r)
	metrics.NewArchive(r)
	if len(r.names) < 10 {
		t.Fatalf("only %d metrics registered: %v", len(r.names), r.names)
	}
	return r.names
}

var metricRef = regexp.MustCompile(`\boutreach_[a-z0-9_]+`)

// referenced lists the outreach_ metric names that text queries, with the
// series suffixes of histograms taken off.
func referenced(text string) []string {
	var out []string
	for _, m := range metricRef.FindAllString(text, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			m = strings.TrimSuffix(m, suffix)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// dashboard is what the tests read of deploy/grafana/outreach.json.
type dashboard struct {
	Panels []struct {
		Type, Title string
		Targets     []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// loadDashboard reads the dashboard: its text and its panels.
func loadDashboard(t *testing.T) ([]byte, dashboard) {
	t.Helper()
	raw, err := os.ReadFile("grafana/outreach.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash dashboard
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	return raw, dash
}

func TestDashboardQueriesExposedMetrics(t *testing.T) {
	t.Parallel()
	_, dash := loadDashboard(t)
	have := registered(t)
	queries := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			queries++
			for _, name := range referenced(target.Expr) {
				if !have[name] {
					t.Errorf("panel %q queries %s, which the daemon does not expose", p.Title, name)
				}
			}
		}
	}
	if queries < 10 {
		t.Errorf("dashboard has only %d queries", queries)
	}
}

func TestAlertsQueryExposedMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	have := registered(t)
	refs := referenced(string(raw))
	if len(refs) < 4 {
		t.Fatalf("alerts reference only %v", refs)
	}
	for _, name := range refs {
		if !have[name] {
			t.Errorf("alerts.yml queries %s, which the daemon does not expose", name)
		}
	}
}

// TestDashboardCoversTheDaemon: the dashboard has its five sections, and
// every metric the daemon registers is on it, except the few listed here
// with the reason they are left off.
func TestDashboardCoversTheDaemon(t *testing.T) {
	t.Parallel()
	raw, dash := loadDashboard(t)
	var rows []string
	for _, p := range dash.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	if want := []string{"Overview", "Delivery", "Queue", "Failures", "Campaigns and policy"}; !slices.Equal(rows, want) {
		t.Errorf("dashboard sections %v, want %v", rows, want)
	}
	notShown := map[string]string{ // metric -> why it is not on the dashboard
	}
	on := referenced(string(raw))
	for name := range registered(t) {
		if !slices.Contains(on, name) && notShown[name] == "" {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
}

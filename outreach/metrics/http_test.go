package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHTTPMetrics: Preinit shows a route's auth failures as zeros,
// Observe counts by route and code and times by route, and the series
// pass the linter promtool uses.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := New(reg).HTTP
	h.Preinit("GET /v1/archive/export", true)
	h.Preinit("GET /v1/openapi.json", false)
	h.Observe("GET /v1/archive/export", 403, 3*time.Millisecond)
	h.Observe("GET /v1/archive/export", 200, 2*time.Second)
	want := `
# HELP outreach_http_requests_total Requests to the /v1/ API by route pattern and status code (401 and 403: refused tokens).
# TYPE outreach_http_requests_total counter
outreach_http_requests_total{code="200",route="GET /v1/archive/export"} 1
outreach_http_requests_total{code="401",route="GET /v1/archive/export"} 0
outreach_http_requests_total{code="403",route="GET /v1/archive/export"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outreach_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(h.Duration); n != 2 {
		t.Errorf("%d duration series, want one per route", n)
	}
	if problems, err := testutil.GatherAndLint(reg, "outreach_http_requests_total", "outreach_http_request_duration_seconds"); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

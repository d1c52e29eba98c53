package api

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHTTPMetrics: every /v1/ request is counted by its route's pattern
// (not its path) and status code, refused ones included, and timed; a
// path no route serves counts as unmatched. /metrics exposes them.
func TestHTTPMetrics(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	count := func(route, code string) float64 {
		return testutil.ToFloat64(env.http.Requests.WithLabelValues(route, code))
	}
	const search = "GET /v1/archive/deliveries"
	// Before any request, auth failures show as 0, not as no data.
	if n := testutil.CollectAndCount(env.http.Requests, "outreach_http_requests_total"); n < 2*19 {
		t.Errorf("%d series before any request, want 401 and 403 for every route behind a token", n)
	}
	steps := []struct {
		path, token string
		route, code string
	}{
		{"/v1/archive/deliveries", "", search, "401"},
		{"/v1/archive/deliveries", "outreach_nope", search, "401"},
		{"/v1/archive/deliveries", env.tokens["enqueue"], search, "403"},
		{"/v1/archive/deliveries?since=24h", env.tokens["read"], search, "200"},
		{"/v1/archive/deliveries?status=lost", env.tokens["read"], search, "400"},
		{"/v1/residents/r1001", env.tokens["read"], "GET /v1/residents/{id}", "200"},
		{"/v1/residents/nobody", env.tokens["read"], "GET /v1/residents/{id}", "404"},
		{"/v1/nothing-here", env.tokens["read"], "unmatched", "404"},
	}
	for _, s := range steps {
		before := count(s.route, s.code)
		r := env.do("GET", s.path, s.token, "")
		if after := count(s.route, s.code); after != before+1 {
			t.Errorf("GET %s (%d): %s code %s went %v -> %v, want +1", s.path, r.status, s.route, s.code, before, after)
		}
	}
	if n := testutil.CollectAndCount(env.http.Duration, "outreach_http_request_duration_seconds"); n < 3 {
		t.Errorf("%d duration series", n)
	}
	r := env.do("GET", "/metrics", "", "")
	for _, want := range []string{
		`outreach_http_requests_total{code="403",route="GET /v1/archive/deliveries"} 1`,
		`outreach_http_request_duration_seconds_count{route="GET /v1/archive/deliveries"} 5`,
		`outreach_http_requests_total{code="404",route="unmatched"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(r.body), "r1001") || strings.Contains(string(r.body), "nobody") {
		t.Error("/metrics carries a path with an id: the route label must be the pattern")
	}
}

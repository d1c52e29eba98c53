package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// UnmatchedRoute is the route label of a /v1/ request that no route
// serves (404 or 405 from the mux), so that the label stays bounded
// whatever paths clients try.
const UnmatchedRoute = "unmatched"

// HTTPMetrics count and time the requests to the /v1/ API by route (the
// route table's pattern, "GET /v1/archive/deliveries", never the raw
// path: bounded) and status code. Refused requests count too: a rise of
// code 401 or 403 is a client with a wrong, revoked or under-scoped token.
type HTTPMetrics struct {
	// Requests counts answered requests by route and code.
	Requests *prometheus.CounterVec
	// Duration observes the time to answer, by route (an export streams,
	// so it counts until the last byte).
	Duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	h := &HTTPMetrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_http_requests_total",
			Help: "Requests to the /v1/ API by route pattern and status code (401 and 403: refused tokens).",
		}, []string{"route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outreach_http_request_duration_seconds",
			Help:    "Time to answer a /v1/ API request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120},
		}, []string{"route"}),
	}
	reg.MustRegister(h.Requests, h.Duration)
	return h
}

// Observe records one answered request.
func (h *HTTPMetrics) Observe(route string, code int, took time.Duration) {
	h.Requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	h.Duration.WithLabelValues(route).Observe(took.Seconds())
}

// Preinit creates the series of a route that a dashboard should show as 0
// before the first request: its latency and, for a route behind a token,
// its 401 and 403 counts.
func (h *HTTPMetrics) Preinit(route string, authenticated bool) {
	h.Duration.WithLabelValues(route)
	if authenticated {
		h.Requests.WithLabelValues(route, "401")
		h.Requests.WithLabelValues(route, "403")
	}
}

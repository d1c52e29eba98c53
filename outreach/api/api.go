// Package api serves the daemon's HTTP endpoints: /metrics for Prometheus,
// /healthz (the process is up), /readyz (its dependencies answer), the
// JSON API under /v1/ (routes.go: jobs, residents, campaigns, template
// previews, the archive, the OpenAPI document; scoped bearer tokens,
// auth.go), which Config.Middleware wraps, the webhooks of providers
// and mail clients (see Webhooks), and the web console (Config.Console).
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/templates"
)

// Check reports whether one dependency answers.
type Check func(ctx context.Context) error

// Config wires the handler.
type Config struct {
	Gatherer prometheus.Gatherer
	// Checks run on /readyz, by name (e.g. "redis", "store").
	Checks map[string]Check
	// CheckTimeout bounds each readiness check (default 2s).
	CheckTimeout time.Duration
	Logger       *slog.Logger
	// Store serves the resident API under /v1/; without it and Campaigns
	// there is no /v1/ API.
	Store outreach.Store
	// PhoneRegion reads phone numbers without a country code in API
	// requests (OUTREACH_PHONE_REGION); empty accepts only numbers that
	// carry one.
	PhoneRegion string
	// Webhooks, when set, serves the Twilio webhooks and the unsubscribe
	// endpoint that it configures.
	Webhooks *Webhooks
	// Campaigns, when set, serves /v1/campaigns (see campaigns.go).
	Campaigns Campaigns
	// Cases, when set, serves /v1/cases (see cases.go).
	Cases *cases.Service
	// Middleware, when set, wraps every /v1/ route; the operational
	// endpoints above stay outside it.
	Middleware func(http.Handler) http.Handler
	// Auth, when set, requires a bearer token on every /v1/ route but the
	// OpenAPI document, with the scopes of the route (see routes.go):
	// 401 without a valid token, 403 without the scope. Nil turns
	// authentication off (OUTREACH_API_AUTH=off, dev mode).
	Auth Authenticator
	// Jobs, when set, serves POST /v1/jobs (see jobs.go).
	Jobs JobQueue
	// Templates, when set (with Store), serves POST /v1/templates/preview
	// with the set it returns (the daemon's current one).
	Templates func() *templates.Set
	// TimeZone is OUTREACH_TIMEZONE, for previews.
	TimeZone *time.Location
	// Console, when set, serves the web console under /console/ (package
	// console), and / redirects there.
	Console http.Handler
	// Exports bounds the archive exports streaming at once, the console's
	// included when it is given the same Slots (nil: a bound of
	// archive.MaxConcurrentExports for this handler's alone); beyond it
	// an export is refused with 429 and Retry-After.
	Exports *archive.Slots
	// HTTPMetrics, when set, counts and times every /v1/ request by route
	// pattern and status code, refused ones included (see routes.go).
	HTTPMetrics *metrics.HTTPMetrics
}

// withDefaults fills in what NewHandler and Routes need.
func (cfg Config) withDefaults() Config {
	if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Exports == nil {
		cfg.Exports = archive.NewSlots(0)
	}
	return cfg
}

// NewHandler returns the daemon's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelError),
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results := runChecks(r.Context(), cfg.Checks, cfg.CheckTimeout)
		status := http.StatusOK
		for name, res := range results {
			if res != "ok" {
				status = http.StatusServiceUnavailable
				cfg.Logger.Warn("readiness check failed", "check", name, "err", res)
			}
		}
		writeJSON(w, status, results)
	})
	if cfg.Store != nil || cfg.Campaigns != nil || cfg.Jobs != nil {
		// The whole /v1/ API is one handler (newV1: each route behind its
		// token scopes, see routes.go), which Config.Middleware wraps.
		// /metrics, the health checks and the webhooks stay outside it.
		v1 := newV1(cfg)
		if cfg.Middleware != nil {
			v1 = cfg.Middleware(v1)
		}
		mux.Handle("/v1/", v1)
	}
	if cfg.Webhooks != nil {
		cfg.Webhooks.register(mux, cfg.Logger)
	}
	if cfg.Console != nil {
		mux.Handle("/console/", cfg.Console)
		mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	}
	limiter, _ := cfg.Console.(BodyLimiter)
	return limitBodies(mux, limiter)
}

// BodyLimiter is a handler mounted on the API's mux (the console) that
// lets some of its requests have a body larger than MaxBodyBytes (the
// console's import upload), which it then bounds itself.
type BodyLimiter interface {
	// MaxBody is the cap for r, 0 for MaxBodyBytes.
	MaxBody(r *http.Request) int64
}

// limitBodies caps the body of every request at MaxBodyBytes, whatever
// route it is for (but what a BodyLimiter allows: the console's import upload): the routes that read a body bound it tighter
// themselves (webhooks and the unsubscribe form 64 KiB, the survey page
// 16 KiB, the console's forms console.MaxFormBytes), and a route added
// later without a bound of its own still has this one. net/http reads
// at most 256 KiB of a body a handler left unread before it closes the
// connection.
func limitBodies(next http.Handler, larger BodyLimiter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			limit := int64(MaxBodyBytes)
			if larger != nil && strings.HasPrefix(r.URL.Path, "/console/") {
				limit = max(limit, larger.MaxBody(r))
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// runChecks runs every check concurrently; the result is "ok" or the error.
func runChecks(ctx context.Context, checks map[string]Check, timeout time.Duration) map[string]string {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	results := make(map[string]string, len(checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			// A check that does not heed its context (a Redis client in a
			// read against a server that is SIGSTOPped, up to its own
			// timeouts and retries) still answers within timeout.
			done := make(chan error, 1)
			go func() { done <- checks[name](cctx) }()
			res := "ok"
			select {
			case err := <-done:
				if err != nil {
					res = err.Error()
				}
			case <-cctx.Done():
				res = fmt.Sprintf("no answer within %v", timeout)
			}
			mu.Lock()
			results[name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

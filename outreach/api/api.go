// Package api serves the daemon's HTTP endpoints: /metrics for Prometheus,
// /healthz (the process is up), /readyz (its dependencies answer), the
// JSON API under /v1/ (the resident directory, see residents.go; campaigns,
// see campaigns.go), which Config.Middleware wraps, and the webhooks of
// providers and mail clients (see Webhooks).
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/outreach-dev/outreach/outreach"
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
	// Middleware, when set, wraps every /v1/ route (authentication, for
	// one); the operational endpoints above stay outside it.
	Middleware func(http.Handler) http.Handler
}

// NewHandler returns the daemon's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.CheckTimeout == 0 {
		cfg.CheckTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
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
	if cfg.Store != nil || cfg.Campaigns != nil {
		// The whole /v1/ API is one handler, so that the authentication of
		// a later issue (scoped bearer tokens) wraps every route in one
		// place, here (Config.Middleware, or requireToken(scopes, v1)).
		// /metrics and the health checks stay outside it.
		v1 := newV1(cfg)
		if cfg.Middleware != nil {
			v1 = cfg.Middleware(v1)
		}
		mux.Handle("/v1/", v1)
	}
	if cfg.Webhooks != nil {
		cfg.Webhooks.register(mux, cfg.Logger)
	}
	return mux
}

// newV1 is the JSON API: every route under /v1/.
func newV1(cfg Config) http.Handler {
	mux := http.NewServeMux()
	if cfg.Store != nil {
		residents{store: cfg.Store, region: cfg.PhoneRegion, logger: cfg.Logger}.register(mux)
	}
	if cfg.Campaigns != nil {
		campaignRoutes(mux, cfg.Campaigns, cfg.Logger)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Responses carry profiles (names, contacts): no cache keeps them.
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
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
			res := "ok"
			if err := checks[name](cctx); err != nil {
				res = err.Error()
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

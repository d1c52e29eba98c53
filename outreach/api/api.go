// Package api serves the daemon's HTTP endpoints: /metrics for Prometheus,
// /healthz (the process is up), /readyz (its dependencies answer), and the
// API under /v1/ (campaigns), which Config.Middleware wraps.
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
	if cfg.Campaigns != nil {
		v1 := http.NewServeMux()
		campaignRoutes(v1, cfg.Campaigns, cfg.Logger)
		var h http.Handler = v1
		if cfg.Middleware != nil {
			h = cfg.Middleware(h)
		}
		mux.Handle("/v1/", h)
	}
	return mux
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

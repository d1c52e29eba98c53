package api

import (
	"net/http"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// Route is one route of the /v1/ API: the table that the mux, the scope
// checks, the OpenAPI test and the token matrix test all read, so that
// none of them can drift from the others.
type Route struct {
	// Pattern is the http.ServeMux pattern, "METHOD /v1/path/{param}".
	Pattern string
	// Scopes are the token scopes that may call the route: any one of them
	// suffices. None: the route is public (the OpenAPI document).
	Scopes []outreach.Scope
	// Handler serves the route.
	Handler http.Handler
}

// Who may call what. Reading residents and campaigns is for managers and
// for reviewers (read); changing them is for managers only. The archive
// is read's alone: a compliance reviewer's token reads it, and a
// manager's token gets read as well when it needs to (--scopes
// manage,read). Enqueueing is enqueue's alone: a service that sends
// notices cannot read or change profiles, and the reverse.
var (
	scopesEnqueue = []outreach.Scope{outreach.ScopeEnqueue}
	scopesManage  = []outreach.Scope{outreach.ScopeManage}
	scopesRead    = []outreach.Scope{outreach.ScopeRead}
	scopesBrowse  = []outreach.Scope{outreach.ScopeManage, outreach.ScopeRead}
)

// Routes is the /v1/ API that cfg configures, in a stable order.
func Routes(cfg Config) []Route {
	cfg = cfg.withDefaults()
	var rs []Route
	rs = append(rs, Route{Pattern: "GET /v1/openapi.json", Handler: http.HandlerFunc(serveOpenAPI)})
	if cfg.Jobs != nil {
		rs = append(rs, jobRoutes(cfg)...)
	}
	if cfg.Store != nil {
		rs = append(rs, residents{store: cfg.Store, region: cfg.PhoneRegion, logger: cfg.Logger}.routes()...)
		rs = append(rs, estateRoutes(cfg.Store, cfg.Logger)...)
		rs = append(rs, archiveRoutes(cfg.Store, cfg.Logger, cfg.Exports)...)
		rs = append(rs, surveyRoutes(cfg.Store, cfg.Logger)...)
		if cfg.Templates != nil {
			rs = append(rs, previewRoutes(cfg)...)
		}
	}
	if cfg.Campaigns != nil {
		rs = append(rs, campaignRoutes(cfg.Campaigns, cfg.Store, cfg.Logger)...)
	}
	if cfg.Cases != nil {
		rs = append(rs, caseRoutes(cfg.Cases, cfg.Logger)...)
	}
	return rs
}

// newV1 is the JSON API: every route of Routes under /v1/, each behind
// authentication and its scope check when cfg.Auth is set, and all of
// them counted in cfg.HTTPMetrics.
func newV1(cfg Config) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Routes(cfg) {
		h := rt.Handler
		authenticated := cfg.Auth != nil && len(rt.Scopes) > 0
		if authenticated {
			h = authenticate(cfg.Auth, cfg.Logger, requireScope(rt.Scopes, cfg.Logger, h))
		}
		mux.Handle(rt.Pattern, h)
		if cfg.HTTPMetrics != nil {
			cfg.HTTPMetrics.Preinit(rt.Pattern, authenticated)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Responses carry profiles (names, contacts): no cache keeps them.
		w.Header().Set("Cache-Control", "no-store")
		if cfg.HTTPMetrics == nil {
			mux.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// Deferred, so that an export aborted half way (a panic with
		// http.ErrAbortHandler) is counted too.
		defer func() {
			cfg.HTTPMetrics.Observe(routeLabel(r), rec.status(), time.Since(start))
		}()
		mux.ServeHTTP(rec, r)
	})
}

// routeLabel is the metrics label of a request the mux has routed: its
// route's pattern (which ServeMux sets on the request), bounded unlike
// the path; metrics.UnmatchedRoute when no route served it.
func routeLabel(r *http.Request) string {
	if r.Pattern == "" {
		return metrics.UnmatchedRoute
	}
	return r.Pattern
}

// statusRecorder remembers the status code a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing a streamed export).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// status is the code answered; 200 when the handler wrote nothing.
func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

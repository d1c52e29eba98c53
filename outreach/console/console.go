// Package console is the web console for property managers and
// service-centre staff (see docs/console.md): server-rendered
// html/template pages under /console/, embedded in the binary with
// go:embed, with htmx (vendored in static/) for progressive enhancement
// and no JavaScript build step. Every page but the login is behind a
// server-side session (auth.go); what a page shows is limited by the
// user's role and estates (pages.go: the page table, which the access
// matrix test reads).
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/templates"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Session lifetimes: a session ends after IdleTimeout without a request,
// and MaxAge after it began whatever happens.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
)

// Config wires the console.
type Config struct {
	// Store keeps the accounts, sessions and audit log, and holds what
	// the pages show.
	Store  outreach.Store
	Logger *slog.Logger
	// Secure marks the cookies Secure: set it when the console is reached
	// over https (OUTREACH_TLS_CERT, or an https OUTREACH_PUBLIC_URL in
	// front of a proxy).
	Secure bool
	// IdleTimeout and MaxAge bound sessions (defaults above).
	IdleTimeout, MaxAge time.Duration
	// Queue, when set, shows the queue's gauges (lag, dead letters) on the
	// overview.
	Queue QueueStats
	// TimeZone shows times (OUTREACH_TIMEZONE); nil is the local zone.
	TimeZone *time.Location
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Campaigns creates and steers campaigns (the daemon's service, which
	// the API uses too); nil: a campaign.Service on Store.
	Campaigns *campaign.Service
	// Templates is the template set previews render with (the daemon's
	// live set); nil: the built-in set.
	Templates func() *templates.Set
	// PhoneRegion reads phone numbers typed without a country code
	// (OUTREACH_PHONE_REGION); "" is CN.
	PhoneRegion string
	// DeadLetters lists and re-queues the queue's dead letters (the
	// daemon's queue.Producer); nil: the dead-letter page says there is no
	// queue.
	DeadLetters DeadLetters
	// Cases opens and steers the complaint loop's cases (the daemon's
	// service, which the API and the CLI use too); nil: a cases.Service on
	// Store with no queue (a case's messages are recorded as not queued).
	Cases *cases.Service
	// Exports bounds the archive exports streaming at once: the daemon
	// gives the API the same Slots, so the bound is the daemon's (nil: a
	// bound of archive.MaxConcurrentExports for the console alone).
	Exports *archive.Slots
}

// MaxFormBytes bounds the body of every request to the console but GET
// and HEAD (its forms: a campaign's texts are the largest, a few
// kilobytes); a larger one is refused with 413 before any handler runs.
const MaxFormBytes = 256 << 10

// MaxUploadBody bounds the body of the import's upload: the file
// (MaxUpload) and the multipart form around it.
const MaxUploadBody = MaxUpload + 1<<20

// MaxBody is the cap on r's body the API's handler may let through
// (api.BodyLimiter): MaxUploadBody for the import's upload, 0 (the
// API's own cap) for the rest.
func (c *Console) MaxBody(r *http.Request) int64 {
	if isUpload(r) {
		return MaxUploadBody
	}
	return 0
}

// isUpload reports whether r is the import's upload, the one request to
// the console whose body may be larger than MaxFormBytes (up to
// MaxUploadBody).
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/console/import" &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// Console is the web console's handler; build it with New.
type Console struct {
	cfg      Config
	mux      *http.ServeMux
	pages    map[string]*template.Template
	throttle *throttle
	mu       sync.Mutex
	links    map[string]loginLink       // one-time login links, by hash
	created  map[string]createdCampaign // campaigns the create flow made, by its nonce
	imports  map[string]*importJob      // files of residents being imported, by id
	wg       sync.WaitGroup             // the imports reading in the background
	ctx      context.Context            // ended by Close: the imports' writes stop
	cancel   context.CancelFunc
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("console: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.TimeZone == nil {
		cfg.TimeZone = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Exports == nil {
		cfg.Exports = archive.NewSlots(0)
	}
	if cfg.PhoneRegion == "" {
		cfg.PhoneRegion = "CN"
	}
	if cfg.Campaigns == nil {
		cfg.Campaigns = &campaign.Service{Store: cfg.Store, Zone: cfg.TimeZone, Now: cfg.Now}
	}
	if cfg.Cases == nil {
		cfg.Cases = &cases.Service{Store: cfg.Store, Jobs: noQueue{}, Now: cfg.Now, Logger: cfg.Logger}
	}
	if cfg.Templates == nil {
		set, err := templates.Builtin()
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		cfg.Templates = func() *templates.Set { return set }
	}
	c := &Console{cfg: cfg, mux: http.NewServeMux(), throttle: newThrottle(), links: map[string]loginLink{}, created: map[string]createdCampaign{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticHandler(http.FileServerFS(static))))
	for _, p := range c.table() {
		c.mux.Handle(p.Pattern, c.guard(p))
	}
	return c, nil
}

// ServeHTTP serves everything under /console/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The pages load nothing from elsewhere and run no inline script: a
	// name a resident gave cannot become code even if escaping failed.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if isUpload(r) {
		// The import's file: bounded by MaxUpload, read here as the
		// forms are.
		r.Body = http.MaxBytesReader(w, r.Body, MaxUploadBody)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				c.errorPage(w, r, http.StatusRequestEntityTooLarge, "import.error.toobig")
				return
			}
			c.errorPage(w, r, http.StatusBadRequest, "error.form")
			return
		}
	} else if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Every form is read here, bounded, before the page's handler
		// (whose PostFormValue then reads what was parsed).
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				c.errorPage(w, r, http.StatusRequestEntityTooLarge, "error.toolarge")
				return
			}
			c.errorPage(w, r, http.StatusBadRequest, "error.form")
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// staticHandler lets browsers cache the embedded files for a day.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (c *Console) now() time.Time { return c.cfg.Now() }

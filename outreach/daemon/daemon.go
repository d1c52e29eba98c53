// Package daemon assembles the outreach daemon from its configuration:
// store, templates, Redis, channels, metrics, the dispatch pipeline and the
// HTTP server, and runs them until its context is cancelled.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/store"
	"github.com/outreach-dev/outreach/outreach/survey"
	"github.com/outreach-dev/outreach/outreach/unsubscribe"
	"github.com/outreach-dev/outreach/outreach/webhook"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/templates"
)

// Options are what New needs beyond the configuration.
type Options struct {
	Config config.Config
	Logger *slog.Logger
	// Redis, when set, is used instead of dialing Config.RedisURL (dev
	// mode's embedded server). The daemon does not close it.
	Redis redis.UniversalClient
	// Senders, when set, replace the channels built from Config (dev mode's
	// outbox). The daemon closes them.
	Senders map[outreach.Channel]outreach.Sender
	// Dispatch overrides pipeline settings (tests); Consumer, Store,
	// Templates, Senders, Metrics, Logger and Policy are filled in by New
	// (Policy from Config.Policy), and Zones from Config.TimeZone unless
	// set. Its Now drives the campaign scheduler too.
	Dispatch dispatch.Config
	// SchedulerEvery is the campaign scheduler's tick (default 1s).
	SchedulerEvery time.Duration
	// CampaignStatsEvery is how often the campaign progress metrics are
	// read from the store (default 15s).
	CampaignStatsEvery time.Duration
	// SurveySweepEvery is how often open surveys past their expiry are
	// expired (default 1m; tests).
	SurveySweepEvery time.Duration
	// CaseSweepEvery is how often due case timers (limits, follow-ups)
	// fire (default 30s; tests).
	CaseSweepEvery time.Duration
	// ProbeEvery is how often a provider that is down is asked whether it
	// is back (default dispatch.ProbeEvery; tests).
	ProbeEvery time.Duration
	// APIMiddleware wraps the /v1/ routes (see api.Config.Middleware).
	APIMiddleware func(http.Handler) http.Handler
	// Hangup, when set, reloads the templates on every value it delivers
	// while Run runs: the command passes the channel it registered for
	// SIGHUP with signal.Notify.
	Hangup <-chan os.Signal
}

// Daemon is a running outreach daemon. Build it with New, start it with Run.
type Daemon struct {
	running    chan struct{} // closed once Run reads the stream
	logger     *slog.Logger
	dispatcher *dispatch.Dispatcher
	scheduler  *campaign.Scheduler
	http       *http.Server
	listener   net.Listener
	cleanups   []func() error // run in reverse order on the way out

	metrics       *metrics.Metrics
	templates     *templates.Live
	hangup        <-chan os.Signal
	campaignStats time.Duration
	retention     *archive.Retention    // nil: content is kept forever
	probe         func(context.Context) // asks providers that are down (probe.go)
	senders       map[outreach.Channel]outreach.Sender

	Store    outreach.Store
	Redis    redis.UniversalClient
	Keys     queue.Keys
	Registry *prometheus.Registry
	// Campaigns creates and steers campaigns (the HTTP API uses it too).
	Campaigns *campaign.Service
	// Surveys is the satisfaction loop (see survey.go).
	Surveys     *survey.Service
	surveySweep *survey.Sweeper
	// Cases is the complaint loop (see cases.go).
	Cases     *cases.Service
	caseSweep *cases.Sweeper
	// Console is the web console under /console/ (dev mode signs its demo
	// admin in with Console.LoginLink).
	Console *console.Console
}

// New builds every part of the daemon and opens its connections, so that a
// configuration or connectivity problem shows at start. On error, whatever
// was opened is closed again.
func New(ctx context.Context, opt Options) (_ *Daemon, err error) {
	cfg := opt.Config
	d := &Daemon{running: make(chan struct{}), logger: opt.Logger, hangup: opt.Hangup, campaignStats: cmp.Or(opt.CampaignStatsEvery, 15*time.Second)}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if err != nil {
			_ = d.cleanup()
		}
	}()

	if err := d.openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if d.templates, err = templates.NewLive(templateSource(cfg)); err != nil {
		return nil, fmt.Errorf("load templates (OUTREACH_TEMPLATES_DIR, OUTREACH_LOCALE_FALLBACK): %w", err)
	}
	d.logTemplates("templates loaded", d.templates.Current())
	if err := d.connectRedis(ctx, cfg, opt.Redis); err != nil {
		return nil, err
	}

	d.Registry = prometheus.NewRegistry()
	d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.metrics = metrics.New(d.Registry)

	senders := opt.Senders
	if senders == nil {
		if senders, err = buildSenders(cfg, d.metrics, d.logger); err != nil {
			return nil, err
		}
	}
	for _, s := range senders {
		d.cleanups = append(d.cleanups, s.Close)
	}
	d.senders = senders
	var signer *unsubscribe.Signer
	if cfg.PublicURL != "" {
		if signer, err = unsubscribe.NewSigner(cfg.Delivery.UnsubscribeSecret, cfg.PublicURL); err != nil {
			return nil, err
		}
	}

	consumer := queue.NewConsumer(d.Redis, d.Keys, queue.ConsumerOptions{
		Name:    cfg.Consumer,
		Count:   cfg.Workers,
		Block:   time.Second,
		MinIdle: cfg.ClaimIdle,
	})
	dc := d.dispatchConfig(cfg, opt, consumer, senders, signer)
	if d.dispatcher, err = dispatch.New(dc); err != nil {
		return nil, err
	}
	d.buildCampaigns(opt, consumer, dc.Zones, cfg.TimeZone)
	d.buildRetention(cfg, opt.Dispatch.Now)

	// One bound on the archive exports streaming at once, the API's and
	// the console's together.
	exports := archive.NewSlots(archive.MaxConcurrentExports)
	if err := d.buildConsole(cfg, opt, consumer, exports); err != nil {
		return nil, err
	}
	if err := d.buildHTTP(ctx, cfg, opt, senders, dc.Health, signer, exports); err != nil {
		return nil, err
	}
	d.warmStore(ctx)
	return d, nil
}

// openStore opens the archive (OUTREACH_DATABASE_URL), closed on the way
// out, and applies the default estate's settings to it.
func (d *Daemon) openStore(ctx context.Context, cfg config.Config) error {
	st, err := store.Open(ctx, string(cfg.DatabaseURL))
	if err != nil {
		return fmt.Errorf("open archive (OUTREACH_DATABASE_URL): %w", err)
	}
	d.Store = st
	d.cleanups = append(d.cleanups, st.Close)
	return d.applyDefaultEstate(ctx, cfg.DefaultEstate)
}

// connectRedis connects to OUTREACH_REDIS_URL (or checks that rdb, the
// caller's client, answers) and names the queue's keys, which must suit
// the Redis it is (a cluster needs hash tags).
func (d *Daemon) connectRedis(ctx context.Context, cfg config.Config, rdb redis.UniversalClient) error {
	// go-redis's own lines (a pool failing to dial while Redis is down,
	// dozens a second) go through our log, rate-limited, not as bare
	// lines on stderr. The logger is the process's: the last daemon set
	// up wins, which is the only one in production.
	redis.SetLogger(&logging.RedisLogger{Logger: d.logger})

	d.Redis = rdb
	if d.Redis == nil {
		// The blocking readers hold a connection each; workers, acks,
		// claims and the promoter need the rest.
		rdb, err := queue.Connect(ctx, string(cfg.RedisURL), queue.ConnectOptions{PoolSize: cfg.Workers + 8})
		if err != nil {
			return fmt.Errorf("connect to Redis (OUTREACH_REDIS_URL): %w", err)
		}
		d.Redis = rdb
		d.cleanups = append(d.cleanups, rdb.Close)
	} else if err := d.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("connect to Redis (OUTREACH_REDIS_URL): %w", err)
	}
	d.Keys = queue.NewShardedKeys(cfg.Stream, cfg.Group, cfg.Shards)
	if err := queue.CheckKeys(d.Redis, d.Keys); err != nil {
		return fmt.Errorf("OUTREACH_STREAM: %w; or set OUTREACH_SHARDS above 1, which tags every shard's names", err)
	}
	return nil
}

// dispatchConfig is the dispatcher's configuration: the caller's
// (opt.Dispatch, tests' tuning) completed from the settings and the parts
// built so far, with the provider probes, surveys and cases built on the
// way.
func (d *Daemon) dispatchConfig(cfg config.Config, opt Options, consumer *queue.Consumer, senders map[outreach.Channel]outreach.Sender, signer *unsubscribe.Signer) dispatch.Config {
	dc := opt.Dispatch
	dc.Consumer, dc.Store, dc.Templates, dc.Senders, dc.Metrics = consumer, d.Store, d.templates, senders, d.metrics
	dc.Logger = d.logger.With("component", "dispatch")
	// "running" only once the consumer groups exist and reading starts:
	// a daemon that cannot reach Redis never says it runs.
	dc.Ready = func() {
		close(d.running)
		d.logger.Info("outreach daemon running", "http", d.Addr(), "stream", d.Keys.Name, "shards", len(d.Keys.Shards()), "group", d.Keys.Group)
	}
	if dc.TimeZone == nil {
		dc.TimeZone = cfg.TimeZone
	}
	dc.Workers = cmp.Or(dc.Workers, cfg.Workers)
	dc.MaxAttempts = cmp.Or(dc.MaxAttempts, cfg.MaxAttempts)
	dc.MaxClaims = cmp.Or(dc.MaxClaims, cfg.MaxClaims)
	dc.Policy = cfg.Policy
	if dc.Zones == nil {
		dc.Zones = policy.NewZones(cfg.TimeZone)
	}
	dc.UrgentAllChannels = dc.UrgentAllChannels || cfg.Delivery.UrgentAllChannels
	dc.SendTimeout = sendTimeout(cfg, dc)
	if dc.Health == nil {
		dc.Health = dispatch.NewHealth()
	}
	d.buildProbes(senders, dc.Health, opt, dc.SendTimeout)
	if signer != nil {
		dc.Unsubscribe = signer.Link
	}
	dc.Surveys = d.buildSurveys(cfg, consumer, opt)
	d.buildCases(cfg, consumer, opt)
	return dc
}

// buildConsole builds the web console on the archive and the queue.
func (d *Daemon) buildConsole(cfg config.Config, opt Options, consumer *queue.Consumer, exports *archive.Slots) (err error) {
	d.Console, err = console.New(console.Config{
		Store:       d.Store,
		Queue:       consumer,
		Logger:      d.logger.With("component", "console"),
		Secure:      cfg.TLS.Enabled() || strings.HasPrefix(cfg.PublicURL, "https://"),
		TimeZone:    cfg.TimeZone,
		Now:         opt.Dispatch.Now,
		Campaigns:   d.Campaigns,
		Cases:       d.Cases,
		Templates:   d.templates.Current,
		PhoneRegion: cfg.PhoneRegion,
		IdleTimeout: cfg.ConsoleIdle,
		MaxAge:      cfg.ConsoleMaxAge,
		// The producer reads and re-queues the dead letters.
		DeadLetters: queue.NewProducer(d.Redis, d.Keys),
		Exports:     exports,
	})
	return err
}

// buildHTTP builds the HTTP server (the API, /metrics, the probes, the
// webhooks and the console), with TLS when configured, and listens on
// OUTREACH_HTTP_ADDR.
func (d *Daemon) buildHTTP(ctx context.Context, cfg config.Config, opt Options, senders map[outreach.Channel]outreach.Sender, health *dispatch.Health, signer *unsubscribe.Signer, exports *archive.Slots) (err error) {
	d.http = &http.Server{
		Handler: api.NewHandler(api.Config{
			Gatherer:    d.Registry,
			Checks:      checks(d.Redis, d.Store, senders, health),
			Logger:      d.logger.With("component", "http"),
			Store:       d.Store,
			PhoneRegion: cfg.PhoneRegion,
			Webhooks:    d.webhooks(cfg, d.Store, d.metrics, signer),
			Campaigns:   d.Campaigns,
			Cases:       d.Cases,
			Middleware:  opt.APIMiddleware,
			Auth:        apiAuth(ctx, cfg, d.Store, d.logger),
			Jobs:        queue.NewProducer(d.Redis, d.Keys),
			Templates:   d.templates.Current,
			TimeZone:    cfg.TimeZone,
			HTTPMetrics: d.metrics.HTTP,
			Console:     d.Console,
			Exports:     exports,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // the API reads bodies: a slow client cannot hold a connection forever
		WriteTimeout:      60 * time.Second, // nor can one that does not read the answer (exports stream past it)
		IdleTimeout:       120 * time.Second,
		// net/http's own complaints (TLS handshakes, panics) go to our log,
		// not as bare lines on stderr.
		ErrorLog: slog.NewLogLogger(d.logger.With("component", "http").Handler(), slog.LevelWarn),
	}
	if cfg.TLS.Enabled() {
		if d.http.TLSConfig, err = tlsConfig(cfg.TLS, d.logger); err != nil {
			return err
		}
	}
	if d.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen on OUTREACH_HTTP_ADDR %q: %w", cfg.HTTPAddr, err)
	}
	d.cleanups = append(d.cleanups, func() error { return d.listener.Close() })
	return nil
}

// checks are /readyz's: Redis answers a ping; the archive answers a ping
// and takes writes (a full disk fails writes only); each channel's
// provider is judged by the daemon's latest calls to it (dispatch.Health),
// since an SMTP relay or Twilio cannot be pinged for free.
func checks(rdb redis.UniversalClient, st outreach.Store, senders map[outreach.Channel]outreach.Sender, h *dispatch.Health) map[string]api.Check {
	writes := h.Check(dispatch.HealthArchive)
	c := map[string]api.Check{
		"redis": func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		"store": func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return err
			}
			if err := writes(ctx); err != nil {
				return fmt.Errorf("archive writes: %w", err)
			}
			return nil
		},
	}
	for ch := range senders {
		c[string(ch)] = h.Check(string(ch))
	}
	return c
}

// buildSenders creates the channels that the configuration enables.
func buildSenders(cfg config.Config, m *metrics.Metrics, logger *slog.Logger) (_ map[outreach.Channel]outreach.Sender, err error) {
	senders := map[outreach.Channel]outreach.Sender{}
	defer func() {
		if err != nil {
			for _, s := range senders {
				_ = s.Close()
			}
		}
	}()
	if cfg.EmailEnabled() {
		s, err := email.New(email.Config{
			URL:     string(cfg.SMTPURL),
			From:    cfg.EmailFrom,
			Conns:   cfg.SMTPConns,
			Timeout: cfg.Delivery.SendTimeout,
			Logger:  logger.With("channel", "email"),
			Waited:  func(d time.Duration) { m.SMTPPool.Wait.Observe(d.Seconds()) },
		})
		if err != nil {
			return nil, fmt.Errorf("set up email: %w", err)
		}
		m.SMTPPool.Watch(func() metrics.PoolStats {
			st := s.Stats()
			return metrics.PoolStats{Size: st.Size, InUse: st.InUse, Open: st.Open, Chained: st.Chained}
		})
		senders[outreach.ChannelEmail] = s
	}
	if cfg.SMSEnabled() {
		wait := m.RateLimitWait.WithLabelValues(string(outreach.ChannelSMS))
		s, err := sms.New(sms.Config{
			AccountSID:          cfg.TwilioAccountSID,
			AuthToken:           cfg.TwilioAuthToken,
			From:                cfg.SMSFrom,
			MessagingServiceSID: cfg.MessagingServiceSID,
			APIURL:              cfg.TwilioAPIURL,
			StatusCallback:      publicURL(cfg, sms.StatusPath),
			Rate:                cfg.Delivery.SMSRate,
			MaxSegments:         cfg.Delivery.SMSMaxSegments,
			Waited:              func(d time.Duration) { wait.Observe(d.Seconds()) },
			Logger:              logger.With("channel", "sms"),
		})
		if err != nil {
			return nil, fmt.Errorf("set up SMS: %w", err)
		}
		senders[outreach.ChannelSMS] = s
	}
	for ch, u := range cfg.Delivery.ChatChannels() {
		wc := webhook.Config{Channel: ch, URL: u, Logger: logger.With("channel", string(ch))}
		if ch == outreach.ChannelDingTalk {
			wc.Secret = cfg.Delivery.DingTalkSecret
		}
		s, err := webhook.New(wc)
		if err != nil {
			return nil, fmt.Errorf("set up %s: %w", ch, err)
		}
		senders[ch] = s
	}
	return senders, nil
}

// sendTimeout leaves an SMS time to wait for the rate limit: every worker
// may be queued behind it, so the last one waits workers/rate. Cutting
// that short would fail messages that only had to wait their turn.
func sendTimeout(cfg config.Config, dc dispatch.Config) time.Duration {
	base := cmp.Or(dc.SendTimeout, cfg.Delivery.SendTimeout, 30*time.Second)
	if !cfg.SMSEnabled() || cfg.Delivery.SMSRate <= 0 {
		return base
	}
	queue := time.Duration(float64(dc.Workers) / cfg.Delivery.SMSRate * float64(time.Second))
	return max(base, queue+base)
}

// publicURL is the daemon's public URL for path, "" when none is set.
func publicURL(cfg config.Config, path string) string {
	if cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(cfg.PublicURL, "/") + path
}

// webhooks are the endpoints that providers call, where configured: the
// Twilio webhooks need the public URL (Twilio signs it) and SMS, the
// unsubscribe links the public URL.
func (d *Daemon) webhooks(cfg config.Config, st outreach.Store, m *metrics.Metrics, signer *unsubscribe.Signer) *api.Webhooks {
	if cfg.PublicURL == "" {
		return nil
	}
	surveys := d.Surveys
	wh := &api.Webhooks{Store: st, Metrics: m, PublicURL: cfg.PublicURL, Unsubscribe: signer, OptOut: st.SetOptOut, Surveys: surveys}
	if surveys != nil && surveys.Links != nil {
		wh.SurveyPage = surveys.Page()
	}
	if cfg.SMSEnabled() {
		v := sms.NewValidator(cfg.TwilioAuthToken)
		wh.Twilio = &v
	}
	if cfg.Cases.FromInbound && d.Cases != nil {
		wh.Cases = d.Cases
	}
	return wh
}

// Metrics are the daemon's collectors (tests and embedding programs).
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// Running is closed once Run has made the consumer groups and reads the
// stream (when it logs "outreach daemon running").
func (d *Daemon) Running() <-chan struct{} { return d.running }

// Addr is the address the HTTP server listens on.
func (d *Daemon) Addr() string { return d.listener.Addr().String() }

// Run serves until ctx is cancelled, then shuts down in order: stop reading
// and finish jobs in flight, stop HTTP, close channels, Redis and the store.
// It returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	httpErr := make(chan error, 1)
	go func() {
		if err := d.serveHTTP(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr <- err
		}
		close(httpErr)
	}()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if d.hangup != nil {
		go d.reloadOnHangup(runCtx)
	}
	warmDone := d.warmSenders(runCtx, d.senders)
	dispatchDone := make(chan error, 1)
	go func() { dispatchDone <- d.dispatcher.Run(runCtx) }()
	schedulerDone := make(chan struct{})
	go func() { d.scheduler.Run(runCtx); close(schedulerDone) }()
	statsDone := make(chan struct{})
	go func() { d.refreshCampaignStats(runCtx); close(statsDone) }()
	retentionDone := d.runRetention(runCtx)
	sweepDone := d.runSurveySweep(runCtx)
	caseSweepDone := d.runCaseSweep(runCtx)
	probesDone := d.runProbes(runCtx)

	var err error
	select {
	case err = <-dispatchDone:
		// Run returns early only when it could not start.
	case err = <-httpErr:
		err = fmt.Errorf("HTTP server: %w", err)
		cancel()
		<-dispatchDone
	case <-ctx.Done():
		err = <-dispatchDone
	}
	cancel()
	<-schedulerDone
	<-statsDone
	<-retentionDone
	<-sweepDone
	<-caseSweepDone
	<-probesDone
	<-warmDone
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	_ = d.http.Shutdown(shutdownCtx)
	d.Console.Close()
	return errors.Join(err, d.cleanup())
}

// Close releases what New opened (the archive, Redis, the listener, the
// senders) for a Daemon that is not Run; Run releases them itself when it
// returns, and Close after that does nothing.
func (d *Daemon) Close() error { return d.cleanup() }

func (d *Daemon) cleanup() error {
	var errs []error
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		if err := d.cleanups[i](); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	d.cleanups = nil
	return errors.Join(errs...)
}

// Package config reads the daemon's configuration from the environment
// (see docs/design.md for the contract). Load applies defaults, then validates,
// and every error names the variable at fault. Secrets are held in outreach.Secret,
// which never prints its value.
package config

import (
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
)

// Config is everything `outreach serve` needs. Each setting is declared
// once, on its field here (or in a struct below it): the variable (env),
// its default (envDefault, or doc where Load computes it), the commands'
// group that reads it (group), what a bad value should look like (want)
// and what it means (help). Load, `outreach help` and the table in
// docs/configuration.md (go generate, settings.go) are all read from these
// tags.
type Config struct {
	RedisURL    outreach.Secret `env:"OUTREACH_REDIS_URL" group:"redis" doc:"(required for serve; dev: embedded)" help:"one node redis://127.0.0.1:6379/0, a cluster redis://a:7000,b:7001,c:7002 (or any one of its nodes), a Sentinel primary redis+sentinel://s1:26379,s2:26379/<primary>; see [Running on Redis Cluster](cluster.md)"`
	DatabaseURL outreach.Secret `env:"OUTREACH_DATABASE_URL" envDefault:"sqlite://outreach.db" group:"store" help:"the archive, residents, estates, campaigns, users and tokens: sqlite:///abs/path.db, sqlite://relative.db, or postgres://user:pass@host/db"`

	SMTPURL   outreach.Secret `env:"OUTREACH_SMTP_URL" group:"email" doc:"(email off)" help:"smtp://user:pass@host:port?tls=none|starttls|tls"`
	EmailFrom string          `env:"OUTREACH_EMAIL_FROM" group:"email" doc:"(required with OUTREACH_SMTP_URL)" help:"sender, e.g. Property Office <office@example.com>"`
	SMTPConns int             `env:"OUTREACH_SMTP_CONNS" envDefault:"8" group:"email" want:"a positive whole number" help:"SMTP connections kept open"`

	TwilioAccountSID    string          `env:"TWILIO_ACCOUNT_SID" group:"sms" doc:"(SMS off)" help:"Twilio account SID"`
	TwilioAuthToken     outreach.Secret `env:"TWILIO_AUTH_TOKEN" group:"sms" doc:"(required with TWILIO_ACCOUNT_SID)" help:"Twilio auth token"`
	SMSFrom             string          `env:"OUTREACH_SMS_FROM" group:"sms" help:"SMS sender number (or use OUTREACH_TWILIO_MESSAGING_SERVICE_SID); one of the two is required with TWILIO_ACCOUNT_SID"`
	MessagingServiceSID string          `env:"OUTREACH_TWILIO_MESSAGING_SERVICE_SID" group:"sms" help:"Twilio messaging service that sends, instead of OUTREACH_SMS_FROM"`
	TwilioAPIURL        string          `env:"OUTREACH_TWILIO_API_URL" envDefault:"https://api.twilio.com" group:"sms" help:"Twilio API base URL (tests, proxies)"`

	PublicURL string `env:"OUTREACH_PUBLIC_URL" group:"http" help:"where Twilio webhooks, unsubscribe links and survey links reach this daemon (e.g. https://outreach.example.com); turns on the [webhooks](api.md#http-endpoints)"`
	HTTPAddr  string `env:"OUTREACH_HTTP_ADDR" envDefault:":8080" group:"http" help:"listen address of /metrics, /healthz, /readyz, the /v1/ API, the console and the webhooks"`
	// ConsoleIdle and ConsoleMaxAge bound the web console's sessions.
	ConsoleIdle   time.Duration `env:"OUTREACH_CONSOLE_IDLE" envDefault:"30m" group:"http" want:"a duration such as 30m" help:"a console session ends after this long without a request (see [Sign-in and sessions](console.md#sign-in-and-sessions))"`
	ConsoleMaxAge time.Duration `env:"OUTREACH_CONSOLE_MAX_AGE" envDefault:"12h" group:"http" want:"a duration such as 12h, at least OUTREACH_CONSOLE_IDLE" help:"a console session ends this long after the sign-in, whatever happens"`

	// Channels in depth; see delivery.go.
	Delivery Delivery

	Stream      string         `env:"OUTREACH_STREAM" envDefault:"outreach:jobs" group:"redis" help:"job stream; lanes <stream>:urgent and <stream>:bulk, dead letters in <stream>:dead, retries and waiting jobs in <stream>:delayed"`
	Shards      int            `env:"OUTREACH_SHARDS" envDefault:"1" group:"redis" want:"a positive whole number" help:"shards of the queue, each in a hash slot of its own ({outreach:0}:jobs, ...), so that it spans the masters of a Redis Cluster; 1 keeps the names above; at most 256; see [Running on Redis Cluster](cluster.md#spreading-the-queue-outreach_shards)"`
	Group       string         `env:"OUTREACH_GROUP" envDefault:"outreach" group:"redis" help:"consumer group shared by all daemons"`
	Consumer    string         `env:"OUTREACH_CONSUMER" group:"dispatch" doc:"<hostname>-<pid>" help:"this daemon's name in the group, unique in it"`
	Workers     int            `env:"OUTREACH_WORKERS" envDefault:"64" group:"dispatch" want:"a positive whole number" help:"jobs processed at once"`
	MaxAttempts int            `env:"OUTREACH_MAX_ATTEMPTS" envDefault:"8" group:"dispatch" want:"a positive whole number" help:"attempts before a temporarily failing job is dead-lettered"`
	ClaimIdle   time.Duration  `env:"OUTREACH_CLAIM_IDLE" envDefault:"60s" group:"dispatch" want:"a duration such as 60s" help:"idle time after which a dead daemon's entries are claimed; the claim tick (a quarter of it, 50 ms to 1 s) and the job-lock lease (half of it, at least 1 s, renewed every third of that) derive from it, so a dead daemon's entries are delivered within about this plus 1 s (see [When a daemon dies](operations.md#when-a-daemon-dies)); keep it above the longest a daemon can go without reaching Redis (a failover, a GC pause)"`
	MaxClaims   int            `env:"OUTREACH_MAX_CLAIMS" envDefault:"5" group:"dispatch" want:"a positive whole number" help:"claims of an entry that no daemon settles (each one it was taken by died) before it is dead-lettered as claimed_too_often instead of processed again (a daemon keeps the entries it is working on every claim idle / 3, so a long job is neither claimed nor counted)"`
	PhoneRegion string         `env:"OUTREACH_PHONE_REGION" envDefault:"CN" group:"residents" help:"region for phone numbers without a country code (import, residents set, the API)"`
	TimeZone    *time.Location `env:"OUTREACH_TIMEZONE" envDefault:"Asia/Shanghai" group:"residents" want:"an IANA zone such as Asia/Shanghai" help:"time zone of residents who have none of their own (quiet hours, local-time campaigns, cron)"`

	// DefaultEstate is the default estate's identity (see estate.go).
	DefaultEstate DefaultEstate
	// Policy is the sending policy; its fields carry their tags (package
	// policy).
	Policy policy.Rules
	// RetainContent is how long the rendered content of deliveries is
	// kept; 0 keeps it forever.
	RetainContent time.Duration `env:"OUTREACH_RETAIN_CONTENT" group:"archive" doc:"(keep forever)" help:"purge the rendered subject and body of deliveries older than this, e.g. 180d or 4320h; metadata and history stay (see [The archive](archive.md#the-archive)); 0: keep forever"`
	// Survey is the satisfaction loop's settings (see survey.go).
	Survey Survey
	// Cases is the complaint loop's settings (see cases.go).
	Cases Cases

	// TemplatesDir is an operator's template folder laid over the built-in
	// set; empty: the built-in set alone.
	TemplatesDir string `env:"OUTREACH_TEMPLATES_DIR" group:"templates" doc:"(built-in only)" help:"folder of templates laid over the built-in set (same layout); reloaded on SIGHUP"`
	// LocaleFallback maps a locale to the one to try when it has no
	// template, before the built-in rules.
	LocaleFallback map[string]string `env:"OUTREACH_LOCALE_FALLBACK" group:"templates" help:"locale fallback tried before the built-in rules, e.g. zh-HK=zh-TW,fr=en"`

	LogLevel  slog.Level `env:"OUTREACH_LOG_LEVEL" envDefault:"info" group:"log" want:"debug, info, warn or error" help:"debug, info, warn or error"`
	LogFormat string     `env:"OUTREACH_LOG_FORMAT" envDefault:"auto" group:"log" help:"json, text, or auto (text on a terminal, JSON otherwise); see [Logs](operations.md#logs)"`

	// TLS is the listener's certificate (see api.go).
	TLS TLS
	// APIAuth requires bearer tokens on the /v1/ API.
	APIAuth bool `env:"OUTREACH_API_AUTH" envDefault:"on" group:"http" doc:"(on; outreach dev: off)" want:"on or off" help:"on: the /v1/ API needs [bearer tokens](api.md#api-tokens) (outreach tokens create); off: no authentication (development only)"`
}

// MaxShards bounds OUTREACH_SHARDS (and so the shard metrics' series).
const MaxShards = 256

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// validateBase checks the settings of Config's own fields, by group.
func validateBase(c *Config, r *report) {
	if r.wants(GroupRedis) {
		if c.RedisURL != "" {
			if _, err := queue.ParseURL(string(c.RedisURL)); err != nil {
				r.add("OUTREACH_REDIS_URL", "not a Redis URL (%s)", redactErr(err, c.RedisURL))
			}
		}
		r.positive("OUTREACH_SHARDS", c.Shards)
		if c.Shards > MaxShards {
			r.add("OUTREACH_SHARDS", "at most %d, got %d", MaxShards, c.Shards)
		}
	}
	if r.wants(GroupEmail) {
		if c.SMTPURL != "" && c.EmailFrom == "" {
			r.add("OUTREACH_EMAIL_FROM", "required when OUTREACH_SMTP_URL is set")
		}
		if c.EmailFrom != "" && c.SMTPURL == "" {
			r.add("OUTREACH_SMTP_URL", "required when OUTREACH_EMAIL_FROM is set")
		}
		r.positive("OUTREACH_SMTP_CONNS", c.SMTPConns)
	}
	if r.wants(GroupSMS) {
		if c.TwilioAccountSID != "" {
			if c.TwilioAuthToken == "" {
				r.add("TWILIO_AUTH_TOKEN", "required when TWILIO_ACCOUNT_SID is set")
			}
			if c.SMSFrom == "" && c.MessagingServiceSID == "" {
				r.add("OUTREACH_SMS_FROM or OUTREACH_TWILIO_MESSAGING_SERVICE_SID", "one is required when TWILIO_ACCOUNT_SID is set")
			}
		} else if c.TwilioAuthToken != "" {
			r.add("TWILIO_ACCOUNT_SID", "required when TWILIO_AUTH_TOKEN is set")
		}
		r.httpURL("OUTREACH_TWILIO_API_URL", c.TwilioAPIURL)
	}
	if r.wants(GroupHTTP) {
		r.httpURL("OUTREACH_PUBLIC_URL", c.PublicURL)
	}
	if r.wants(GroupDispatch) {
		r.positive("OUTREACH_WORKERS", c.Workers)
		r.positive("OUTREACH_MAX_ATTEMPTS", c.MaxAttempts)
		r.positive("OUTREACH_MAX_CLAIMS", c.MaxClaims)
		if c.ClaimIdle <= 0 {
			r.add("OUTREACH_CLAIM_IDLE", "want a duration such as 60s, got %q", r.value("OUTREACH_CLAIM_IDLE"))
		}
	}
	if r.wants(GroupHTTP) {
		switch {
		case c.ConsoleIdle <= 0:
			r.add("OUTREACH_CONSOLE_IDLE", "want a duration such as 30m, got %q", r.value("OUTREACH_CONSOLE_IDLE"))
		case c.ConsoleMaxAge < c.ConsoleIdle:
			r.add("OUTREACH_CONSOLE_MAX_AGE", "want a duration at least OUTREACH_CONSOLE_IDLE (%s), got %q", c.ConsoleIdle, r.value("OUTREACH_CONSOLE_MAX_AGE"))
		}
	}
	if r.wants(GroupResidents) && len(c.PhoneRegion) != 2 {
		r.add("OUTREACH_PHONE_REGION", "want a two-letter region such as CN, got %q", c.PhoneRegion)
	}
	if r.wants(GroupLog) {
		switch c.LogFormat {
		case "json", "text", "auto":
		default:
			r.add("OUTREACH_LOG_FORMAT", "want json, text or auto, got %q", c.LogFormat)
		}
	}
}

// RequireServe checks what `outreach serve` needs beyond Load: a Redis URL
// and at least one channel.
func (c Config) RequireServe() error {
	var errs []error
	if c.RedisURL == "" {
		errs = append(errs, errors.New("OUTREACH_REDIS_URL: required (e.g. redis://127.0.0.1:6379/0)"))
	}
	if !c.EmailEnabled() && !c.SMSEnabled() && len(c.Delivery.ChatChannels()) == 0 {
		errs = append(errs, errors.New("no channel configured: set OUTREACH_SMTP_URL and OUTREACH_EMAIL_FROM, or TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and OUTREACH_SMS_FROM, or a chat robot URL"))
	}
	return errors.Join(errs...)
}

// EmailEnabled reports whether the email channel is configured.
func (c Config) EmailEnabled() bool { return c.SMTPURL != "" }

// SMSEnabled reports whether the SMS channel is configured.
func (c Config) SMSEnabled() bool { return c.TwilioAccountSID != "" }

// redactErr renders err without the secret it may quote.
func redactErr(err error, secret outreach.Secret) string {
	s := err.Error()
	if secret != "" {
		s = strings.ReplaceAll(s, string(secret), "<url>")
	}
	if u, perr := url.Parse(string(secret)); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "<secret>")
		}
	}
	return s
}

// Package config reads the daemon's configuration from the environment
// (see docs/design.md for the contract). Load applies defaults, then validates,
// and every error names the variable at fault. Secrets are held in outreach.Secret,
// which never prints its value.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
)

// Config is everything `outreach serve` needs.
type Config struct {
	RedisURL    outreach.Secret // OUTREACH_REDIS_URL (may carry a password)
	DatabaseURL outreach.Secret // OUTREACH_DATABASE_URL (may carry a password)

	SMTPURL   outreach.Secret // OUTREACH_SMTP_URL
	EmailFrom string          // OUTREACH_EMAIL_FROM
	SMTPConns int             // OUTREACH_SMTP_CONNS

	TwilioAccountSID    string          // TWILIO_ACCOUNT_SID
	TwilioAuthToken     outreach.Secret // TWILIO_AUTH_TOKEN
	SMSFrom             string          // OUTREACH_SMS_FROM
	MessagingServiceSID string          // OUTREACH_TWILIO_MESSAGING_SERVICE_SID
	TwilioAPIURL        string          // OUTREACH_TWILIO_API_URL

	PublicURL string // OUTREACH_PUBLIC_URL
	HTTPAddr  string // OUTREACH_HTTP_ADDR

	// Channels in depth; see delivery.go.
	Delivery Delivery

	Stream      string         // OUTREACH_STREAM
	Shards      int            // OUTREACH_SHARDS
	Group       string         // OUTREACH_GROUP
	Consumer    string         // OUTREACH_CONSUMER
	Workers     int            // OUTREACH_WORKERS
	MaxAttempts int            // OUTREACH_MAX_ATTEMPTS
	ClaimIdle   time.Duration  // OUTREACH_CLAIM_IDLE
	MaxClaims   int            // OUTREACH_MAX_CLAIMS
	PhoneRegion string         // OUTREACH_PHONE_REGION
	TimeZone    *time.Location // OUTREACH_TIMEZONE
	LogLevel    slog.Level     // OUTREACH_LOG_LEVEL
	LogFormat   string         // OUTREACH_LOG_FORMAT: json, text or auto

	// TemplatesDir is an operator's template folder laid over the built-in
	// set (OUTREACH_TEMPLATES_DIR); empty: the built-in set alone.
	TemplatesDir string
	// LocaleFallback maps a locale to the one to try when it has no
	// template (OUTREACH_LOCALE_FALLBACK), before the built-in rules.
	LocaleFallback map[string]string

	// Policy is OUTREACH_QUIET_HOURS, OUTREACH_BULK_DAILY_CAP and
	// OUTREACH_BULK_WEEKLY_CAP.
	Policy policy.Rules

	// APIAuth requires bearer tokens on the /v1/ API (OUTREACH_API_AUTH).
	APIAuth bool
	// TLS is OUTREACH_TLS_CERT and OUTREACH_TLS_KEY.
	TLS TLS
	// RetainContent is OUTREACH_RETAIN_CONTENT: how long the rendered
	// content of deliveries is kept; 0 keeps it forever.
	RetainContent time.Duration
	// DefaultEstate is OUTREACH_COMPANY_NAME, OUTREACH_SERVICE_PHONE and
	// OUTREACH_SMS_SIGNATURE: the default estate's identity.
	DefaultEstate DefaultEstate
	// Survey is OUTREACH_SURVEY_EXPIRY, OUTREACH_SURVEY_FATIGUE and
	// OUTREACH_SURVEY_ESCALATE_AT (see survey.go).
	Survey Survey
}

// MaxShards bounds OUTREACH_SHARDS (and so the shard metrics' series).
const MaxShards = 256

// Var describes one environment variable, for `outreach help` and docs/configuration.md.
type Var struct{ Name, Default, Meaning string }

// Vars lists every variable Load reads.
var Vars = slices.Concat(baseVars, estateVars, policyVars, apiVars, archiveVars, surveyVars)

var baseVars = []Var{
	{"OUTREACH_REDIS_URL", "(required; dev: embedded)", "Redis holding the job stream: redis://127.0.0.1:6379/0, a cluster redis://a:7000,b:7001,c:7002 (or any one node of it), or redis+sentinel://s1:26379,s2:26379/<primary> (docs/cluster.md)"},
	{"OUTREACH_DATABASE_URL", "sqlite://outreach.db", "archive and residents: sqlite:///path/file.db or postgres://..."},
	{"OUTREACH_SMTP_URL", "", "smtp://user:pass@host:port?tls=none|starttls|tls (email is off when empty)"},
	{"OUTREACH_EMAIL_FROM", "", "sender address, required with OUTREACH_SMTP_URL"},
	{"OUTREACH_SMTP_CONNS", "8", "persistent SMTP connections"},
	{"TWILIO_ACCOUNT_SID", "", "Twilio account (SMS is off when empty)"},
	{"TWILIO_AUTH_TOKEN", "", "Twilio auth token, required with TWILIO_ACCOUNT_SID"},
	{"OUTREACH_SMS_FROM", "", "SMS sender number (or use the messaging service SID)"},
	{"OUTREACH_TWILIO_MESSAGING_SERVICE_SID", "", "Twilio messaging service, instead of OUTREACH_SMS_FROM"},
	{"OUTREACH_TWILIO_API_URL", "https://api.twilio.com", "Twilio API base URL (tests, proxies)"},
	{"OUTREACH_PUBLIC_URL", "", "public base URL of this daemon: Twilio webhooks, unsubscribe links"},
	{"OUTREACH_HTTP_ADDR", ":8080", "listen address for /metrics, /healthz, /readyz, the /v1/ API and the webhooks"},
	{"OUTREACH_SMS_RATE", "1", "SMS per second per sender, across all workers (0: no limit)"},
	{"OUTREACH_SMS_MAX_SEGMENTS", "10", "longest SMS in segments; longer ones fail (0: no maximum)"},
	{"OUTREACH_UNSUBSCRIBE_SECRET", "", "key that signs unsubscribe links (32+ characters), required with OUTREACH_PUBLIC_URL"},
	{"OUTREACH_URGENT_ALL_CHANNELS", "false", "send urgent maintenance notices by every channel at once"},
	{"OUTREACH_WECOM_WEBHOOK_URL", "", "WeCom group robot URL (chat channel wecom)"},
	{"OUTREACH_DINGTALK_WEBHOOK_URL", "", "DingTalk robot URL (chat channel dingtalk)"},
	{"OUTREACH_DINGTALK_SECRET", "", "DingTalk robot signing secret (SEC...), if the robot has one"},
	{"OUTREACH_SLACK_WEBHOOK_URL", "", "Slack incoming webhook URL (chat channel slack)"},
	{"OUTREACH_STREAM", "outreach:jobs", "job stream; dead letters go to <stream>:dead"},
	{"OUTREACH_SHARDS", "1", "shards of the queue, each in a hash slot of its own, to spread it over the masters of a Redis Cluster (1: today's names; docs/cluster.md)"},
	{"OUTREACH_GROUP", "outreach", "consumer group shared by all daemons"},
	{"OUTREACH_CONSUMER", "<hostname>-<pid>", "this daemon's consumer name, unique in the group"},
	{"OUTREACH_WORKERS", "32", "jobs processed at once"},
	{"OUTREACH_MAX_ATTEMPTS", "8", "attempts before a temporarily failing job is dead-lettered"},
	{"OUTREACH_CLAIM_IDLE", "60s", "idle time after which another daemon's pending entries are claimed"},
	{"OUTREACH_MAX_CLAIMS", "5", "claims of an entry no daemon settles before it is dead-lettered (claimed_too_often)"},
	{"OUTREACH_PHONE_REGION", "CN", "default region for phone numbers without a country code"},
	{"OUTREACH_TIMEZONE", "Asia/Shanghai", "time zone of residents who have none of their own"},
	{"OUTREACH_TEMPLATES_DIR", "", "folder of templates laid over the built-in set (same layout); reloaded on SIGHUP"},
	{"OUTREACH_LOCALE_FALLBACK", "", "locale fallback before the built-in rules, e.g. zh-HK=zh-TW,fr=en"},
	{"OUTREACH_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"OUTREACH_LOG_FORMAT", "auto", "json, text, or auto (text on a terminal, JSON otherwise)"},
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load reads the configuration through getenv, applies defaults and
// validates it. All problems are reported together.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	atoi := func(name string, def int) int {
		v := get(name, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: want a positive whole number, got %q", name, v))
			return def
		}
		return n
	}
	host, _ := os.Hostname()
	c := Config{
		RedisURL:            outreach.Secret(get("OUTREACH_REDIS_URL", "")),
		DatabaseURL:         outreach.Secret(get("OUTREACH_DATABASE_URL", "sqlite://outreach.db")),
		SMTPURL:             outreach.Secret(get("OUTREACH_SMTP_URL", "")),
		EmailFrom:           get("OUTREACH_EMAIL_FROM", ""),
		SMTPConns:           atoi("OUTREACH_SMTP_CONNS", 8),
		TwilioAccountSID:    get("TWILIO_ACCOUNT_SID", ""),
		TwilioAuthToken:     outreach.Secret(get("TWILIO_AUTH_TOKEN", "")),
		SMSFrom:             get("OUTREACH_SMS_FROM", ""),
		MessagingServiceSID: get("OUTREACH_TWILIO_MESSAGING_SERVICE_SID", ""),
		TwilioAPIURL:        get("OUTREACH_TWILIO_API_URL", "https://api.twilio.com"),
		PublicURL:           get("OUTREACH_PUBLIC_URL", ""),
		HTTPAddr:            get("OUTREACH_HTTP_ADDR", ":8080"),
		Stream:              get("OUTREACH_STREAM", "outreach:jobs"),
		Shards:              atoi("OUTREACH_SHARDS", 1),
		Group:               get("OUTREACH_GROUP", "outreach"),
		Consumer:            get("OUTREACH_CONSUMER", fmt.Sprintf("%s-%d", host, os.Getpid())),
		Workers:             atoi("OUTREACH_WORKERS", 32),
		MaxAttempts:         atoi("OUTREACH_MAX_ATTEMPTS", 8),
		MaxClaims:           atoi("OUTREACH_MAX_CLAIMS", 5),
		PhoneRegion:         strings.ToUpper(get("OUTREACH_PHONE_REGION", "CN")),
		LogFormat:           get("OUTREACH_LOG_FORMAT", "auto"),
	}
	if v := get("OUTREACH_CLAIM_IDLE", "60s"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("OUTREACH_CLAIM_IDLE: want a duration such as 60s, got %q", v))
		}
		c.ClaimIdle = d
	}
	tz := get("OUTREACH_TIMEZONE", "Asia/Shanghai")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		errs = append(errs, fmt.Errorf("OUTREACH_TIMEZONE: want an IANA zone such as Asia/Shanghai, got %q", tz))
		loc = time.UTC
	}
	c.TimeZone = loc
	c.Delivery, errs = loadDelivery(get, errs)
	c.TemplatesDir = get("OUTREACH_TEMPLATES_DIR", "")
	if c.LocaleFallback, err = parseLocaleFallback(getenv("OUTREACH_LOCALE_FALLBACK")); err != nil {
		errs = append(errs, err)
	}
	c.Policy = loadPolicy(get, &errs)
	c.APIAuth = loadAPIAuth(get, &errs)
	c.TLS = loadTLS(get, &errs)
	c.RetainContent = loadArchive(get, &errs)
	c.DefaultEstate = loadEstate(get, &errs)
	c.Survey = loadSurvey(get, &errs)
	if err := c.LogLevel.UnmarshalText([]byte(get("OUTREACH_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("OUTREACH_LOG_LEVEL: want debug, info, warn or error: %w", err))
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

func (c Config) validate() []error {
	var errs []error
	if c.RedisURL != "" {
		if _, err := queue.ParseURL(string(c.RedisURL)); err != nil {
			errs = append(errs, fmt.Errorf("OUTREACH_REDIS_URL: not a Redis URL (%s)", redactErr(err, c.RedisURL)))
		}
	}
	if c.SMTPURL != "" && c.EmailFrom == "" {
		errs = append(errs, errors.New("OUTREACH_EMAIL_FROM: required when OUTREACH_SMTP_URL is set"))
	}
	if c.EmailFrom != "" && c.SMTPURL == "" {
		errs = append(errs, errors.New("OUTREACH_SMTP_URL: required when OUTREACH_EMAIL_FROM is set"))
	}
	if c.TwilioAccountSID != "" {
		if c.TwilioAuthToken == "" {
			errs = append(errs, errors.New("TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set"))
		}
		if c.SMSFrom == "" && c.MessagingServiceSID == "" {
			errs = append(errs, errors.New("OUTREACH_SMS_FROM or OUTREACH_TWILIO_MESSAGING_SERVICE_SID: one is required when TWILIO_ACCOUNT_SID is set"))
		}
	} else if c.TwilioAuthToken != "" {
		errs = append(errs, errors.New("TWILIO_ACCOUNT_SID: required when TWILIO_AUTH_TOKEN is set"))
	}
	for name, v := range map[string]string{"OUTREACH_PUBLIC_URL": c.PublicURL, "OUTREACH_TWILIO_API_URL": c.TwilioAPIURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: want an http(s) URL, got %q", name, v))
		}
	}
	errs = append(errs, c.Delivery.validate(c.PublicURL)...)
	if len(c.PhoneRegion) != 2 {
		errs = append(errs, fmt.Errorf("OUTREACH_PHONE_REGION: want a two-letter region such as CN, got %q", c.PhoneRegion))
	}
	if c.Shards > MaxShards {
		errs = append(errs, fmt.Errorf("OUTREACH_SHARDS: at most %d, got %d", MaxShards, c.Shards))
	}
	switch c.LogFormat {
	case "json", "text", "auto":
	default:
		errs = append(errs, fmt.Errorf("OUTREACH_LOG_FORMAT: want json, text or auto, got %q", c.LogFormat))
	}
	return errs
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

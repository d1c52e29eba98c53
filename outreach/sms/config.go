package sms

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Environment variables that configure the SMS channel (see docs/design.md).
const (
	EnvAccountSID          = "TWILIO_ACCOUNT_SID"
	EnvAuthToken           = "TWILIO_AUTH_TOKEN"
	EnvFrom                = "OUTREACH_SMS_FROM"
	EnvMessagingServiceSID = "OUTREACH_TWILIO_MESSAGING_SERVICE_SID"
	EnvAPIURL              = "OUTREACH_TWILIO_API_URL"
	EnvRate                = "OUTREACH_SMS_RATE"
	EnvMaxSegments         = "OUTREACH_SMS_MAX_SEGMENTS"
)

// Defaults.
const (
	DefaultAPIURL  = "https://api.twilio.com"
	DefaultTimeout = 15 * time.Second
	// DefaultRate is what a Twilio long code takes: one message a second.
	// Short codes and messaging services take more (OUTREACH_SMS_RATE).
	DefaultRate = 1.0
	// DefaultMaxSegments is Twilio's advice: longer texts arrive badly and
	// cost more than they are worth (UCS-2: 10 segments, 670 characters).
	DefaultMaxSegments = 10
)

// Config configures the Twilio SMS channel.
type Config struct {
	// AccountSID is TWILIO_ACCOUNT_SID ("AC" and 32 hex digits at Twilio).
	AccountSID string
	// AuthToken is TWILIO_AUTH_TOKEN.
	AuthToken outreach.Secret
	// From is OUTREACH_SMS_FROM: an E.164 number, a short code or an
	// alphanumeric sender ID. Give From, MessagingServiceSID or both (Twilio
	// then sends from From, which must be in the service's sender pool).
	From string
	// MessagingServiceSID is OUTREACH_TWILIO_MESSAGING_SERVICE_SID ("MG...").
	MessagingServiceSID string
	// APIURL is OUTREACH_TWILIO_API_URL, Twilio's base URL; default
	// DefaultAPIURL. Any http(s) base URL works, with an optional path
	// prefix (a proxy, an httptest server).
	APIURL string
	// StatusCallback, when set, is the URL Twilio posts status updates to
	// for every message.
	StatusCallback string
	// Timeout bounds one request to Twilio; default DefaultTimeout.
	Timeout time.Duration
	// Rate is OUTREACH_SMS_RATE, the messages per second this sender may
	// post, held across every goroutine that shares the Sender (all the
	// workers of a daemon). Zero means no limit. Several daemons with one
	// sender number should split the number's rate between them.
	Rate float64
	// MaxSegments is OUTREACH_SMS_MAX_SEGMENTS: a text that takes more
	// segments fails permanently without reaching Twilio. Zero means no
	// maximum.
	MaxSegments int
	// Waited, when set, is told how long each message waited for the rate
	// limit (zero when it did not wait), for metrics.
	Waited func(time.Duration) `json:"-"`
	// Logger receives debug logs with masked phone numbers; default none.
	Logger *slog.Logger
}

// ConfigFromEnv reads the variables named by the Env* constants through
// getenv (os.Getenv in production). It does not validate: call Validate or New.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		AccountSID:          getenv(EnvAccountSID),
		AuthToken:           outreach.Secret(getenv(EnvAuthToken)),
		From:                getenv(EnvFrom),
		MessagingServiceSID: getenv(EnvMessagingServiceSID),
		APIURL:              getenv(EnvAPIURL),
	}
}

// withDefaults fills the fields that have defaults.
func (c Config) withDefaults() Config {
	c.APIURL = cmp.Or(c.APIURL, DefaultAPIURL)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

var (
	// alphanumeric is what twilio-go accepts in a SID or token (it refuses
	// to send anything else).
	alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	twilioSID    = regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)
	e164         = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	shortCode    = regexp.MustCompile(`^[0-9]{3,8}$`)
	// alphaSender is an alphanumeric sender ID: at most 11 letters, digits
	// and spaces, with at least one letter.
	alphaSender = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	hasLetter   = regexp.MustCompile(`[A-Za-z]`)
)

// Validate reports every problem in c, each naming its environment variable.
// SIDs must be alphanumeric; when the API URL is Twilio's own they must also
// have Twilio's form (prefix and 32 hex digits), so a typo fails at start
// rather than at the first send. Values of credentials are never printed.
func (c Config) Validate() error {
	var errs []error
	apiURL, urlErr := parseAPIURL(c.APIURL)
	if urlErr != nil {
		errs = append(errs, urlErr)
	}
	strict := urlErr == nil && isTwilioHost(apiURL.Hostname())

	errs = append(errs, checkSID(EnvAccountSID, "AC", c.AccountSID, true, strict))
	switch {
	case c.AuthToken == "":
		errs = append(errs, fmt.Errorf("%s is not set", EnvAuthToken))
	case !alphanumeric.MatchString(string(c.AuthToken)):
		errs = append(errs, fmt.Errorf("%s must contain only letters and digits", EnvAuthToken))
	}
	if c.From == "" && c.MessagingServiceSID == "" {
		errs = append(errs, fmt.Errorf("neither %s nor %s is set: give one of them", EnvFrom, EnvMessagingServiceSID))
	}
	if c.From != "" && !validFrom(c.From) {
		errs = append(errs, fmt.Errorf("%s %q must be an E.164 number (+8613800000000), a short code or an alphanumeric sender ID of at most 11 characters", EnvFrom, c.From))
	}
	errs = append(errs, checkSID(EnvMessagingServiceSID, "MG", c.MessagingServiceSID, false, strict))
	if c.StatusCallback != "" {
		u, err := url.Parse(c.StatusCallback)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("SMS status callback must be an absolute http or https URL"))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("SMS timeout %v must not be negative", c.Timeout))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, fmt.Errorf("%s %v must be a positive number of messages per second (0: no limit)", EnvRate, c.Rate))
	}
	if c.MaxSegments < 0 {
		errs = append(errs, fmt.Errorf("%s %d must not be negative (0: no maximum)", EnvMaxSegments, c.MaxSegments))
	}
	return errors.Join(errs...)
}

// checkSID checks a SID without printing it: a misplaced token must not end
// up in a log through an error message.
func checkSID(env, prefix, sid string, required, strict bool) error {
	switch {
	case sid == "":
		if required {
			return fmt.Errorf("%s is not set", env)
		}
		return nil
	case !alphanumeric.MatchString(sid):
		return fmt.Errorf("%s must contain only letters and digits", env)
	case strict && (!twilioSID.MatchString(sid) || !strings.HasPrefix(sid, prefix)):
		return fmt.Errorf("%s must be %q followed by 32 hex digits", env, prefix)
	}
	return nil
}

func validFrom(from string) bool {
	return e164.MatchString(from) || shortCode.MatchString(from) ||
		(alphaSender.MatchString(from) && hasLetter.MatchString(from))
}

// parseAPIURL parses the API base URL; empty means DefaultAPIURL.
func parseAPIURL(raw string) (*url.URL, error) {
	raw = cmp.Or(raw, DefaultAPIURL)
	u, err := url.Parse(raw)
	if err != nil {
		// Not *url.Error itself: it quotes the URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s is not a URL: %w", EnvAPIURL, err)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("%s must not carry credentials: use %s and %s", EnvAPIURL, EnvAccountSID, EnvAuthToken)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s %q must start with http:// or https://", EnvAPIURL, raw)
	case u.Host == "":
		return nil, fmt.Errorf("%s %q has no host", EnvAPIURL, raw)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%s %q must not have a query or fragment", EnvAPIURL, raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isTwilioHost(host string) bool {
	return host == "twilio.com" || strings.HasSuffix(host, ".twilio.com")
}

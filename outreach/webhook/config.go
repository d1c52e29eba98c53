package webhook

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Environment variables that configure the chat channels.
const (
	EnvWeComURL       = "OUTREACH_WECOM_WEBHOOK_URL"
	EnvDingTalkURL    = "OUTREACH_DINGTALK_WEBHOOK_URL"
	EnvDingTalkSecret = "OUTREACH_DINGTALK_SECRET"
	EnvSlackURL       = "OUTREACH_SLACK_WEBHOOK_URL"
)

// EnvURL names the variable that holds the robot URL of ch.
func EnvURL(ch outreach.Channel) string {
	switch ch {
	case outreach.ChannelWeCom:
		return EnvWeComURL
	case outreach.ChannelDingTalk:
		return EnvDingTalkURL
	case outreach.ChannelSlack:
		return EnvSlackURL
	}
	return ""
}

// DefaultTimeout bounds one post.
const DefaultTimeout = 10 * time.Second

// Config configures the robot of one chat channel.
type Config struct {
	// Channel is outreach.ChannelWeCom, ChannelDingTalk or ChannelSlack.
	Channel outreach.Channel
	// URL is the robot's webhook URL, key included.
	URL outreach.Secret
	// Secret is DingTalk's signing secret; empty when the robot has none.
	// Only DingTalk takes one.
	Secret outreach.Secret
	// Timeout bounds one post; default DefaultTimeout.
	Timeout time.Duration
	// Logger receives debug logs (never the URL); default none.
	Logger *slog.Logger
	// Now is the clock of DingTalk's signature timestamp; default time.Now.
	Now func() time.Time `json:"-"`
}

func (c Config) withDefaults() Config {
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks c; errors name the variable and never quote the URL.
func (c Config) validate() (*url.URL, error) {
	env := EnvURL(c.Channel)
	if env == "" {
		return nil, fmt.Errorf("webhook: channel %q is not a chat channel (want wecom, dingtalk or slack)", c.Channel)
	}
	var errs []error
	u, err := url.Parse(c.URL.Reveal())
	switch {
	case c.URL == "":
		errs = append(errs, fmt.Errorf("%s is empty", env))
	case err != nil:
		errs = append(errs, fmt.Errorf("%s is not a URL", env))
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		errs = append(errs, fmt.Errorf("%s must be an absolute https URL", env))
	case u.User != nil:
		errs = append(errs, fmt.Errorf("%s must not carry a user or password", env))
	}
	if c.Secret != "" && c.Channel != outreach.ChannelDingTalk {
		errs = append(errs, fmt.Errorf("a signing secret is only known for DingTalk (%s), not %s", EnvDingTalkSecret, c.Channel))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("webhook timeout %v must not be negative", c.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return u, nil
}

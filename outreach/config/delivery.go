package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// Delivery is the configuration of the channels in depth: the SMS rate and
// size limits, unsubscribe links, urgent notices, and the chat robots.
type Delivery struct {
	SMSRate           float64         // OUTREACH_SMS_RATE, messages a second; 0 no limit
	SMSMaxSegments    int             // OUTREACH_SMS_MAX_SEGMENTS; 0 no maximum
	UnsubscribeSecret outreach.Secret // OUTREACH_UNSUBSCRIBE_SECRET
	UrgentAllChannels bool            // OUTREACH_URGENT_ALL_CHANNELS

	WeComWebhookURL    outreach.Secret // OUTREACH_WECOM_WEBHOOK_URL
	DingTalkWebhookURL outreach.Secret // OUTREACH_DINGTALK_WEBHOOK_URL
	DingTalkSecret     outreach.Secret // OUTREACH_DINGTALK_SECRET
	SlackWebhookURL    outreach.Secret // OUTREACH_SLACK_WEBHOOK_URL
}

// minUnsubscribeSecret is the shortest OUTREACH_UNSUBSCRIBE_SECRET taken.
const minUnsubscribeSecret = 32

// loadDelivery reads the Delivery settings through get, adding an error
// per malformed value to errs.
func loadDelivery(get func(name, def string) string, errs []error) (Delivery, []error) {
	d := Delivery{
		UnsubscribeSecret:  outreach.Secret(get("OUTREACH_UNSUBSCRIBE_SECRET", "")),
		WeComWebhookURL:    outreach.Secret(get("OUTREACH_WECOM_WEBHOOK_URL", "")),
		DingTalkWebhookURL: outreach.Secret(get("OUTREACH_DINGTALK_WEBHOOK_URL", "")),
		DingTalkSecret:     outreach.Secret(get("OUTREACH_DINGTALK_SECRET", "")),
		SlackWebhookURL:    outreach.Secret(get("OUTREACH_SLACK_WEBHOOK_URL", "")),
	}
	v := get("OUTREACH_SMS_RATE", "1")
	rate, err := strconv.ParseFloat(v, 64)
	if err != nil || rate < 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		errs = append(errs, fmt.Errorf("OUTREACH_SMS_RATE: want messages per second such as 1 or 0.5 (0: no limit), got %q", v))
	}
	d.SMSRate = rate
	v = get("OUTREACH_SMS_MAX_SEGMENTS", "10")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("OUTREACH_SMS_MAX_SEGMENTS: want a whole number of segments (0: no maximum), got %q", v))
	}
	d.SMSMaxSegments = n
	v = get("OUTREACH_URGENT_ALL_CHANNELS", "false")
	d.UrgentAllChannels, err = strconv.ParseBool(v)
	if err != nil {
		errs = append(errs, fmt.Errorf("OUTREACH_URGENT_ALL_CHANNELS: want true or false, got %q", v))
	}
	return d, errs
}

// validate checks the settings that depend on each other. URLs that hold
// keys are never quoted.
func (d Delivery) validate(publicURL string) []error {
	var errs []error
	switch {
	case publicURL != "" && d.UnsubscribeSecret == "":
		errs = append(errs, errors.New("OUTREACH_UNSUBSCRIBE_SECRET: required when OUTREACH_PUBLIC_URL is set (it signs the unsubscribe links; e.g. openssl rand -hex 32)"))
	case d.UnsubscribeSecret != "" && len(d.UnsubscribeSecret.Reveal()) < minUnsubscribeSecret:
		errs = append(errs, fmt.Errorf("OUTREACH_UNSUBSCRIBE_SECRET: want at least %d characters", minUnsubscribeSecret))
	}
	for name, v := range map[string]outreach.Secret{
		"OUTREACH_WECOM_WEBHOOK_URL":    d.WeComWebhookURL,
		"OUTREACH_DINGTALK_WEBHOOK_URL": d.DingTalkWebhookURL,
		"OUTREACH_SLACK_WEBHOOK_URL":    d.SlackWebhookURL,
	} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v.Reveal()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: want the robot's https URL", name))
		}
	}
	if d.DingTalkSecret != "" && d.DingTalkWebhookURL == "" {
		errs = append(errs, errors.New("OUTREACH_DINGTALK_WEBHOOK_URL: required when OUTREACH_DINGTALK_SECRET is set"))
	}
	if d.DingTalkSecret != "" && !strings.HasPrefix(d.DingTalkSecret.Reveal(), "SEC") {
		errs = append(errs, errors.New("OUTREACH_DINGTALK_SECRET: want the robot's signing secret, which starts with SEC"))
	}
	return errs
}

// ChatChannels are the chat channels whose robot is configured, with their
// URLs.
func (d Delivery) ChatChannels() map[outreach.Channel]outreach.Secret {
	out := map[outreach.Channel]outreach.Secret{}
	for ch, u := range map[outreach.Channel]outreach.Secret{
		outreach.ChannelWeCom:    d.WeComWebhookURL,
		outreach.ChannelDingTalk: d.DingTalkWebhookURL,
		outreach.ChannelSlack:    d.SlackWebhookURL,
	} {
		if u != "" {
			out[ch] = u
		}
	}
	return out
}

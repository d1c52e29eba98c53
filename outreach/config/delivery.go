package config

import (
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Delivery is the configuration of the channels in depth: the SMS rate and
// size limits, unsubscribe links, urgent notices, and the chat robots.
type Delivery struct {
	SMSRate           float64         `env:"OUTREACH_SMS_RATE" envDefault:"1" group:"sms" want:"messages per second such as 1 or 0.5 (0: no limit)" help:"SMS per second per sender, held across all workers of a daemon (a Twilio long code takes about 1/s; short codes and messaging services more); 0: no limit"`
	SMSMaxSegments    int             `env:"OUTREACH_SMS_MAX_SEGMENTS" envDefault:"10" group:"sms" want:"a whole number of segments (0: no maximum)" help:"longest SMS, in segments; a longer text fails permanently (too_many_segments); 0: no maximum"`
	UnsubscribeSecret outreach.Secret `env:"OUTREACH_UNSUBSCRIBE_SECRET" group:"http" doc:"(required with OUTREACH_PUBLIC_URL)" help:"key, 32+ characters, that signs one-click unsubscribe links and (a key derived from it) survey score links (openssl rand -hex 32)"`
	UrgentAllChannels bool            `env:"OUTREACH_URGENT_ALL_CHANNELS" envDefault:"false" group:"dispatch" want:"true or false" help:"true: urgent maintenance notices go by every channel the resident can be reached on at once"`
	SendTimeout       time.Duration   `env:"OUTREACH_SEND_TIMEOUT" envDefault:"30s" group:"dispatch" want:"a positive duration such as 30s" help:"bounds one provider call: an SMTP dial and exchange, a Twilio or chat robot request; a slower provider fails the attempt, which is retried (with the same Message-ID)"`

	WeComWebhookURL    outreach.Secret `env:"OUTREACH_WECOM_WEBHOOK_URL" group:"chat" doc:"(off)" help:"WeCom group robot, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=... (channel wecom)"`
	DingTalkWebhookURL outreach.Secret `env:"OUTREACH_DINGTALK_WEBHOOK_URL" group:"chat" doc:"(off)" help:"DingTalk robot, https://oapi.dingtalk.com/robot/send?access_token=... (channel dingtalk)"`
	DingTalkSecret     outreach.Secret `env:"OUTREACH_DINGTALK_SECRET" group:"chat" help:"the DingTalk robot's signing secret (SEC...) when its security setting is 加签"`
	SlackWebhookURL    outreach.Secret `env:"OUTREACH_SLACK_WEBHOOK_URL" group:"chat" doc:"(off)" help:"Slack incoming webhook, https://hooks.slack.com/services/... (channel slack)"`
}

// minUnsubscribeSecret is the shortest OUTREACH_UNSUBSCRIBE_SECRET taken.
const minUnsubscribeSecret = 32

// validate checks the values and the settings that depend on each other.
// URLs that hold keys are never quoted.
func (d Delivery) validate(publicURL string, r *report) {
	if r.wants(GroupSMS) {
		if d.SMSRate < 0 || math.IsInf(d.SMSRate, 0) || math.IsNaN(d.SMSRate) {
			r.add("OUTREACH_SMS_RATE", "want messages per second such as 1 or 0.5 (0: no limit), got %q", r.value("OUTREACH_SMS_RATE"))
		}
		r.atLeastZero("OUTREACH_SMS_MAX_SEGMENTS", d.SMSMaxSegments, "a whole number of segments (0: no maximum)")
	}
	if r.wants(GroupDispatch) && d.SendTimeout <= 0 {
		r.add("OUTREACH_SEND_TIMEOUT", "want a positive duration such as 30s, got %q", r.value("OUTREACH_SEND_TIMEOUT"))
	}
	if r.wants(GroupHTTP) {
		switch {
		case publicURL != "" && d.UnsubscribeSecret == "":
			r.add("OUTREACH_UNSUBSCRIBE_SECRET", "required when OUTREACH_PUBLIC_URL is set (it signs the unsubscribe links; e.g. openssl rand -hex 32)")
		case d.UnsubscribeSecret != "" && len(d.UnsubscribeSecret.Reveal()) < minUnsubscribeSecret:
			r.add("OUTREACH_UNSUBSCRIBE_SECRET", "want at least %d characters", minUnsubscribeSecret)
		}
	}
	if !r.wants(GroupChat) {
		return
	}
	for _, u := range []struct {
		name string
		v    outreach.Secret
	}{
		{"OUTREACH_WECOM_WEBHOOK_URL", d.WeComWebhookURL},
		{"OUTREACH_DINGTALK_WEBHOOK_URL", d.DingTalkWebhookURL},
		{"OUTREACH_SLACK_WEBHOOK_URL", d.SlackWebhookURL},
	} {
		if u.v == "" {
			continue
		}
		if pu, err := url.Parse(u.v.Reveal()); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			r.add(u.name, "want the robot's https URL")
		}
	}
	if d.DingTalkSecret != "" && d.DingTalkWebhookURL == "" {
		r.add("OUTREACH_DINGTALK_WEBHOOK_URL", "required when OUTREACH_DINGTALK_SECRET is set")
	}
	if d.DingTalkSecret != "" && !strings.HasPrefix(d.DingTalkSecret.Reveal(), "SEC") {
		r.add("OUTREACH_DINGTALK_SECRET", "want the robot's signing secret, which starts with SEC")
	}
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

package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestDeliveryDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Delivery
	if d.SMSRate != 1 || d.SMSMaxSegments != 10 || d.UrgentAllChannels || len(d.ChatChannels()) != 0 || d.SendTimeout != 30*time.Second {
		t.Errorf("defaults = %+v", d)
	}
}

func TestDeliveryLoads(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"OUTREACH_SMS_RATE":             "0.5",
		"OUTREACH_SMS_MAX_SEGMENTS":     "0",
		"OUTREACH_SEND_TIMEOUT":         "4s",
		"OUTREACH_URGENT_ALL_CHANNELS":  "true",
		"OUTREACH_PUBLIC_URL":           "https://outreach.example.com",
		"OUTREACH_UNSUBSCRIBE_SECRET":   strings.Repeat("k", 32),
		"OUTREACH_WECOM_WEBHOOK_URL":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
		"OUTREACH_DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=t",
		"OUTREACH_DINGTALK_SECRET":      "SECabc",
	}))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Delivery
	if d.SMSRate != 0.5 || d.SMSMaxSegments != 0 || !d.UrgentAllChannels || d.SendTimeout != 4*time.Second {
		t.Errorf("Delivery = %+v", d)
	}
	chats := d.ChatChannels()
	if len(chats) != 2 || chats[outreach.ChannelWeCom] == "" || chats[outreach.ChannelDingTalk] == "" {
		t.Errorf("ChatChannels = %v, want wecom and dingtalk", chats)
	}
	if err := (Config{RedisURL: "redis://x", Delivery: Delivery{SlackWebhookURL: "https://hooks.slack.com/x"}}).RequireServe(); err != nil {
		t.Errorf("RequireServe with only a chat robot = %v, want nil", err)
	}
}

func TestDeliveryErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OUTREACH_SMS_RATE": "fast"}, "OUTREACH_SMS_RATE"},
		{map[string]string{"OUTREACH_SMS_RATE": "-1"}, "OUTREACH_SMS_RATE"},
		{map[string]string{"OUTREACH_SMS_MAX_SEGMENTS": "-2"}, "OUTREACH_SMS_MAX_SEGMENTS"},
		{map[string]string{"OUTREACH_URGENT_ALL_CHANNELS": "maybe"}, "OUTREACH_URGENT_ALL_CHANNELS"},
		{map[string]string{"OUTREACH_SEND_TIMEOUT": "soon"}, "OUTREACH_SEND_TIMEOUT"},
		{map[string]string{"OUTREACH_SEND_TIMEOUT": "-1s"}, "OUTREACH_SEND_TIMEOUT"},
		{map[string]string{"OUTREACH_PUBLIC_URL": "https://x.example"}, "OUTREACH_UNSUBSCRIBE_SECRET"},
		{map[string]string{"OUTREACH_UNSUBSCRIBE_SECRET": "short"}, "OUTREACH_UNSUBSCRIBE_SECRET"},
		{map[string]string{"OUTREACH_WECOM_WEBHOOK_URL": "qyapi.weixin.qq.com/send?key=s3cr3tkey"}, "OUTREACH_WECOM_WEBHOOK_URL"},
		{map[string]string{"OUTREACH_DINGTALK_SECRET": "SECx"}, "OUTREACH_DINGTALK_WEBHOOK_URL"},
		{map[string]string{"OUTREACH_DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send", "OUTREACH_DINGTALK_SECRET": "nope"}, "OUTREACH_DINGTALK_SECRET"},
	} {
		_, err := Load(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want an error naming %s", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3tkey") {
			t.Errorf("error %q quotes a robot key", err)
		}
	}
}

func TestDeliveryHidesSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"wecomK3y", "dingT0ken", "SECd1ngS1gn", "sl4ckPath", strings.Repeat("u", 40)}
	c, err := Load(env(map[string]string{
		"OUTREACH_WECOM_WEBHOOK_URL":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + secrets[0],
		"OUTREACH_DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=" + secrets[1],
		"OUTREACH_DINGTALK_SECRET":      secrets[2],
		"OUTREACH_SLACK_WEBHOOK_URL":    "https://hooks.slack.com/services/" + secrets[3],
		"OUTREACH_UNSUBSCRIBE_SECRET":   secrets[4],
	}))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	out := fmt.Sprintf("%v %+v %#v %s", c, c, c, js)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("printed config shows %q", s)
		}
	}
}

package webhook_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/webhook"
	"github.com/outreach-dev/outreach/outreach/webhook/webhooktest"
)

var notice = outreach.Message{
	DeliveryID: "d1", JobID: "wo-1042", Kind: outreach.KindMaintenanceNotice,
	Subject: "【物业通知】计划停水（3号楼）",
	Text:    "3号楼 12月2日 9:00-12:00 停水，请提前储水。",
}

// newSender builds a Sender for ch on srv, closed at cleanup.
func newSender(t *testing.T, srv *webhooktest.Server, ch outreach.Channel, edit func(*webhook.Config)) *webhook.Sender {
	t.Helper()
	cfg := webhook.Config{Channel: ch}
	switch ch {
	case outreach.ChannelWeCom:
		cfg.URL = outreach.Secret(srv.WeComURL())
	case outreach.ChannelDingTalk:
		cfg.URL = outreach.Secret(srv.DingTalkURL())
	case outreach.ChannelSlack:
		cfg.URL = outreach.Secret(srv.SlackURL())
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSendPostsToEachRobot(t *testing.T) {
	t.Parallel()
	want := notice.Subject + "\n\n" + notice.Text
	for _, ch := range outreach.GroupChannels {
		t.Run(string(ch), func(t *testing.T) {
			t.Parallel()
			srv := webhooktest.NewServer(t)
			s := newSender(t, srv, ch, nil)
			if s.Channel() != ch {
				t.Errorf("Channel() = %s, want %s", s.Channel(), ch)
			}
			rcpt, err := s.Send(t.Context(), notice)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if rcpt.Status != outreach.StatusSent {
				t.Errorf("receipt status %q, want sent", rcpt.Status)
			}
			if got := srv.Posts(ch); len(got) != 1 || got[0] != want {
				t.Errorf("robot got %q, want [%q]", got, want)
			}
		})
	}
}

func TestDingTalkSignature(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secret  outreach.Secret
		now     func() time.Time
		wantErr string
	}{
		{"signed", webhooktest.DingTalkSecret, nil, ""},
		{"wrong secret", "SECnotit", nil, "310000"},
		{"no secret", "", nil, "310000"},
		{"clock two hours off", webhooktest.DingTalkSecret, func() time.Time { return time.Now().Add(-2 * time.Hour) }, "310000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := webhooktest.NewServer(t)
			srv.Signed = true
			s := newSender(t, srv, outreach.ChannelDingTalk, func(c *webhook.Config) { c.Secret, c.Now = tt.secret, tt.now })
			_, err := s.Send(t.Context(), notice)
			if tt.wantErr == "" {
				if err != nil || len(srv.Posts(outreach.ChannelDingTalk)) != 1 {
					t.Fatalf("Send = %v, posts %d; want one signed post", err, len(srv.Posts(outreach.ChannelDingTalk)))
				}
				return
			}
			if !outreach.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send = %v, want a permanent failure with %s", err, tt.wantErr)
			}
		})
	}
}

// TestSignDingTalkKnownValue pins the algorithm to a value computed by
// openssl (printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64).
func TestSignDingTalkKnownValue(t *testing.T) {
	t.Parallel()
	ts, sign := webhook.SignDingTalk("SECabc", time.UnixMilli(1700000000000))
	if ts != "1700000000000" || sign != "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM=" {
		t.Errorf("SignDingTalk = %s, %s", ts, sign)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		ch            outreach.Channel
		reply         webhooktest.Reply
		wantPermanent bool
		wantReason    string
		wantCode      string
		wantRetry     time.Duration
	}{
		{"wecom bad key", outreach.ChannelWeCom, webhooktest.Errcode(93000, "invalid webhook url"), true, webhook.ReasonErrcode, "93000", 0},
		{"wecom too fast", outreach.ChannelWeCom, webhooktest.Errcode(45009, "api freq out of limit"), false, webhook.ReasonErrcodeBusy, "45009", 0},
		{"wecom busy", outreach.ChannelWeCom, webhooktest.Errcode(-1, "system busy"), false, webhook.ReasonErrcodeBusy, "-1", 0},
		{"dingtalk too fast", outreach.ChannelDingTalk, webhooktest.Errcode(130101, "send too fast"), false, webhook.ReasonErrcodeBusy, "130101", 0},
		{"dingtalk keyword missing", outreach.ChannelDingTalk, webhooktest.Errcode(310000, "keywords not in content"), true, webhook.ReasonErrcode, "310000", 0},
		{"slack 429", outreach.ChannelSlack, webhooktest.Reply{Status: 429, Body: "rate_limited", RetryAfter: "30"}, false, webhook.ReasonHTTP429, "429", 30 * time.Second},
		{"slack archived", outreach.ChannelSlack, webhooktest.Reply{Status: 410, Body: "channel_is_archived"}, true, webhook.ReasonHTTP4xx, "410", 0},
		{"slack 500", outreach.ChannelSlack, webhooktest.Reply{Status: 500, Body: "rollup_error"}, false, webhook.ReasonHTTP5xx, "500", 0},
		{"wecom 502 from a proxy", outreach.ChannelWeCom, webhooktest.Reply{Status: 502, Body: "<html>bad gateway</html>"}, false, webhook.ReasonHTTP5xx, "502", 0},
		{"wecom 200 without errcode", outreach.ChannelWeCom, webhooktest.Reply{Status: 200, Body: "<html>captive portal</html>"}, false, webhook.ReasonBadResponse, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := webhooktest.NewServer(t)
			srv.Queue(tt.ch, tt.reply)
			s := newSender(t, srv, tt.ch, nil)
			_, err := s.Send(t.Context(), notice)
			var se *outreach.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want a *outreach.SendError", err)
			}
			if se.Permanent != tt.wantPermanent || se.Reason != tt.wantReason || se.Code != tt.wantCode || se.RetryAfter != tt.wantRetry {
				t.Errorf("SendError = {%v %q %q %v}, want {%v %q %q %v}: %v",
					se.Permanent, se.Reason, se.Code, se.RetryAfter, tt.wantPermanent, tt.wantReason, tt.wantCode, tt.wantRetry, err)
			}
			if strings.Contains(err.Error(), webhooktest.WeComKey) || strings.Contains(err.Error(), webhooktest.DingTalkToken) {
				t.Errorf("error text %q reveals the robot key", err)
			}
			// The failure is the robot's only: the next post goes through.
			if _, err := s.Send(t.Context(), notice); err != nil {
				t.Errorf("second Send: %v", err)
			}
		})
	}
}

func TestSendRefusedByTheRealChecks(t *testing.T) {
	t.Parallel()
	srv := webhooktest.NewServer(t)
	s := newSender(t, srv, outreach.ChannelWeCom, func(c *webhook.Config) {
		c.URL = outreach.Secret(strings.Replace(srv.WeComURL(), webhooktest.WeComKey, "wrong-key", 1))
	})
	_, err := s.Send(t.Context(), notice)
	if !outreach.IsPermanent(err) || !strings.Contains(err.Error(), "93000") || strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("Send with a wrong key = %v, want permanent 93000 without the key", err)
	}
}

func TestSendMessageChecks(t *testing.T) {
	t.Parallel()
	srv := webhooktest.NewServer(t)
	tests := []struct {
		name   string
		ch     outreach.Channel
		m      outreach.Message
		reason string
	}{
		{"empty", outreach.ChannelWeCom, outreach.Message{JobID: "j"}, webhook.ReasonInvalidMessage},
		{"over WeCom's 2048 bytes", outreach.ChannelWeCom, outreach.Message{Text: strings.Repeat("停", 683)}, webhook.ReasonTooLong},
		{"not UTF-8", outreach.ChannelSlack, outreach.Message{Text: "\xff"}, webhook.ReasonTooLong},
	}
	for _, tt := range tests {
		s := newSender(t, srv, tt.ch, nil)
		_, err := s.Send(t.Context(), tt.m)
		var se *outreach.SendError
		if !errors.As(err, &se) || !se.Permanent || se.Reason != tt.reason {
			t.Errorf("%s: Send = %v, want permanent %s", tt.name, err, tt.reason)
		}
	}
	if n := srv.Refused(outreach.ChannelWeCom) + len(srv.Posts(outreach.ChannelWeCom)); n != 0 {
		t.Errorf("the robot saw %d posts, want none", n)
	}
}

// TestSlackEscapesMarkup: data in a notice cannot ping @channel or forge a
// link in Slack.
func TestSlackEscapesMarkup(t *testing.T) {
	t.Parallel()
	srv := webhooktest.NewServer(t)
	s := newSender(t, srv, outreach.ChannelSlack, nil)
	m := outreach.Message{Subject: "Lift fault", Text: "<!channel> see <https://evil.example|the fix> & call"}
	if _, err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	want := "Lift fault\n\n&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; call"
	if got := srv.Posts(outreach.ChannelSlack); len(got) != 1 || got[0] != want {
		t.Errorf("Slack got %q, want %q", got, want)
	}
}

func TestSendConnectionFailure(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/cgi-bin/webhook/send?key=" + webhooktest.WeComKey
	dead.Close()
	s, err := webhook.New(webhook.Config{Channel: outreach.ChannelWeCom, URL: outreach.Secret(url)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Send(t.Context(), notice)
	var se *outreach.SendError
	if !errors.As(err, &se) || se.Permanent || se.Reason != webhook.ReasonConnection || strings.Contains(err.Error(), webhooktest.WeComKey) {
		t.Errorf("Send to a dead server = %v, want a temporary connection failure without the key", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  webhook.Config
		want string
	}{
		{"not a chat channel", webhook.Config{Channel: outreach.ChannelSMS, URL: "https://x"}, "not a chat channel"},
		{"empty URL", webhook.Config{Channel: outreach.ChannelWeCom}, webhook.EnvWeComURL},
		{"relative URL", webhook.Config{Channel: outreach.ChannelSlack, URL: "hooks.slack.com/services/x"}, webhook.EnvSlackURL},
		{"ftp", webhook.Config{Channel: outreach.ChannelDingTalk, URL: "ftp://oapi.dingtalk.com/robot/send?access_token=secret-token"}, webhook.EnvDingTalkURL},
		{"secret for WeCom", webhook.Config{Channel: outreach.ChannelWeCom, URL: "https://qyapi.weixin.qq.com/x", Secret: "SECx"}, webhook.EnvDingTalkSecret},
	}
	for _, tt := range tests {
		_, err := webhook.New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want an error naming %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: error %q quotes the URL", tt.name, err)
		}
	}
}

func TestNoSecretsInLogsOrConfig(t *testing.T) {
	t.Parallel()
	srv := webhooktest.NewServer(t)
	var logs bytes.Buffer
	cfg := webhook.Config{Channel: outreach.ChannelDingTalk, URL: outreach.Secret(srv.DingTalkURL()), Secret: webhooktest.DingTalkSecret,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv.Queue(outreach.ChannelDingTalk, webhooktest.Errcode(310000, "sign not match"))
	_, _ = s.Send(t.Context(), notice)
	_, _ = s.Send(t.Context(), notice)
	printed := logs.String() + fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)
	for _, secret := range []string{webhooktest.DingTalkToken, webhooktest.DingTalkSecret} {
		if strings.Contains(printed, secret) {
			t.Errorf("logs or printed config reveal %q:\n%s", secret, printed)
		}
	}
	if !strings.Contains(logs.String(), "310000") {
		t.Errorf("logs lack the refusal:\n%s", logs.String())
	}
}

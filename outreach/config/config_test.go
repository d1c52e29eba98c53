package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"OUTREACH_REDIS_URL": "redis://127.0.0.1:6379/0"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.DatabaseURL != "sqlite://outreach.db" || c.Stream != "outreach:jobs" || c.Group != "outreach" ||
		c.Workers != 64 || c.SMTPConns != 8 || c.PhoneRegion != "CN" || c.HTTPAddr != ":8080" || c.TwilioAPIURL != "https://api.twilio.com" ||
		c.ConsoleIdle != 30*time.Minute || c.ConsoleMaxAge != 12*time.Hour {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if err := c.RequireServe(); err == nil || !strings.Contains(err.Error(), "no channel configured") {
		t.Errorf("RequireServe without channels = %v, want a 'no channel configured' error", err)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OUTREACH_REDIS_URL": "http://x"}, "OUTREACH_REDIS_URL"},
		{map[string]string{"OUTREACH_SMTP_URL": "smtp://h:25"}, "OUTREACH_EMAIL_FROM"},
		{map[string]string{"OUTREACH_EMAIL_FROM": "a@b.c"}, "OUTREACH_SMTP_URL"},
		{map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "OUTREACH_SMS_FROM": "+1"}, "TWILIO_AUTH_TOKEN"},
		{map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}, "OUTREACH_SMS_FROM"},
		{map[string]string{"TWILIO_AUTH_TOKEN": "t"}, "TWILIO_ACCOUNT_SID"},
		{map[string]string{"OUTREACH_WORKERS": "many"}, "OUTREACH_WORKERS"},
		{map[string]string{"OUTREACH_WORKERS": "0"}, "OUTREACH_WORKERS"},
		{map[string]string{"OUTREACH_CLAIM_IDLE": "soon"}, "OUTREACH_CLAIM_IDLE"},
		{map[string]string{"OUTREACH_MAX_CLAIMS": "five"}, "OUTREACH_MAX_CLAIMS"},
		{map[string]string{"OUTREACH_MAX_CLAIMS": "0"}, "OUTREACH_MAX_CLAIMS"},
		{map[string]string{"OUTREACH_LOG_LEVEL": "loud"}, "OUTREACH_LOG_LEVEL"},
		{map[string]string{"OUTREACH_LOG_FORMAT": "xml"}, "OUTREACH_LOG_FORMAT"},
		{map[string]string{"OUTREACH_PUBLIC_URL": "ftp://x"}, "OUTREACH_PUBLIC_URL"},
		{map[string]string{"OUTREACH_TWILIO_API_URL": "not a url"}, "OUTREACH_TWILIO_API_URL"},
		{map[string]string{"OUTREACH_PHONE_REGION": "CHN"}, "OUTREACH_PHONE_REGION"},
		{map[string]string{"OUTREACH_TIMEZONE": "Mars/Olympus"}, "OUTREACH_TIMEZONE"},
		{map[string]string{"OUTREACH_LOCALE_FALLBACK": "zh-HK"}, "OUTREACH_LOCALE_FALLBACK"},
		{map[string]string{"OUTREACH_CONSOLE_IDLE": "0s"}, "OUTREACH_CONSOLE_IDLE"},
		{map[string]string{"OUTREACH_CONSOLE_IDLE": "later"}, "OUTREACH_CONSOLE_IDLE"},
		{map[string]string{"OUTREACH_CONSOLE_IDLE": "2h", "OUTREACH_CONSOLE_MAX_AGE": "1h"}, "OUTREACH_CONSOLE_MAX_AGE"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) error = %v, want one naming %s", tt.env, err, tt.want)
		}
	}
	if err := (Config{}).RequireServe(); err == nil || !strings.Contains(err.Error(), "OUTREACH_REDIS_URL") {
		t.Errorf("RequireServe without Redis = %v, want one naming OUTREACH_REDIS_URL", err)
	}
}

// TestHideConfigSecrets proves that no way of printing the config shows a
// secret (after alertmanager's test of the same name).
func TestHideConfigSecrets(t *testing.T) {
	t.Parallel()
	const (
		token   = "tok3nS3cretValue"
		smtpPw  = "smtpS3cretPw"
		redisPw = "redisS3cretPw"
	)
	c, err := Load(env(map[string]string{
		"OUTREACH_REDIS_URL":    "redis://:" + redisPw + "@127.0.0.1:6379/0",
		"OUTREACH_DATABASE_URL": "postgres://u:dbS3cretPw@h/db",
		"OUTREACH_SMTP_URL":     "smtp://u:" + smtpPw + "@h:25",
		"OUTREACH_EMAIL_FROM":   "office@example.com",
		"TWILIO_ACCOUNT_SID":    "AC123",
		"TWILIO_AUTH_TOKEN":     token,
		"OUTREACH_SMS_FROM":     "+8613800138000",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", c, "token", c.TwilioAuthToken)
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c.TwilioAuthToken), "json": string(js), "slog": logged.String(),
	}
	for how, out := range outputs {
		for _, secret := range []string{token, smtpPw, redisPw, "dbS3cretPw"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output shows a secret: %s", how, out)
			}
		}
	}
	if c.TwilioAuthToken.Reveal() != token {
		t.Errorf("Reveal() lost the token")
	}
	if _, err := Load(env(map[string]string{"OUTREACH_REDIS_URL": "redis://:" + redisPw + "@h:notaport"})); err == nil || strings.Contains(err.Error(), redisPw) {
		t.Errorf("bad Redis URL error must exist and hide the password, got %v", err)
	}
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": true, "on": true, "OFF": false, "false": false} {
		cfg, err := Load(func(name string) string {
			if name == "OUTREACH_API_AUTH" {
				return v
			}
			return ""
		})
		if err != nil || cfg.APIAuth != want {
			t.Errorf("OUTREACH_API_AUTH=%q: APIAuth %v, %v; want %v", v, cfg.APIAuth, err, want)
		}
	}
	if _, err := Load(func(name string) string {
		if name == "OUTREACH_API_AUTH" {
			return "maybe"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "OUTREACH_API_AUTH") {
		t.Errorf("OUTREACH_API_AUTH=maybe: error %v, want one naming the variable", err)
	}
}

package sms

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() Config {
		return Config{AccountSID: testSID, AuthToken: testToken, From: "+8610000000000"}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none: valid
	}{
		{name: "valid with from", edit: func(*Config) {}},
		{name: "valid with messaging service", edit: func(c *Config) { c.From = ""; c.MessagingServiceSID = testMGSID }},
		{name: "valid alphanumeric sender", edit: func(c *Config) { c.From = "Wuye 3" }},
		{name: "valid short code", edit: func(c *Config) { c.From = "95588" }},
		{name: "valid test server and fake SIDs", edit: func(c *Config) {
			c.APIURL = "http://127.0.0.1:8080"
			c.AccountSID = "ACtest"
			c.MessagingServiceSID = "MGtest"
		}},
		{name: "valid proxy prefix", edit: func(c *Config) { c.APIURL = "https://proxy.internal/twilio/" }},
		{name: "valid callback and timeout", edit: func(c *Config) {
			c.StatusCallback = "https://outreach.example.com/webhooks/twilio"
			c.Timeout = time.Second
		}},

		{name: "no SID", edit: func(c *Config) { c.AccountSID = "" }, want: []string{"TWILIO_ACCOUNT_SID is not set"}},
		{name: "SID with symbols", edit: func(c *Config) { c.AccountSID = "AC-123" }, want: []string{"TWILIO_ACCOUNT_SID must contain only letters and digits"}},
		{name: "SID not Twilio's form", edit: func(c *Config) { c.AccountSID = "ACtest" }, want: []string{`TWILIO_ACCOUNT_SID must be "AC" followed by 32 hex digits`}},
		{name: "token as SID", edit: func(c *Config) { c.AccountSID = testToken }, want: []string{`TWILIO_ACCOUNT_SID must be "AC"`}},
		{name: "no token", edit: func(c *Config) { c.AuthToken = "" }, want: []string{"TWILIO_AUTH_TOKEN is not set"}},
		{name: "token with symbols", edit: func(c *Config) { c.AuthToken = "s3cr3t!" }, want: []string{"TWILIO_AUTH_TOKEN must contain only letters and digits"}},
		{name: "no sender", edit: func(c *Config) { c.From = "" }, want: []string{"OUTREACH_SMS_FROM", "OUTREACH_TWILIO_MESSAGING_SERVICE_SID"}},
		{name: "from not a number", edit: func(c *Config) { c.From = "+86 138 0000" }, want: []string{"OUTREACH_SMS_FROM"}},
		{name: "alphanumeric sender too long", edit: func(c *Config) { c.From = "PropertyManagement" }, want: []string{"OUTREACH_SMS_FROM"}},
		{name: "bad messaging service SID", edit: func(c *Config) { c.MessagingServiceSID = "AC0123456789abcdef0123456789abcdef" }, want: []string{"OUTREACH_TWILIO_MESSAGING_SERVICE_SID"}},
		{name: "API URL without scheme", edit: func(c *Config) { c.APIURL = "api.twilio.com" }, want: []string{"OUTREACH_TWILIO_API_URL", "http"}},
		{name: "API URL not a URL", edit: func(c *Config) { c.APIURL = "http://[::1" }, want: []string{"OUTREACH_TWILIO_API_URL is not a URL"}},
		{name: "API URL without host", edit: func(c *Config) { c.APIURL = "https:///2010" }, want: []string{"OUTREACH_TWILIO_API_URL", "no host"}},
		{name: "API URL with query", edit: func(c *Config) { c.APIURL = "https://api.twilio.com?x=1" }, want: []string{"OUTREACH_TWILIO_API_URL", "query"}},
		{name: "API URL with password", edit: func(c *Config) { c.APIURL = "https://u:hunter2@proxy.internal" }, want: []string{"OUTREACH_TWILIO_API_URL must not carry credentials"}},
		{name: "bad callback", edit: func(c *Config) { c.StatusCallback = "/webhooks/twilio" }, want: []string{"status callback"}},
		{name: "negative timeout", edit: func(c *Config) { c.Timeout = -time.Second }, want: []string{"timeout"}},
		{name: "everything missing", edit: func(c *Config) { *c = Config{} }, want: []string{
			"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "OUTREACH_SMS_FROM",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tt.edit(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: %q, want it to mention %q", err, w)
				}
			}
			for _, secret := range []string{string(cfg.AuthToken), "hunter2"} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("Validate: %q reveals a secret", err)
				}
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	s, err := New(Config{AccountSID: testSID, AuthToken: testToken})
	if err == nil {
		_ = s.Close()
		t.Fatal("New accepted a config without a sender")
	}
	if !strings.Contains(err.Error(), EnvFrom) {
		t.Errorf("New: %v, want it to name %s", err, EnvFrom)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		EnvAccountSID:          testSID,
		EnvAuthToken:           testToken,
		EnvFrom:                "+8610000000000",
		EnvMessagingServiceSID: testMGSID,
		EnvAPIURL:              "http://127.0.0.1:1",
	}
	got := ConfigFromEnv(func(k string) string { return env[k] })
	want := Config{AccountSID: testSID, AuthToken: testToken, From: "+8610000000000", MessagingServiceSID: testMGSID, APIURL: "http://127.0.0.1:1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromEnv = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := ConfigFromEnv(func(string) string { return "" }).Validate(); err == nil || !strings.Contains(err.Error(), EnvAccountSID) {
		t.Errorf("Validate of an empty environment: %v, want an error naming %s", err, EnvAccountSID)
	}
}

package sms

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
)

// TestProbe: a probe fetches the account, sends nothing, and fails while
// Twilio answers errors or refuses the credentials.
func TestProbe(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(t)
	s := newTestSender(t, srv.URL, func(c *Config) {
		c.AccountSID, c.AuthToken = twiliotest.AccountSID, twiliotest.AuthToken
	})
	ctx := t.Context()
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("probe of Twilio that is up: %v", err)
	}
	srv.Outage(&twiliotest.Unavailable)
	err := s.Probe(ctx)
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("probe during an outage: %v, want an HTTP 503 error", err)
	}
	srv.Outage(nil)
	if err := s.Probe(ctx); err != nil {
		t.Errorf("probe after the outage: %v", err)
	}
	if n := srv.AccountFetches(); n != 3 {
		t.Errorf("account fetched %d times, want 3", n)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the probes sent %d messages, want 0", n)
	}

	const wrong = "0000000000000000000000000000dead"
	bad := newTestSender(t, srv.URL, func(c *Config) {
		c.AccountSID, c.AuthToken = twiliotest.AccountSID, wrong
	})
	err = bad.Probe(ctx)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("probe with a wrong token: %v, want an HTTP 401 error", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong) {
		t.Errorf("error text %q contains the auth token", err)
	}
}

package sms

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestRateLimitSharedBySends: the limit holds across goroutines sharing a
// Sender. At one message an hour, the first send goes at once and a second
// one, from another goroutine, cannot go before its deadline: it fails at
// once as a temporary "rate_limit" failure without reaching Twilio.
func TestRateLimitSharedBySends(t *testing.T) {
	t.Parallel()
	fake, srv := startFakeTwilio(t, nil)
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	s := newTestSender(t, srv.URL, func(c *Config) {
		c.Rate = 1.0 / 3600
		c.Waited = func(d time.Duration) { mu.Lock(); waits = append(waits, d); mu.Unlock() }
	})
	if _, err := s.Send(t.Context(), testMessage(testTo)); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Send(ctx, testMessage(testTo))
		errc <- err
	}()
	err := <-errc
	var se *outreach.SendError
	if !errors.As(err, &se) || se.Permanent || se.Reason != ReasonRateLimit || !strings.Contains(err.Error(), EnvRate) {
		t.Fatalf("second Send = %v, want a temporary %s failure naming %s", err, ReasonRateLimit, EnvRate)
	}
	if n := len(fake.received()); n != 1 {
		t.Errorf("Twilio received %d messages, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 2 {
		t.Errorf("Waited was called %d times, want 2 (once per message)", len(waits))
	}
}

// TestRateLimitOff: without a rate every message goes at once.
func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	fake, srv := startFakeTwilio(t, nil)
	s := newTestSender(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.Send(ctx, testMessage(testTo)); err != nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(fake.received()); n != 10 {
		t.Errorf("Twilio received %d messages, want 10", n)
	}
}

func TestMaxSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		max     int
		text    string
		wantErr bool
	}{
		{"within", 2, strings.Repeat("停", 134), false},
		{"over", 2, strings.Repeat("停", 135), true},
		{"GSM-7 fits more", 1, strings.Repeat("a", 160), false},
		{"no maximum", 0, strings.Repeat("停", 1000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, srv := startFakeTwilio(t, nil)
			s := newTestSender(t, srv.URL, func(c *Config) { c.MaxSegments = tt.max })
			m := testMessage(testTo)
			m.Text = tt.text
			_, err := s.Send(t.Context(), m)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var se *outreach.SendError
			if !errors.As(err, &se) || !se.Permanent || se.Reason != ReasonTooLong || !strings.Contains(err.Error(), EnvMaxSegments) {
				t.Fatalf("Send = %v, want a permanent %s failure naming %s", err, ReasonTooLong, EnvMaxSegments)
			}
			if n := len(fake.received()); n != 0 {
				t.Errorf("Twilio received %d messages, want 0", n)
			}
		})
	}
}

package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestHealthDownAfterFailuresInARowUpAfterOneSuccess(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h := NewHealth()
	h.Now = func() time.Time { return now }
	check := h.Check("email")
	refused := fmt.Errorf("dial: %w", errors.New("connection refused"))
	if err := check(context.Background()); err != nil {
		t.Fatalf("before any call: %v, want ready", err)
	}
	for i := range HealthFailures - 1 {
		h.Observe("email", refused)
		if err := check(context.Background()); err != nil {
			t.Fatalf("after %d failure(s): %v, want ready", i+1, err)
		}
	}
	h.Observe("email", refused)
	if err := check(context.Background()); err == nil {
		t.Fatalf("after %d failures in a row: ready, want down", HealthFailures)
	}
	if err := h.Check("sms")(context.Background()); err != nil {
		t.Errorf("sms, never failed: %v, want ready", err)
	}
	h.Observe("email", nil)
	if err := check(context.Background()); err != nil {
		t.Errorf("after a success: %v, want ready", err)
	}
	for range HealthFailures {
		h.Observe("email", refused)
	}
	now = now.Add(HealthWindow + time.Second)
	if err := check(context.Background()); err != nil {
		t.Errorf("failures older than the window: %v, want ready (no evidence)", err)
	}
}

func TestOutageIsNotARecipientsRefusalNorAStop(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&outreach.SendError{Permanent: true, Reason: "invalid_address", Err: errors.New("550 no such user")}, false},
		{fmt.Errorf("send: %w", context.Canceled), false},
		{&outreach.SendError{Reason: "smtp_451", Err: errors.New("451 try later")}, true},
		{fmt.Errorf("send: %w", context.DeadlineExceeded), true},
	} {
		if got := outage(tt.err); got != tt.want {
			t.Errorf("outage(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// proberFunc is a provider's probe as a function.
type proberFunc func(context.Context) error

func (f proberFunc) Probe(ctx context.Context) error { return f(ctx) }

// TestProbeAsksOnlyWhatIsDown: Probe leaves a provider that is up alone,
// keeps one that is down down while its probe fails (fresh evidence past
// HealthWindow), and makes it up with one probe that works.
func TestProbeAsksOnlyWhatIsDown(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	h := NewHealth()
	h.Now = func() time.Time { return now }
	calls := map[string]int{}
	var smtpErr error = errors.New("connection refused")
	probers := map[string]outreach.Prober{
		"email": proberFunc(func(context.Context) error { calls["email"]++; return smtpErr }),
		"sms":   proberFunc(func(context.Context) error { calls["sms"]++; return nil }),
	}
	h.Probe(context.Background(), probers, time.Second)
	if len(calls) != 0 {
		t.Fatalf("probes while every provider is up: %v, want none", calls)
	}
	for range HealthFailures {
		h.Observe("email", smtpErr)
	}
	for range 3 {
		now = now.Add(HealthWindow)
		h.Probe(context.Background(), probers, time.Second)
		if err := h.Check("email")(context.Background()); err == nil {
			t.Fatal("email ready while its probes fail")
		}
	}
	smtpErr = nil
	h.Probe(context.Background(), probers, time.Second)
	if err := h.Check("email")(context.Background()); err != nil {
		t.Errorf("after a probe that worked: %v, want ready", err)
	}
	if calls["email"] != 4 || calls["sms"] != 0 {
		t.Errorf("probes: %v, want email 4, sms 0", calls)
	}
	h.Probe(context.Background(), probers, time.Second)
	if calls["email"] != 4 {
		t.Errorf("email probed again once up: %d probes", calls["email"])
	}
}

// TestProbeBoundedByTimeout: a probe that hangs is given up after the
// timeout and counts as a failure.
func TestProbeBoundedByTimeout(t *testing.T) {
	t.Parallel()
	h := NewHealth()
	for range HealthFailures {
		h.Observe("email", errors.New("timeout"))
	}
	hang := proberFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	h.Probe(context.Background(), map[string]outreach.Prober{"email": hang}, 10*time.Millisecond)
	err := h.Check("email")(context.Background())
	if err == nil || !strings.Contains(err.Error(), "last 4 calls failed") {
		t.Errorf("after a probe that timed out: %v, want down after 4 calls", err)
	}
}

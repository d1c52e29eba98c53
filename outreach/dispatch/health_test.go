package dispatch

import (
	"context"
	"errors"
	"fmt"
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

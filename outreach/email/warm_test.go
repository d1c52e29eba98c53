package email_test

import (
	"context"
	"errors"
	"testing"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// TestWarm: Warm dials one slot and puts it first in line, so the next
// message goes out without a dial; a second Warm dials nothing more.
func TestWarm(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 3 })
	ctx := context.Background()
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Stats(), (email.PoolStats{Size: 3, Open: 1}); got != want {
		t.Errorf("after Warm: %+v, want %+v", got, want)
	}
	if _, err := s.Send(ctx, message("r1", "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("connections after Warm and a message: %d, want 1 (the message on the warmed one)", got)
	}
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Open != 1 {
		t.Errorf("a second Warm, with a slot connected: %+v, want 1 open", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Warm(ctx); !errors.Is(err, email.ErrClosed) {
		t.Errorf("Warm after Close: %v, want ErrClosed", err)
	}
}

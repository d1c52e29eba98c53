package email_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// TestPoolStats: the pool reports a connection in use while a message is
// in DATA, open once dialled, and neither after Close; Waited hears of
// every message.
func TestPoolStats(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	var waits atomic.Int32
	s := newSender(t, srv, func(c *email.Config) {
		c.Conns = 3
		c.Waited = func(time.Duration) { waits.Add(1) }
	})
	if got, want := s.Stats(), (email.PoolStats{Size: 3}); got != want {
		t.Errorf("before any message: %+v, want %+v", got, want)
	}

	entered, release := srv.Hold("held@example.com")
	done := make(chan error, 1)
	go func() {
		_, err := s.Send(context.Background(), message("r1", "held@example.com"))
		done <- err
	}()
	<-entered
	if got, want := s.Stats(), (email.PoolStats{Size: 3, InUse: 1, Open: 1}); got != want {
		t.Errorf("while a message is in DATA: %+v, want %+v", got, want)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The pool hands out the slot idle longest: the second message dials
	// a second connection.
	send(t, s, message("r2", "other@example.com"))
	if got, want := s.Stats(), (email.PoolStats{Size: 3, InUse: 0, Open: 2}); got != want {
		t.Errorf("after two messages: %+v, want %+v", got, want)
	}
	if n := waits.Load(); n != 2 {
		t.Errorf("Waited called %d times, want 2", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.Open != 0 {
		t.Errorf("after Close: %+v, want no open connection", got)
	}
}

package email_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// TestProbe: a probe says NOOP on a pooled connection (dialling one when
// the slot has none), sends nothing, fails when the server is gone or has
// dropped the connection, and works again on a fresh one.
func TestProbe(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })
	ctx := context.Background()
	for i := range 2 {
		if err := s.Probe(ctx); err != nil {
			t.Fatalf("probe %d of a server that is up: %v", i+1, err)
		}
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("two probes opened %d connections, want 1 (the second reuses the slot's)", n)
	}
	srv.CloseConnections("421 4.3.2 Shutting down")
	if err := s.Probe(ctx); err == nil {
		t.Error("probe over a connection the server closed: no error")
	}
	if err := s.Probe(ctx); err != nil {
		t.Errorf("probe after the broken connection was dropped: %v", err)
	}
	if n := srv.Received(); n != 0 {
		t.Errorf("the probes sent %d messages, want 0", n)
	}
	// A message still goes on the connection the probe left.
	send(t, s, message("r1", "r1@example.com"))
}

func TestProbeRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s, err := email.New(email.Config{URL: "smtp://" + addr + "?tls=none", From: testFrom, Conns: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Probe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("probe of a closed port: %v, want a connect error", err)
	}
}

// TestProbeMailRefused: a server that greets but refuses MAIL (here: it
// wants AUTH the sender does not give) is down for a probe, as it is for
// every message.
func TestProbeMailRefused(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{Username: "office", Password: "secret"})
	s, err := email.New(email.Config{URL: "smtp://" + srv.Addr + "?tls=none", From: testFrom, Conns: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Probe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "530") {
		t.Errorf("probe of a server refusing MAIL: %v, want the 530 refusal", err)
	}
}

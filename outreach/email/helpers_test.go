package email_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

const testFrom = "Property Office <office@example.com>"

// newSender builds a Sender for srv; edit adjusts the config first.
func newSender(t testing.TB, srv *emailtest.Server, edit func(*email.Config)) *email.Sender {
	t.Helper()
	cfg := email.Config{URL: srv.URL(), From: testFrom, Conns: 2, Timeout: 10 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := email.New(cfg)
	if err != nil {
		t.Fatalf("email.New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// message is a typical notice for resident rid at address to.
func message(rid, to string) outreach.Message {
	return outreach.Message{
		DeliveryID: outreach.DeliveryID("job-7", rid, outreach.ChannelEmail),
		JobID:      "job-7",
		Kind:       outreach.KindMaintenanceNotice,
		Channel:    outreach.ChannelEmail,
		To:         to,
		ToName:     "Resident " + rid,
		Subject:    "Water off on Tuesday",
		Text:       "The water is off from 9:00 to 12:00.",
		HTML:       "<p>The water is off from <b>9:00</b> to 12:00.</p>",
	}
}

// send sends m and fails the test on error.
func send(t testing.TB, s *email.Sender, m outreach.Message) outreach.Receipt {
	t.Helper()
	r, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send to %s: %v", m.To, err)
	}
	return r
}

// sendError asserts that err is a *outreach.SendError and returns it.
func sendError(t testing.TB, err error) *outreach.SendError {
	t.Helper()
	var se *outreach.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *outreach.SendError", err, err)
	}
	return se
}

// onlyMessage parses the one message srv received.
func onlyMessage(t testing.TB, srv *emailtest.Server) (emailtest.Message, *emailtest.Parsed) {
	t.Helper()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	p, err := emailtest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatalf("parse received message: %v\n%s", err, msgs[0].Data)
	}
	return msgs[0], p
}

func addr(i int) string { return fmt.Sprintf("resident%d@example.com", i) }

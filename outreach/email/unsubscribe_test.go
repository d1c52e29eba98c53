package email_test

import (
	"context"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// TestListUnsubscribe: a bulk message carries RFC 8058 one-click
// unsubscribe headers; other messages carry none.
func TestListUnsubscribe(t *testing.T) {
	t.Parallel()
	const link = "https://outreach.example.com/unsubscribe/eyJyIjoicjEifQ.c2ln"
	tests := []struct {
		name     string
		link     string
		wantList string
		wantPost string
	}{
		{"https: one-click", link, "<" + link + ">", "List-Unsubscribe=One-Click"},
		{"http: a plain link only", "http://127.0.0.1:8080/unsubscribe/t", "<http://127.0.0.1:8080/unsubscribe/t>", ""},
		{"not bulk", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.NewServer(t, emailtest.Options{})
			s := newSender(t, srv, nil)
			m := message("r1", "lisa@example.com")
			m.Unsubscribe = tt.link
			send(t, s, m)
			_, p := onlyMessage(t, srv)
			if got := p.Header.Get("List-Unsubscribe"); got != tt.wantList {
				t.Errorf("List-Unsubscribe = %q, want %q", got, tt.wantList)
			}
			if got := p.Header.Get("List-Unsubscribe-Post"); got != tt.wantPost {
				t.Errorf("List-Unsubscribe-Post = %q, want %q", got, tt.wantPost)
			}
		})
	}
}

// TestListUnsubscribeInjection: a link that would start a header of its
// own is refused, permanently, before anything is sent.
func TestListUnsubscribeInjection(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	for _, link := range []string{
		"https://outreach.example.com/u/x\r\nBcc: victim@example.com",
		"javascript:alert(1)",
		"/unsubscribe/relative",
	} {
		m := message("r1", "lisa@example.com")
		m.Unsubscribe = link
		_, err := s.Send(context.Background(), m)
		if se := sendError(t, err); !se.Permanent || se.Reason != email.ReasonInvalidMessage {
			t.Errorf("link %q: %v, want a permanent invalid_message", link, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

// TestRetryKeepsMessageID: after a 4xx the same delivery is sent again
// with the same Message-ID, so receivers can spot a duplicate.
func TestRetryKeepsMessageID(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	srv.ReplyTimes("lisa@example.com", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, 1)
	s := newSender(t, srv, nil)
	m := message("r1", "lisa@example.com")
	if _, err := s.Send(context.Background(), m); sendError(t, err).Permanent {
		t.Fatalf("first Send = %v, want a temporary failure", err)
	}
	r := send(t, s, m)
	_, p := onlyMessage(t, srv)
	want := "<" + email.MessageID(m.DeliveryID, "office@example.com") + ">"
	if got := p.Header.Get("Message-Id"); got != want || r.ProviderID != want {
		t.Errorf("Message-ID after a retry = %q (receipt %q), want %q", got, r.ProviderID, want)
	}
}

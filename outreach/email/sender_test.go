package email_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

func TestSendDeliversBothParts(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	m := message("r1", "lisa@example.com")

	r := send(t, s, m)

	wantID := "<" + m.DeliveryID + "@example.com>"
	if r.ProviderID != wantID || r.Status != outreach.StatusSent {
		t.Errorf("receipt = %+v, want ProviderID %s, Status sent", r, wantID)
	}
	got, p := onlyMessage(t, srv)
	if got.From != "office@example.com" || len(got.To) != 1 || got.To[0] != "lisa@example.com" {
		t.Errorf("envelope = %s -> %v, want office@example.com -> [lisa@example.com]", got.From, got.To)
	}
	if p.ContentType != "multipart/alternative" || p.Parts != 2 {
		t.Errorf("content type %s with %d parts, want multipart/alternative with 2", p.ContentType, p.Parts)
	}
	if p.Text != m.Text || p.HTML != m.HTML {
		t.Errorf("bodies = %q / %q, want %q / %q", p.Text, p.HTML, m.Text, m.HTML)
	}
	headers := map[string]string{
		"Message-Id":     wantID,
		"X-Outreach-Job": "job-7",
		"Subject":        m.Subject,
	}
	for k, want := range headers {
		if got := p.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if ua := p.Header.Get("User-Agent") + p.Header.Get("X-Mailer"); ua != "" {
		t.Errorf("message advertises its mailer: %q", ua)
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Property Office" || from[0].Address != "office@example.com" {
		t.Errorf("From = %v (%v), want Property Office <office@example.com>", from, err)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Resident r1" || to[0].Address != "lisa@example.com" {
		t.Errorf("To = %v (%v), want Resident r1 <lisa@example.com>", to, err)
	}
}

func TestSendTextOnly(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	m := message("r1", "lisa@example.com")
	m.HTML = ""

	send(t, s, m)

	_, p := onlyMessage(t, srv)
	if p.ContentType != "text/plain" || p.Parts != 1 || p.Text != m.Text {
		t.Errorf("got %s with %d parts, text %q; want a single text/plain %q", p.ContentType, p.Parts, p.Text, m.Text)
	}
}

func TestSendUTF8RoundTrip(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	m := message("r1", "zhang@example.cn")
	m.ToName = "张伟"
	m.Subject = "中秋节快乐：物业服务中心祝您阖家团圆"
	m.Text = "尊敬的张伟先生：\n值此中秋佳节，物业服务中心全体员工祝您和家人节日快乐，阖家幸福！\n3号楼 1201 室"
	m.HTML = "<p>尊敬的张伟先生：</p><p>值此中秋佳节，祝您节日快乐！</p>"

	send(t, s, m)

	_, p := onlyMessage(t, srv)
	if p.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", p.Subject, m.Subject)
	}
	if p.Text != m.Text || p.HTML != m.HTML {
		t.Errorf("bodies = %q / %q, want %q / %q", p.Text, p.HTML, m.Text, m.HTML)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "张伟" {
		t.Errorf("To = %v (%v), want name 张伟", to, err)
	}
}

// TestSendHeaderInjection feeds CR/LF through every field that ends up in
// a header; none may start a header of its own.
func TestSendHeaderInjection(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	m := message("r1", "lisa@example.com")
	m.ToName = "Lisa\r\nBcc: victim1@example.com"
	m.Subject = "Hello\r\nBcc: victim2@example.com\nX-Evil: 1"
	m.JobID = "job\r\nX-Evil: 2"

	send(t, s, m)

	got, p := onlyMessage(t, srv)
	if len(got.To) != 1 {
		t.Errorf("envelope recipients = %v, want only lisa@example.com", got.To)
	}
	for _, h := range []string{"Bcc", "X-Evil"} {
		if v, ok := p.Header[h]; ok {
			t.Errorf("injected header %s: %v", h, v)
		}
	}
	if want := "Hello  Bcc: victim2@example.com X-Evil: 1"; p.Subject != want {
		t.Errorf("subject = %q, want %q", p.Subject, want)
	}
	if want := "job  X-Evil: 2"; p.Header.Get("X-Outreach-Job") != want {
		t.Errorf("X-Outreach-Job = %q, want %q", p.Header.Get("X-Outreach-Job"), want)
	}
}

// TestPoolKeepsConnections proves that connections are reused: 20
// messages over a pool of 2 open exactly 2 SMTP connections.
func TestPoolKeepsConnections(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 2 })

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5 {
				if _, err := s.Send(context.Background(), message("r", addr(g*5+i))); err != nil {
					t.Errorf("Send: %v", err)
				}
			}
		})
	}
	wg.Wait()

	if n := len(srv.Messages()); n != 20 {
		t.Errorf("server received %d messages, want 20", n)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("server saw %d connections, want 2", n)
	}
}

func TestSendSMTPErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     *smtp.SMTPError
		permanent bool
		reason    string
		code      string
	}{
		{
			name:   "451 is temporary",
			reply:  &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox busy, try later"},
			reason: "smtp_4xx", code: "451",
		},
		{
			name:      "550 is permanent",
			reply:     &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user lisa@example.com here"},
			permanent: true, reason: "smtp_5xx", code: "550",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.NewServer(t, emailtest.Options{})
			srv.Reply("lisa@example.com", tt.reply)
			s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })

			_, err := s.Send(context.Background(), message("r1", "lisa@example.com"))

			se := sendError(t, err)
			if se.Permanent != tt.permanent || se.Reason != tt.reason || se.Code != tt.code {
				t.Errorf("got permanent=%v reason=%s code=%s, want %v %s %s", se.Permanent, se.Reason, se.Code, tt.permanent, tt.reason, tt.code)
			}
			if outreach.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", !tt.permanent, tt.permanent)
			}
			text := err.Error()
			if !strings.Contains(text, tt.reply.Message[:12]) {
				t.Errorf("error %q lacks the server's reply %q", text, tt.reply.Message)
			}
			if strings.Contains(text, "lisa@example.com") {
				t.Errorf("error %q contains the full address", text)
			}
			// The refusal leaves the connection usable.
			send(t, s, message("r2", "other@example.com"))
			if n := srv.Connections(); n != 1 {
				t.Errorf("server saw %d connections, want 1 (kept after the refusal)", n)
			}
		})
	}
}

func TestSendRedialsAfterServerClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply string
	}{
		{name: "silent close"},
		{name: "421 then close", reply: "421 4.4.2 Idle timeout, bye bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.NewServer(t, emailtest.Options{})
			s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })
			send(t, s, message("r1", addr(1)))

			srv.CloseConnections(tt.reply)
			send(t, s, message("r2", addr(2)))

			if n := len(srv.Messages()); n != 2 {
				t.Errorf("server received %d messages, want 2", n)
			}
			if n := srv.Connections(); n != 2 {
				t.Errorf("server saw %d connections, want 2 (one redial)", n)
			}
		})
	}
}

func TestSendConnectionDroppedMidSession(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })

	t.Run("once: retried on a fresh connection", func(t *testing.T) {
		srv.DropAtRcpt("flaky@example.com", 1)
		send(t, s, message("r1", "flaky@example.com"))
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("server received %d messages, want 1", n)
		}
	})
	t.Run("twice: temporary connection failure", func(t *testing.T) {
		srv.DropAtRcpt("dead@example.com", 2)
		_, err := s.Send(context.Background(), message("r2", "dead@example.com"))
		se := sendError(t, err)
		if se.Permanent || se.Reason != "connection" {
			t.Errorf("got permanent=%v reason=%s, want temporary connection", se.Permanent, se.Reason)
		}
		if strings.Contains(err.Error(), "dead@example.com") {
			t.Errorf("error %q contains the full address", err)
		}
	})
	t.Run("then the sender recovers", func(t *testing.T) {
		send(t, s, message("r3", addr(3)))
	})
}

func TestSendConcurrent(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 3 })

	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	want := make(map[string]bool)
	var mu sync.Mutex
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				m := message(addr(g*each+i), addr(g*each+i))
				r, err := s.Send(context.Background(), m)
				if err != nil {
					t.Errorf("Send: %v", err)
					continue
				}
				mu.Lock()
				want[r.ProviderID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	got := make(map[string]bool)
	for _, m := range srv.Messages() {
		p, err := emailtest.Parse(m.Data)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		got[p.Header.Get("Message-Id")] = true
	}
	if len(got) != goroutines*each || len(want) != goroutines*each {
		t.Errorf("server has %d distinct messages, receipts %d; want %d", len(got), len(want), goroutines*each)
	}
	for id := range want {
		if !got[id] {
			t.Errorf("message %s was acknowledged but not received", id)
		}
	}
	if n := srv.Connections(); n > 3 {
		t.Errorf("server saw %d connections, want at most 3", n)
	}
}

func TestSendAuth(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{Username: "office", Password: "s3cret pass"})

	t.Run("right password", func(t *testing.T) {
		s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })
		send(t, s, message("r1", addr(1)))
		if got := srv.Auths(); len(got) != 1 || got[0] != "office" {
			t.Errorf("authentications = %v, want [office]", got)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		s := newSender(t, srv, func(c *email.Config) {
			c.URL = strings.Replace(c.URL, "s3cret", "wrong", 1)
		})
		_, err := s.Send(context.Background(), message("r2", addr(2)))
		se := sendError(t, err)
		if se.Permanent || se.Reason != "smtp_auth" || se.Code != "535" {
			t.Errorf("got permanent=%v reason=%s code=%s, want temporary smtp_auth 535", se.Permanent, se.Reason, se.Code)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("error %q contains the password", err)
		}
	})
	t.Run("no credentials for a server that wants them", func(t *testing.T) {
		s := newSender(t, srv, func(c *email.Config) {
			c.URL = strings.Replace(c.URL, "office:s3cret%20pass@", "", 1)
		})
		_, err := s.Send(context.Background(), message("r4", addr(4)))
		se := sendError(t, err)
		if se.Permanent || se.Reason != "smtp_auth" || se.Code != "530" {
			t.Errorf("got %v: permanent=%v reason=%s code=%s, want temporary smtp_auth 530", err, se.Permanent, se.Reason, se.Code)
		}
	})
	t.Run("no user, no AUTH", func(t *testing.T) {
		plain := emailtest.NewServer(t, emailtest.Options{})
		s := newSender(t, plain, nil)
		send(t, s, message("r3", addr(3)))
		if got := plain.Auths(); len(got) != 0 {
			t.Errorf("authentications = %v, want none", got)
		}
	})
}

func TestSendTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := emailtest.SelfSignedTLS(t)
	tests := []struct {
		name    string
		opts    emailtest.Options
		trust   bool
		wantErr string
	}{
		{name: "starttls", opts: emailtest.Options{TLS: serverTLS, Username: "u", Password: "p"}, trust: true},
		{name: "implicit tls", opts: emailtest.Options{TLS: serverTLS, ImplicitTLS: true, Username: "u", Password: "p"}, trust: true},
		{name: "starttls with an untrusted certificate", opts: emailtest.Options{TLS: serverTLS}, wantErr: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emailtest.NewServer(t, tt.opts)
			s := newSender(t, srv, func(c *email.Config) {
				if tt.trust {
					c.TLSConfig = clientTLS
				}
			})
			_, err := s.Send(context.Background(), message("r1", addr(1)))
			if tt.wantErr != "" {
				se := sendError(t, err)
				if se.Permanent || se.Reason != "connection" || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want a temporary connection failure about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got, _ := onlyMessage(t, srv); !got.TLS {
				t.Error("message arrived over a plain connection, want TLS")
			}
		})
	}
}

// TestSendStartTLSMandatory: tls=starttls never falls back to clear text.
func TestSendStartTLSMandatory(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{}) // offers no STARTTLS
	s := newSender(t, srv, func(c *email.Config) {
		c.URL = strings.Replace(c.URL, "tls=none", "tls=starttls", 1)
	})
	_, err := s.Send(context.Background(), message("r1", addr(1)))
	se := sendError(t, err)
	if se.Permanent || se.Reason != "connection" || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("got %v, want a temporary connection failure about STARTTLS", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages in clear text, want 0", n)
	}
}

func TestSendContext(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, func(c *email.Config) { c.Conns = 1 })
	entered, release := srv.Hold("slow@example.com")
	defer release()

	// A message in flight holds the only connection.
	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := s.Send(ctx, message("r1", "slow@example.com"))
		firstErr <- err
	}()
	<-entered

	t.Run("waiting for a free connection", func(t *testing.T) {
		waitCtx, waitCancel := context.WithCancel(context.Background())
		waitCancel()
		_, err := s.Send(waitCtx, message("r2", addr(2)))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		cancel()
		if err := <-firstErr; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Send in flight = %v, want context.Canceled", err)
		}
	})
	t.Run("the next message uses a fresh connection", func(t *testing.T) {
		release()
		send(t, s, message("r3", addr(3)))
		if n := srv.Connections(); n != 2 {
			t.Errorf("server saw %d connections, want 2", n)
		}
	})
}

func TestSendInvalidMessage(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	tests := []struct {
		name   string
		edit   func(*outreach.Message)
		reason string
	}{
		{"bad address", func(m *outreach.Message) { m.To = "lisa.example.com" }, "invalid_address"},
		{"address with CRLF", func(m *outreach.Message) { m.To = "lisa@example.com\r\nRCPT TO:<x@y>" }, "invalid_address"},
		{"no delivery id", func(m *outreach.Message) { m.DeliveryID = "" }, "invalid_message"},
		{"delivery id with brackets", func(m *outreach.Message) { m.DeliveryID = "a>b" }, "invalid_message"},
		{"no body", func(m *outreach.Message) { m.Text, m.HTML = "", "" }, "invalid_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message("r1", "lisa@example.com")
			tt.edit(&m)
			_, err := s.Send(context.Background(), m)
			se := sendError(t, err)
			if !se.Permanent || se.Reason != tt.reason {
				t.Errorf("got permanent=%v reason=%s, want permanent %s", se.Permanent, se.Reason, tt.reason)
			}
			if strings.Contains(err.Error(), "lisa") && strings.Contains(err.Error(), "example.com") && !strings.Contains(err.Error(), "***") {
				t.Errorf("error %q shows the address unmasked", err)
			}
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Errorf("server saw %d connections, want 0 (nothing to send)", n)
	}
}

func TestSendAfterClose(t *testing.T) {
	t.Parallel()
	srv := emailtest.NewServer(t, emailtest.Options{})
	s := newSender(t, srv, nil)
	send(t, s, message("r1", addr(1)))

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Send(context.Background(), message("r2", addr(2))); !errors.Is(err, email.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     email.Config
		wantErr string
	}{
		{"no URL", email.Config{From: testFrom}, "OUTREACH_SMTP_URL"},
		{"no From", email.Config{URL: "smtp://h"}, "OUTREACH_EMAIL_FROM"},
		{"bad From", email.Config{URL: "smtp://h", From: "Office office@"}, "OUTREACH_EMAIL_FROM"},
		{"negative conns", email.Config{URL: "smtp://h", From: testFrom, Conns: -1}, "Conns"},
		{"negative timeout", email.Config{URL: "smtp://h", From: testFrom, Timeout: -1}, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := email.New(tt.cfg)
			if err == nil {
				s.Close()
				t.Fatalf("New(%+v) succeeded, want an error about %s", tt.cfg, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not name %s", err, tt.wantErr)
			}
		})
	}
	s, err := email.New(email.Config{URL: "smtp://127.0.0.1:1?tls=none", From: testFrom})
	if err != nil {
		t.Fatalf("New with a valid config: %v", err)
	}
	if s.Channel() != outreach.ChannelEmail {
		t.Errorf("Channel() = %s, want email", s.Channel())
	}
	s.Close()
}

// TestSendDialFailure: an unreachable server is a temporary connection
// failure.
func TestSendDialFailure(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	refused := ln.Addr().String()
	ln.Close() // nothing listens there any more
	s, err := email.New(email.Config{URL: "smtp://" + refused + "?tls=none", From: testFrom})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()

	_, err = s.Send(context.Background(), message("r1", addr(1)))

	se := sendError(t, err)
	if se.Permanent || se.Reason != "connection" || se.Code != "" {
		t.Errorf("got permanent=%v reason=%s code=%q, want temporary connection without code", se.Permanent, se.Reason, se.Code)
	}
}

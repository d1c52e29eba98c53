package outbox_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/outreach/outbox"
)

func newOutbox(t *testing.T, opts ...outbox.Option) *outbox.Outbox {
	t.Helper()
	o, err := outbox.New(filepath.Join(t.TempDir(), "outbox", "nested"), opts...)
	if err != nil {
		t.Fatalf("outbox.New: %v", err)
	}
	return o
}

func emailMessage(rid string) outreach.Message {
	return outreach.Message{
		DeliveryID: outreach.DeliveryID("job-7", rid, outreach.ChannelEmail),
		JobID:      "job-7",
		Kind:       outreach.KindHolidayGreeting,
		Channel:    outreach.ChannelEmail,
		To:         rid + "@example.com",
		ToName:     "张伟",
		Subject:    "中秋节快乐",
		Text:       "尊敬的张伟先生：\n祝您中秋节快乐，阖家团圆！",
		HTML:       "<p>尊敬的张伟先生：</p><p>祝您中秋节快乐！</p>",
	}
}

// emlFiles lists the .eml files in dir and fails on any leftover.
func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("unexpected file %s in the outbox", e.Name())
			continue
		}
		names = append(names, e.Name())
	}
	return names
}

var emlName = regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-job-7-[0-9a-f]{8}\.eml$`)

func TestEmailWritesEml(t *testing.T) {
	t.Parallel()
	o := newOutbox(t, outbox.WithFrom("Property Office <office@example.com>"))
	s := o.Email()
	if s.Channel() != outreach.ChannelEmail {
		t.Errorf("Channel() = %s, want email", s.Channel())
	}
	sent := map[string]outreach.Message{}
	for _, rid := range []string{"r1", "r2", "r3"} {
		m := emailMessage(rid)
		if rid == "r3" {
			m.HTML = "" // text only
			m.Subject, m.Text = "Water off on Tuesday", "The water is off from 9:00 to 12:00."
		}
		r, err := s.Send(context.Background(), m)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if r.Status != outreach.StatusSent || !strings.HasPrefix(r.ProviderID, "outbox:") {
			t.Errorf("receipt = %+v, want sent with an outbox: id", r)
		}
		sent[strings.TrimPrefix(r.ProviderID, "outbox:")] = m
	}

	names := emlFiles(t, o.Dir())
	if len(names) != 3 {
		t.Fatalf("outbox has %d .eml files, want 3: %v", len(names), names)
	}
	for _, name := range names {
		m, ok := sent[name]
		if !ok {
			t.Errorf("file %s matches no receipt", name)
			continue
		}
		if !emlName.MatchString(name) {
			t.Errorf("file name %s does not match %s", name, emlName)
		}
		raw, err := os.ReadFile(filepath.Join(o.Dir(), name))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		p, err := emailtest.Parse(raw)
		if err != nil {
			t.Fatalf("parse %s: %v\n%s", name, err, raw)
		}
		if p.Subject != m.Subject || p.Text != m.Text || p.HTML != m.HTML {
			t.Errorf("%s: subject/text/html = %q/%q/%q, want %q/%q/%q", name, p.Subject, p.Text, p.HTML, m.Subject, m.Text, m.HTML)
		}
		wantType := "multipart/alternative"
		if m.HTML == "" {
			wantType = "text/plain"
		}
		if p.ContentType != wantType {
			t.Errorf("%s: content type %s, want %s", name, p.ContentType, wantType)
		}
		if got, want := p.Header.Get("Message-Id"), "<"+m.DeliveryID+"@example.com>"; got != want {
			t.Errorf("%s: Message-ID %s, want %s", name, got, want)
		}
		if got := p.Header.Get("X-Outreach-Job"); got != "job-7" {
			t.Errorf("%s: X-Outreach-Job %q, want job-7", name, got)
		}
		from, err := p.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != "office@example.com" {
			t.Errorf("%s: From %v (%v), want office@example.com", name, from, err)
		}
		to, err := p.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != m.To || to[0].Name != m.ToName {
			t.Errorf("%s: To %v (%v), want %s <%s>", name, to, err, m.ToName, m.To)
		}
	}
}

// TestEmailSameMIMEAsSMTP sends one message through the outbox and through
// the SMTP channel: a person must see the same thing in both.
func TestEmailSameMIMEAsSMTP(t *testing.T) {
	t.Parallel()
	const from = "Property Office <office@example.com>"
	o := newOutbox(t, outbox.WithFrom(from))
	srv := emailtest.NewServer(t, emailtest.Options{})
	smtpSender, err := email.New(email.Config{URL: srv.URL(), From: from, Conns: 1})
	if err != nil {
		t.Fatalf("email.New: %v", err)
	}
	defer smtpSender.Close()
	m := emailMessage("r1")

	r, err := o.Email().Send(context.Background(), m)
	if err != nil {
		t.Fatalf("outbox Send: %v", err)
	}
	if _, err := smtpSender.Send(context.Background(), m); err != nil {
		t.Fatalf("SMTP Send: %v", err)
	}

	raw, err := os.ReadFile(filepath.Join(o.Dir(), strings.TrimPrefix(r.ProviderID, "outbox:")))
	if err != nil {
		t.Fatalf("read eml: %v", err)
	}
	fromFile, err := emailtest.Parse(raw)
	if err != nil {
		t.Fatalf("parse eml: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	fromSMTP, err := emailtest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatalf("parse SMTP message: %v", err)
	}
	for _, h := range []string{"From", "To", "Subject", "Message-Id", "X-Outreach-Job", "Mime-Version"} {
		if a, b := fromFile.Header.Get(h), fromSMTP.Header.Get(h); a != b {
			t.Errorf("header %s: outbox %q, SMTP %q", h, a, b)
		}
	}
	if fromFile.ContentType != fromSMTP.ContentType || fromFile.Text != fromSMTP.Text || fromFile.HTML != fromSMTP.HTML {
		t.Errorf("bodies differ: outbox %s %q %q, SMTP %s %q %q",
			fromFile.ContentType, fromFile.Text, fromFile.HTML, fromSMTP.ContentType, fromSMTP.Text, fromSMTP.HTML)
	}
}

func TestEmailFileNameIsSafe(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	m := emailMessage("r1")
	m.JobID = "../../etc/passwd x"

	r, err := o.Email().Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	name := strings.TrimPrefix(r.ProviderID, "outbox:")
	if strings.ContainsAny(name, "/ ") || !strings.Contains(name, "-______etc_passwd_x-") {
		t.Errorf("file name %q is not sanitized", name)
	}
	if names := emlFiles(t, o.Dir()); len(names) != 1 || names[0] != name {
		t.Fatalf("outbox holds %v, want [%s]", names, name)
	}
	raw, err := os.ReadFile(filepath.Join(o.Dir(), name))
	if err != nil {
		t.Fatalf("read eml: %v", err)
	}
	p, err := emailtest.Parse(raw)
	if err != nil {
		t.Fatalf("parse eml: %v", err)
	}
	// Without WithFrom, the outbox signs with DefaultFrom.
	if from, err := p.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].String() != `"Outreach dev outbox" <outreach@localhost>` {
		t.Errorf("From = %v (%v), want %s", from, err, outbox.DefaultFrom)
	}
}

func TestEmailInvalid(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	m := emailMessage("r1")
	m.To = "not an address"

	_, err := o.Email().Send(context.Background(), m)

	if !outreach.IsPermanent(err) || outreach.FailureReason(err) != "invalid_address" {
		t.Errorf("Send = %v, want a permanent invalid_address failure", err)
	}
	if names := emlFiles(t, o.Dir()); len(names) != 0 {
		t.Errorf("outbox holds %v, want nothing", names)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if _, err := outbox.New(""); err == nil {
		t.Error("New(\"\") succeeded, want an error")
	}
	if _, err := outbox.New(t.TempDir(), outbox.WithFrom("office@")); err == nil || !strings.Contains(err.Error(), "From") {
		t.Errorf("New with a bad From = %v, want an error about From", err)
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	if _, err := outbox.New(dir); err != nil {
		t.Fatalf("New: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("New did not create %s: %v", dir, err)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range []outreach.Sender{o.Email(), o.SMS()} {
		m := emailMessage("r1")
		m.Channel = s.Channel()
		if _, err := s.Send(ctx, m); err == nil {
			t.Errorf("%s Send with a cancelled context succeeded", s.Channel())
		}
	}
	entries, err := os.ReadDir(o.Dir())
	if err != nil || len(entries) != 0 {
		t.Errorf("outbox holds %d entries (%v), want none", len(entries), err)
	}
}

package email_test

import (
	"bytes"
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"

	"github.com/outreach-dev/outreach/outreach/email"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// BenchmarkSend measures messages per second over 4 pooled connections to
// the in-process server (which discards the data).
func BenchmarkSend(b *testing.B) {
	srv := emailtest.NewServer(b, emailtest.Options{Discard: true})
	s := newSender(b, srv, func(c *email.Config) { c.Conns = 4 })
	m := message("r1", "lisa@example.com")
	ctx := context.Background()
	send(b, s, m) // dial outside the timer

	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if got := srv.Connections(); got > 4 {
		b.Errorf("server saw %d connections, want at most 4", got)
	}
}

// BenchmarkCompose measures building one message and writing its MIME text
// (what a send does before the SMTP exchange): an English bulk message
// (quoted-printable) and a Chinese one (base64), text and HTML, with the
// unsubscribe and List-Id headers of an estate.
func BenchmarkCompose(b *testing.B) {
	from := &mail.Address{Name: "Estate office", Address: "office@example.com"}
	estate := outreach.Estate{ID: "sunshine", Name: "阳光花园", ReplyTo: "desk@sunshine.example.com"}
	en := strings.Repeat("Dear resident, the water in Building 3 is off on Friday from 09:00 to 12:00.\n", 16)
	zh := strings.Repeat("尊敬的住户：3栋将于周五09:00至12:00停水，请提前储水。\n", 16)
	for _, c := range []struct{ name, subject, text string }{{"en", "Planned water cut", en}, {"zh-CN", "停水通知", zh}} {
		m := outreach.Message{DeliveryID: "0123456789abcdef", JobID: "job-1", To: "lisa@example.com", ToName: "Lisa Wong",
			Subject: c.subject, Text: c.text, HTML: "<html><body><p>" + strings.ReplaceAll(c.text, "\n", "</p>\n<p>") + "</p></body></html>\n",
			Unsubscribe: "https://example.com/u/abcdef", Estate: estate}
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				msg, err := email.Compose(from, m, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				if _, err := msg.WriteTo(&buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

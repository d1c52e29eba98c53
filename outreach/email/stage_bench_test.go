package email

import (
	"bufio"
	"bytes"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// benchMessages are the two messages the compose benchmarks build: an
// English bulk message (quoted-printable) and a Chinese one (base64), text
// and HTML, with the unsubscribe and List-Id headers of an estate.
// benchMessage is one of them, named for b.Run.
type benchMessage struct {
	name string
	msg  outreach.Message
}

func benchMessages() (*mail.Address, []benchMessage) {
	from := &mail.Address{Name: "Estate office", Address: "office@example.com"}
	estate := outreach.Estate{ID: "sunshine", Name: "阳光花园", ReplyTo: "desk@sunshine.example.com"}
	en := strings.Repeat("Dear resident, the water in Building 3 is off on Friday from 09:00 to 12:00.\n", 16)
	zh := strings.Repeat("尊敬的住户：3栋将于周五09:00至12:00停水，请提前储水。\n", 16)
	var out []benchMessage
	for _, c := range []struct{ name, subject, text string }{{"en", "Planned water cut", en}, {"zh-CN", "停水通知", zh}} {
		out = append(out, benchMessage{c.name, outreach.Message{DeliveryID: "0123456789abcdef", JobID: "job-1", To: "lisa@example.com", ToName: "Lisa Wong",
			Subject: c.subject, Text: c.text, HTML: "<html><body><p>" + strings.ReplaceAll(c.text, "\n", "</p>\n<p>") + "</p></body></html>\n",
			Unsubscribe: "https://example.com/u/abcdef", Estate: estate}})
	}
	return from, out
}

// BenchmarkCompose measures building one message and writing its MIME text
// (what a send does before the SMTP exchange) into a bytes.Buffer.
func BenchmarkCompose(b *testing.B) {
	from, cases := benchMessages()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				msg, err := Compose(from, c.msg, time.Now())
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

// BenchmarkComposeWrite measures what Sender.Send does for a message
// before and around the SMTP exchange, without the network: compose into
// a pooled message, write its DATA into a connection's buffered writer
// (here over io.Discard), release the message.
func BenchmarkComposeWrite(b *testing.B) {
	from, cases := benchMessages()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			w := bufio.NewWriter(io.Discard)
			b.ReportAllocs()
			for b.Loop() {
				msg := pooledMsg()
				if err := compose(msg, from, c.msg, time.Now()); err != nil {
					b.Fatal(err)
				}
				writeData(w, msg)
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				releaseMsg(msg)
			}
		})
	}
}

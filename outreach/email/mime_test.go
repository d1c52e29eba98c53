package email

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
)

// randomText is text of n runes drawn from ASCII (with spaces, tabs, "=",
// "." and line ends of every kind) and Chinese.
func randomText(r *rand.Rand, n int) string {
	pieces := []string{"a", "Z", "0", " ", " ", "\t", "=", ".", "\n", "\r\n", "\r", "停", "水", "é", "~", "-", "=20", "  \n"}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// checkLines fails when a line of data does not end in CRLF, has a bare CR
// or LF, or is longer than maxLine (headers may keep one long word whole,
// which these tests do not make).
func checkLines(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("data does not end in CRLF: %q", data[max(0, len(data)-20):])
	}
	for _, line := range bytes.Split(data[:len(data)-2], []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("bare CR or LF in line %q", line)
		}
		if len(line) > maxLine {
			t.Fatalf("line of %d characters: %q", len(line), line)
		}
	}
}

// TestQuotedPrintableRoundTrip: what quotedPrintable writes decodes to the
// text with CRLF line ends, in lines of at most 76 characters, with no
// space or tab before a line end.
func TestQuotedPrintableRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		text := randomText(r, r.IntN(300))
		if i == 0 {
			text = strings.Repeat("x", 200) + " \n" + strings.Repeat("é", 60)
		}
		var w mimeWriter
		w.quotedPrintable(text)
		out := w.Bytes()
		if len(text) == 0 {
			continue
		}
		checkLines(t, out)
		if bytes.Contains(out, []byte(" \r\n")) || bytes.Contains(out, []byte("\t\r\n")) {
			t.Fatalf("whitespace before a line end in %q", out)
		}
		got, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(out)))
		if err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if want := strings.TrimSuffix(string(crlf(text)), "\r\n") + "\r\n"; string(got) != want {
			t.Fatalf("text %q\nencoded %q\ndecoded %q\nwant    %q", text, out, got, want)
		}
	}
}

// TestBase64Lines: base64 bodies come in lines of 76 and decode to the text
// with CRLF line ends.
func TestBase64Lines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		text := randomText(r, 1+r.IntN(400))
		var w mimeWriter
		w.base64(text)
		checkLines(t, w.Bytes())
		got, err := io.ReadAll(base64Decoder(w.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if want := string(crlf(text)); string(got) != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	}
}

// TestHeaderFolding: a long header is folded at spaces into lines of at
// most 76 characters and unfolds to the value; a Chinese subject comes out
// as encoded-words that decode to it.
func TestHeaderFolding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	words := []string{"water", "cut", "on", "Friday,", "Building", "3", "from", "09:00"}
	for range 300 {
		var ws []string
		for range 1 + r.IntN(40) {
			ws = append(ws, words[r.IntN(len(words))])
		}
		value := strings.Join(ws, " ")
		var w mimeWriter
		w.header("Subject", value)
		checkLines(t, w.Bytes())
		unfolded := strings.ReplaceAll(strings.TrimSuffix(w.String(), "\r\n"), "\r\n", "")
		if want := "Subject: " + value; unfolded != want {
			t.Fatalf("unfolded %q, want %q", unfolded, want)
		}
	}
	subject := strings.Repeat("关于3栋停水的通知，", 12)
	var w mimeWriter
	w.header("Subject", encodeWord(true, subject))
	checkLines(t, w.Bytes())
	msg, err := mail.ReadMessage(strings.NewReader(w.String() + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || got != subject {
		t.Fatalf("decoded subject %q (%v), want %q", got, err, subject)
	}
}

// TestComposeDecodes: messages of random text, English and Chinese, with
// and without HTML, decode (as a mail client would) to what was composed,
// every line of them CRLF-terminated and at most 76 characters long.
func TestComposeDecodes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	from := &mail.Address{Name: "Estate office", Address: "office@example.com"}
	for i := range 300 {
		m := outreach.Message{DeliveryID: "d" + string(rune('a'+i%26)), JobID: "job-1", To: "lisa@example.com",
			ToName: "Lisa Wong", Subject: strings.TrimSpace(oneLine(randomText(r, 1+r.IntN(60)))),
			Text: randomText(r, 1+r.IntN(500)), Unsubscribe: "https://example.com/u/abc",
			Estate: outreach.Estate{ID: "sunshine", Name: "阳光花园"}}
		if i%3 != 0 {
			m.HTML = "<p>" + randomText(r, r.IntN(500)) + "</p>"
		}
		if m.Subject == "" {
			m.Subject = "x"
		}
		msg, err := Compose(from, m, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, msg.Bytes())
		p, err := emailtest.Parse(msg.Bytes())
		if err != nil {
			t.Fatalf("parse %q: %v", msg.Bytes(), err)
		}
		// The parser shows line ends as "\n" and drops the final one.
		norm := func(s string) string {
			return strings.TrimRight(strings.ReplaceAll(string(crlf(s)), "\r\n", "\n"), "\n")
		}
		if p.Subject != m.Subject || p.Text != norm(m.Text) || p.HTML != norm(m.HTML) {
			t.Fatalf("decoded subject %q text %q html %q\nwant %q, %q, %q", p.Subject, p.Text, p.HTML, m.Subject, norm(m.Text), norm(m.HTML))
		}
		if got := p.Header.Get("Message-Id"); got != msg.MessageID() {
			t.Fatalf("Message-ID %q, want %q", got, msg.MessageID())
		}
	}
}

func base64Decoder(data []byte) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, bytes.NewReader(data))
}

package email_test

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email"
)

// composed writes the message Compose builds for m from testFrom and reads
// its header back.
func composed(t *testing.T, m outreach.Message) mail.Header {
	t.Helper()
	from, err := mail.ParseAddress(testFrom)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := email.Compose(from, m, time.Now())
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	parsed, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatalf("read the message back: %v\n%s", err, buf.String())
	}
	return parsed.Header
}

// TestEstateIdentity: the estate's From name with our address, its
// Reply-To, a List-Id naming it on bulk mail, and a Message-ID on the
// sender's domain.
func TestEstateIdentity(t *testing.T) {
	t.Parallel()
	sunshine := outreach.Estate{ID: "sunshine", Name: "阳光花园", Company: "万科物业", EmailFromName: "阳光花园物业服务中心", ReplyTo: "service@sunshine.example.com"}
	dec := new(mime.WordDecoder)
	for _, tt := range []struct {
		name                      string
		estate                    outreach.Estate
		bulk                      bool
		fromName, replyTo, listID string
	}{
		{"no estate", outreach.Estate{}, true, "Property Office", "", ""},
		{"default estate without a name", outreach.Estate{ID: "default"}, true, "Property Office", "", "<default.estates.example.com>"},
		{"from name and reply-to", sunshine, false, "阳光花园物业服务中心", "service@sunshine.example.com", ""},
		{"bulk carries List-Id", sunshine, true, "阳光花园物业服务中心", "service@sunshine.example.com", "阳光花园 <sunshine.estates.example.com>"},
		{"display name when no from name", outreach.Estate{ID: "lakeside", Name: "Lakeside Court", Company: "Acme Homes"}, true, "Acme Homes Lakeside Court", "", "Lakeside Court <lakeside.estates.example.com>"},
		{"quoted ASCII name", outreach.Estate{ID: "oak", Name: "Oak St. (North)"}, true, "Oak St. (North)", "", `"Oak St. (North)" <oak.estates.example.com>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := message("r1", "lisa@example.com")
			m.Estate = tt.estate
			if tt.bulk {
				m.Unsubscribe = "https://outreach.example.com/u/abc"
			}
			h := composed(t, m)
			from, err := h.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != tt.fromName || from[0].Address != "office@example.com" {
				t.Errorf("From = %v (%v), want %q <office@example.com>", from, err, tt.fromName)
			}
			if got := h.Get("Reply-To"); tt.replyTo == "" && got != "" {
				t.Errorf("Reply-To = %q, want none", got)
			} else if tt.replyTo != "" {
				rt, err := h.AddressList("Reply-To")
				if err != nil || len(rt) != 1 || rt[0].Address != tt.replyTo {
					t.Errorf("Reply-To = %v (%v), want %s", rt, err, tt.replyTo)
				}
			}
			raw := h.Get("List-Id")
			got, err := dec.DecodeHeader(raw)
			if err != nil || got != tt.listID {
				t.Errorf("List-Id = %q (decoded %q, %v), want %q", raw, got, err, tt.listID)
			}
			if raw != "" && strings.ContainsFunc(raw, func(r rune) bool { return r >= 0x80 }) {
				t.Errorf("List-Id %q is not encoded", raw)
			}
			if got, want := h.Get("Message-Id"), "<"+m.DeliveryID+"@example.com>"; got != want {
				t.Errorf("Message-ID = %q, want %q", got, want)
			}
		})
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"office@Sunshine.Example.com": "sunshine.example.com",
		"a@b@example.org":             "example.org",
		"nobody":                      "localhost",
		"x@[192.0.2.1]":               "192.0.2.1",
	} {
		if got := email.Domain(addr); got != want {
			t.Errorf("Domain(%q) = %q, want %q", addr, got, want)
		}
	}
}

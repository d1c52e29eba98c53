package email

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/outreach-dev/outreach/outreach"
)

// HeaderJob carries the job id, so that a bounce or a reply can be traced
// back to the job that caused it.
const HeaderJob gomail.Header = "X-Outreach-Job"

// MessageIDDomain is the right-hand side of every Message-ID we generate.
const MessageIDDomain = "outreach"

// Reasons for messages that can never be sent, used as SendError.Reason.
const (
	ReasonInvalidAddress = "invalid_address"
	ReasonInvalidMessage = "invalid_message"
)

// MessageID is the Message-ID (without angle brackets) of the delivery with
// the given id. It is derived, not random, so that a retry of the same
// delivery carries the same Message-ID and receivers can drop the duplicate.
func MessageID(deliveryID string) string {
	return deliveryID + "@" + MessageIDDomain
}

// Compose builds the MIME message for m from the given sender: a
// multipart/alternative of plain text and HTML (one part alone when the
// other is empty), with Subject, From, To, Date, Message-ID, X-Outreach-Job
// and Auto-Submitted, and for a bulk message (m.Unsubscribe set) the
// List-Unsubscribe headers of RFC 8058 one-click unsubscribe.
// The outbox writes the same message to disk, so what a developer opens in a
// mail client is what SMTP would carry.
//
// Its errors are permanent *outreach.SendError values: the message itself is
// wrong, and no retry can fix it.
func Compose(from *mail.Address, m outreach.Message, date time.Time) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// net/mail quotes the rest of the input in some errors; the address
		// must not reach a log, so its error is not wrapped.
		return nil, invalid(ReasonInvalidAddress, fmt.Errorf("recipient %s is not a valid email address", MaskEmail(m.To)))
	}
	if !validIDAtom(m.DeliveryID) {
		return nil, invalid(ReasonInvalidMessage, errors.New("delivery id is empty or not usable in a Message-ID"))
	}
	if m.Text == "" && m.HTML == "" {
		return nil, invalid(ReasonInvalidMessage, errors.New("message has neither a text nor an HTML body"))
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) || !utf8.ValidString(m.ToName) {
		return nil, invalid(ReasonInvalidMessage, errors.New("message is not valid UTF-8"))
	}

	// No User-Agent/X-Mailer: the library and its version are nobody's
	// business but ours.
	msg := gomail.NewMsg(gomail.WithEncoding(bodyEncoding(m)), gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(&mail.Address{Name: oneLine(m.ToName), Address: to.Address})
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(MessageID(m.DeliveryID))
	msg.SetDateWithValue(date)
	if m.JobID != "" {
		msg.SetGenHeader(HeaderJob, oneLine(m.JobID))
	}
	// RFC 3834: keeps vacation responders from answering notifications.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		if err := setUnsubscribe(msg, m.Unsubscribe); err != nil {
			return nil, err
		}
	}

	switch {
	case m.HTML == "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	case m.Text == "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// setUnsubscribe adds List-Unsubscribe: <link> and, for an https link,
// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 allows
// one-click only over HTTPS; a plain http link still serves RFC 2369
// clients, which open it in a browser). The link must be an absolute URL
// with no control characters, so it cannot start a header of its own.
func setUnsubscribe(msg *gomail.Msg, link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || oneLine(link) != link {
		return invalid(ReasonInvalidMessage, errors.New("unsubscribe link is not an absolute http(s) URL"))
	}
	if u.Scheme == "https" {
		if err := msg.SetListUnsubscribeOneClick(u.String()); err != nil {
			return invalid(ReasonInvalidMessage, errors.New("unsubscribe link is not usable for one-click unsubscribe"))
		}
		return nil
	}
	msg.SetListUnsubscribe(u.String())
	return nil
}

func invalid(reason string, err error) *outreach.SendError {
	return &outreach.SendError{Permanent: true, Reason: reason, Err: err}
}

// oneLine turns CR, LF and other control characters into spaces, so that
// data (a resident's name, a rendered subject, a job id) can never start a
// new header line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// validIDAtom reports whether id can stand left of the @ in a Message-ID
// without quoting. Delivery ids are hex, so this only rejects bugs.
func validIDAtom(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return !strings.HasPrefix(id, ".") && !strings.HasSuffix(id, ".") && !strings.Contains(id, "..")
}

// bodyEncoding picks base64 for mostly non-ASCII text (Chinese: three bytes a
// character, which quoted-printable would triple again) and quoted-printable
// otherwise, which stays readable in the raw message.
func bodyEncoding(m outreach.Message) gomail.Encoding {
	var high, total int
	for _, s := range []string{m.Subject, m.Text, m.HTML} {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				high++
			}
		}
		total += len(s)
	}
	if total > 0 && high*3 > total {
		return gomail.EncodingB64
	}
	return gomail.EncodingQP
}

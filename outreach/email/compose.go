package email

import (
	"cmp"
	"errors"
	"fmt"
	"mime"
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

// Reasons for messages that can never be sent, used as SendError.Reason.
const (
	ReasonInvalidAddress = "invalid_address"
	ReasonInvalidMessage = "invalid_message"
)

// MessageID is the Message-ID (without angle brackets) of the delivery with
// the given id, sent from the address from: its right-hand side is from's
// domain (RFC 5322 asks for a domain the sender controls). It is derived,
// not random, so that a retry of the same delivery carries the same
// Message-ID and receivers can drop the duplicate.
func MessageID(deliveryID, from string) string {
	return deliveryID + "@" + Domain(from)
}

// Domain is the domain of an email address ("office@sunshine.example.com"
// gives "sunshine.example.com"), lower-case; "localhost" for an address
// without one.
func Domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return strings.ToLower(strings.Trim(addr[i+1:], "[]"))
	}
	return "localhost"
}

// ListID is the List-Id header value (RFC 2919) of an estate's bulk mail
// sent from the address from: the estate's name as the phrase, encoded
// when it is not plain ASCII, and "<estate-id>.estates.<from's domain>"
// as the identifier, e.g.
//
//	=?utf-8?q?=E9=98=B3=E5=85=89=E8=8A=B1=E5=9B=AD?= <sunshine.estates.example.com>
//
// Empty for an estate without an id.
func ListID(e outreach.Estate, from string) string {
	if e.ID == "" {
		return ""
	}
	id := "<" + e.ID + ".estates." + Domain(from) + ">"
	name := oneLine(strings.TrimSpace(cmp.Or(e.Name, e.DisplayName())))
	if name == "" {
		return id
	}
	return phrase(name) + " " + id
}

// phrase writes s as an RFC 5322 phrase: as it is when it is atoms,
// quoted when it is other printable ASCII, an RFC 2047 encoded-word
// otherwise.
func phrase(s string) string {
	atoms, ascii := true, true
	for _, r := range s {
		switch {
		case r >= 0x80 || r < ' ':
			ascii, atoms = false, false
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ',
			strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r):
		default:
			atoms = false
		}
	}
	switch {
	case atoms:
		return s
	case ascii:
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// Compose builds the MIME message for m from the given sender: a
// multipart/alternative of plain text and HTML (one part alone when the
// other is empty), with Subject, From, To, Date, Message-ID, X-Outreach-Job
// and Auto-Submitted, and for a bulk message (m.Unsubscribe set) the
// List-Unsubscribe headers of RFC 8058 one-click unsubscribe and the
// estate's List-Id. From is from's address with the estate's display name
// (m.Estate.EmailFromName, else its DisplayName, else from's own name);
// Reply-To is the estate's when it has one.
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
	// The estate speaks: its From name with our address (which SPF and
	// DKIM vouch for), and its Reply-To when it has one.
	msg.FromMailAddress(&mail.Address{Name: oneLine(cmp.Or(m.Estate.EmailFromName, m.Estate.DisplayName(), from.Name)), Address: from.Address})
	if m.Estate.ReplyTo != "" {
		rt, err := mail.ParseAddress(m.Estate.ReplyTo)
		if err != nil {
			return nil, invalid(ReasonInvalidAddress, fmt.Errorf("estate %s: reply_to is not a valid email address", m.Estate.ID))
		}
		msg.ReplyToMailAddress(rt)
	}
	msg.ToMailAddress(&mail.Address{Name: oneLine(m.ToName), Address: to.Address})
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(MessageID(m.DeliveryID, from.Address))
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
		// A list that offers unsubscribing names itself (RFC 2919); spam
		// filters score List-Unsubscribe without List-Id.
		if id := ListID(m.Estate, from.Address); id != "" {
			msg.SetGenHeaderPreformatted("List-Id", id)
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

package email

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

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
// The message is written here, in one pass into one buffer (see Msg); the
// bodies are quoted-printable or base64 (bodyEncoding), so it is 7-bit
// and needs no 8BITMIME.
//
// Its errors are permanent *outreach.SendError values: the message itself is
// wrong, and no retry can fix it.
func Compose(from *mail.Address, m outreach.Message, date time.Time) (*Msg, error) {
	msg := new(Msg)
	if err := compose(msg, from, m, date); err != nil {
		return nil, err
	}
	return msg, nil
}

// msgPool holds the messages that Sender.Send composed and sent: their
// buffers are reused, which saves allocating (and the GC scanning) a
// message-sized buffer per message.
var msgPool = sync.Pool{New: func() any { return new(Msg) }}

// maxPooled is the largest buffer kept in msgPool; the rare big message's
// is left to the GC.
const maxPooled = 256 << 10

// pooledMsg is an empty message from msgPool; releaseMsg puts it back.
func pooledMsg() *Msg { return msgPool.Get().(*Msg) }

// releaseMsg returns msg to msgPool; it must not be used afterwards.
func releaseMsg(msg *Msg) {
	if msg.w.Cap() > maxPooled {
		return
	}
	msg.w.Reset()
	msg.sender, msg.rcpt, msg.messageID = "", "", ""
	msgPool.Put(msg)
}

// compose is Compose into msg, which must be empty (its buffer's capacity
// is reused).
func compose(msg *Msg, from *mail.Address, m outreach.Message, date time.Time) error {
	to, err := parseAddress(m.To)
	if err != nil {
		// net/mail quotes the rest of the input in some errors; the address
		// must not reach a log, so its error is not wrapped.
		return invalid(ReasonInvalidAddress, fmt.Errorf("recipient %s is not a valid email address", MaskEmail(m.To)))
	}
	if !validIDAtom(m.DeliveryID) {
		return invalid(ReasonInvalidMessage, errors.New("delivery id is empty or not usable in a Message-ID"))
	}
	if m.Text == "" && m.HTML == "" {
		return invalid(ReasonInvalidMessage, errors.New("message has neither a text nor an HTML body"))
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) || !utf8.ValidString(m.ToName) {
		return invalid(ReasonInvalidMessage, errors.New("message is not valid UTF-8"))
	}
	var replyTo *mail.Address
	if m.Estate.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(m.Estate.ReplyTo); err != nil {
			return invalid(ReasonInvalidAddress, fmt.Errorf("estate %s: reply_to is not a valid email address", m.Estate.ID))
		}
	}
	var unsubscribe, oneClick string
	if m.Unsubscribe != "" {
		if unsubscribe, oneClick, err = unsubscribeHeaders(m.Unsubscribe); err != nil {
			return err
		}
	}

	msg.sender = "<" + from.Address + ">"
	msg.rcpt = "<" + to.Address + ">"
	msg.messageID = "<" + MessageID(m.DeliveryID, from.Address) + ">"
	enc := bodyEncoding(m)
	w := &msg.w
	w.Grow(len(m.Subject) + 2*(len(m.Text)+len(m.HTML)) + 1024)
	// No User-Agent/X-Mailer: the library and its version are nobody's
	// business but ours.
	w.header("Date", dateHeader(date))
	// The estate speaks: its From name with our address (which SPF and
	// DKIM vouch for), and its Reply-To when it has one.
	w.header("From", fromHeader(from, m.Estate))
	w.header("To", (&mail.Address{Name: oneLine(m.ToName), Address: to.Address}).String())
	if replyTo != nil {
		w.header("Reply-To", "<"+replyTo.Address+">")
	}
	w.header("Subject", encodeWord(enc == encodingB64, oneLine(m.Subject)))
	w.header("Message-ID", msg.messageID)
	w.header("MIME-Version", "1.0")
	if m.JobID != "" {
		w.header(HeaderJob, oneLine(m.JobID))
	}
	// RFC 3834: keeps vacation responders from answering notifications.
	w.header("Auto-Submitted", "auto-generated")
	if unsubscribe != "" {
		w.header("List-Unsubscribe", unsubscribe)
		if oneClick != "" {
			w.header("List-Unsubscribe-Post", oneClick)
		}
		// A list that offers unsubscribing names itself (RFC 2919); spam
		// filters score List-Unsubscribe without List-Id.
		if id := listIDHeader(m.Estate, from.Address); id != "" {
			w.header("List-Id", id)
		}
	}
	switch {
	case m.HTML == "":
		w.part(enc, "text/plain", m.Text)
	case m.Text == "":
		w.part(enc, "text/html", m.HTML)
	default:
		var b [boundaryLen]byte
		boundary := newBoundary(&b)
		// Folded as header would fold it: the boundary parameter does
		// not fit on the first line.
		w.WriteString("Content-Type: multipart/alternative;\r\n boundary=\"")
		w.Write(boundary)
		// Each part ends in CRLF, which belongs to the delimiter after it.
		w.WriteString("\"\r\n\r\n--")
		w.Write(boundary)
		w.WriteString("\r\n")
		w.part(enc, "text/plain", m.Text)
		w.WriteString("--")
		w.Write(boundary)
		w.WriteString("\r\n")
		w.part(enc, "text/html", m.HTML)
		w.WriteString("--")
		w.Write(boundary)
		w.WriteString("--\r\n")
	}
	return nil
}

// fromHeader is the From header's value for mail of estate e from the
// address from: the estate's From name with our address. The last one is
// remembered (lastFrom): the messages of a campaign all have the same.
func fromHeader(from *mail.Address, e outreach.Estate) string {
	key := fromKey{e.EmailFromName, e.Company, e.Name, from.Name, from.Address}
	if v, ok := lastFrom.lookup(key); ok {
		return v
	}
	v := (&mail.Address{Name: oneLine(cmp.Or(e.EmailFromName, e.DisplayName(), from.Name)), Address: from.Address}).String()
	lastFrom.store(key, v)
	return v
}

// fromKey is what fromHeader's value depends on.
type fromKey struct{ emailFromName, company, name, fromName, fromAddress string }

// listIDHeader is ListID(e, from), the last one remembered (lastListID).
func listIDHeader(e outreach.Estate, from string) string {
	key := listIDKey{e.ID, e.Name, e.Company, from}
	if v, ok := lastListID.lookup(key); ok {
		return v
	}
	v := ListID(e, from)
	lastListID.store(key, v)
	return v
}

// listIDKey is what ListID's value depends on.
type listIDKey struct{ id, name, company, from string }

var (
	lastFrom   memo[fromKey]
	lastListID memo[listIDKey]
)

// memo remembers one string computed from a key, for the goroutines of
// every Sender: a header that is the same for all the messages of a
// campaign is built once, not once a message.
type memo[K comparable] struct{ last atomic.Pointer[memoEntry[K]] }

type memoEntry[K comparable] struct {
	key   K
	value string
}

func (m *memo[K]) lookup(key K) (string, bool) {
	if e := m.last.Load(); e != nil && e.key == key {
		return e.value, true
	}
	return "", false
}

func (m *memo[K]) store(key K, value string) {
	m.last.Store(&memoEntry[K]{key, value})
}

// parseAddress is mail.ParseAddress with a fast path for the usual
// recipient, a bare dot-atom address ("lisa.wong@example.com"), which
// net/mail parses into an Address of that same text (and ten allocations).
func parseAddress(s string) (*mail.Address, error) {
	if plainAddress(s) {
		return &mail.Address{Address: s}, nil
	}
	return mail.ParseAddress(s)
}

// plainAddress reports whether s is local@domain with both parts dot-atoms
// (RFC 5322 3.2.3) of ASCII letters, digits and, in the local part, the
// other atext characters, and a domain of letters, digits and hyphens:
// text that net/mail takes as it is.
func plainAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return false
	}
	return dotAtom(s[:at], true) && dotAtom(s[at+1:], false)
}

func dotAtom(s string, local bool) bool {
	if s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case local && strings.IndexByte("!#$%&'*+/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// HeaderJob carries the job id, so that a bounce or a reply can be traced
// back to the job that caused it.
const HeaderJob = "X-Outreach-Job"

// Msg is a composed message: its envelope and its whole text, CRLF line
// ends throughout, as the DATA of an SMTP transaction carries it before
// dot-stuffing.
type Msg struct {
	sender, rcpt string // the envelope: <address>
	messageID    string // <id@domain>
	w            mimeWriter
}

// MessageID is the message's Message-ID header, with its angle brackets.
func (m *Msg) MessageID() string { return m.messageID }

// Bytes is the message's text; it must not be changed.
func (m *Msg) Bytes() []byte { return m.w.Bytes() }

// WriteTo writes the message's text to w.
func (m *Msg) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(m.w.Bytes())
	return int64(n), err
}

// unsubscribeHeaders are List-Unsubscribe: <link> and, for an https link,
// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 allows
// one-click only over HTTPS; a plain http link still serves RFC 2369
// clients, which open it in a browser). The link must be an absolute URL
// with no control characters, so it cannot start a header of its own.
func unsubscribeHeaders(link string) (unsubscribe, oneClick string, err error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || oneLine(link) != link {
		return "", "", invalid(ReasonInvalidMessage, errors.New("unsubscribe link is not an absolute http(s) URL"))
	}
	s := u.String()
	if strings.ContainsAny(s, "<> ") {
		return "", "", invalid(ReasonInvalidMessage, errors.New("unsubscribe link is not usable in a List-Unsubscribe header"))
	}
	if u.Scheme == "https" {
		oneClick = "List-Unsubscribe=One-Click"
	}
	return "<" + s + ">", oneClick, nil
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
func bodyEncoding(m outreach.Message) encoding {
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
		return encodingB64
	}
	return encodingQP
}

// dateHeader is date in the Date header's form (RFC 1123 with a numeric
// zone). The header shows whole seconds, and a daemon sends hundreds of
// messages a second: the last one formatted is kept and used again for
// the same second in the same location.
func dateHeader(date time.Time) string {
	sec, loc := date.Unix(), date.Location()
	if d := lastDate.Load(); d != nil && d.sec == sec && d.loc == loc {
		return d.text
	}
	text := date.Format(time.RFC1123Z)
	lastDate.Store(&formattedDate{sec: sec, loc: loc, text: text})
	return text
}

type formattedDate struct {
	sec  int64
	loc  *time.Location
	text string
}

var lastDate atomic.Pointer[formattedDate]

package outbox

import (
	"fmt"
	"net/mail"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// DefaultFrom is the sender of outbox emails unless WithFrom says otherwise.
const DefaultFrom = "Outreach dev outbox <outreach@localhost>"

// SMSFile is the name of the SMS log inside the outbox folder.
const SMSFile = "sms.jsonl"

// stamp formats times in file names and ids: fixed width, so names sort by
// time, and without colons, which some file systems refuse.
const stamp = "20060102T150405.000000000Z"

// Outbox is a folder that stands in for the email and SMS providers.
type Outbox struct {
	dir  string
	from *mail.Address
	now  func() time.Time

	smsMu sync.Mutex // serializes appends to sms.jsonl
}

// Option configures an Outbox.
type Option func(*Outbox) error

// WithFrom sets the From of outbox emails, normally OUTREACH_EMAIL_FROM
// when it is set.
func WithFrom(from string) Option {
	return func(o *Outbox) error {
		a, err := mail.ParseAddress(from)
		if err != nil {
			return fmt.Errorf("parse outbox From %q: %w", from, err)
		}
		o.from = a
		return nil
	}
}

// New opens the outbox in dir, creating the folder when needed.
func New(dir string, opts ...Option) (*Outbox, error) {
	if dir == "" {
		return nil, fmt.Errorf("outbox folder is empty")
	}
	o := &Outbox{dir: dir, now: time.Now}
	if err := WithFrom(DefaultFrom)(o); err != nil {
		return nil, err
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create outbox folder: %w", err)
	}
	return o, nil
}

// Dir is the outbox folder.
func (o *Outbox) Dir() string { return o.dir }

// Email is a Sender that writes each email as an .eml file.
func (o *Outbox) Email() outreach.Sender { return &emailSender{o: o} }

// SMS is a Sender that appends each SMS as a JSON line to sms.jsonl.
func (o *Outbox) SMS() outreach.Sender { return &smsSender{o: o} }

// safeName keeps ASCII letters, digits, '_' and '-' of s (others become
// '_') and at most limit bytes, so that an id cannot steer a file name out of
// the folder; fallback stands in for an empty s.
func safeName(s string, limit int, fallback string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= limit {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

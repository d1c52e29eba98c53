package outreach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Channel is a way to reach a resident.
type Channel string

// Channels outreach can send through. Email and SMS reach a resident at
// their own address; the chat channels (WeCom, DingTalk, Slack) post to the
// one group robot configured for the daemon (a staff or building group).
const (
	ChannelEmail    Channel = "email"
	ChannelSMS      Channel = "sms"
	ChannelWeCom    Channel = "wecom"
	ChannelDingTalk Channel = "dingtalk"
	ChannelSlack    Channel = "slack"
)

// AllChannels lists every channel that reaches a resident, in the default
// preference order.
var AllChannels = []Channel{ChannelEmail, ChannelSMS}

// GroupChannels lists the chat channels, which post to a group.
var GroupChannels = []Channel{ChannelWeCom, ChannelDingTalk, ChannelSlack}

// KnownChannels lists every channel (for validation messages and metrics).
var KnownChannels = append(append([]Channel(nil), AllChannels...), GroupChannels...)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(KnownChannels, c) }

// Group reports whether c posts to a group robot rather than to a resident:
// a job names such a channel to post its notice once to the group.
func (c Channel) Group() bool { return slices.Contains(GroupChannels, c) }

// Message is one rendered communication on its way to a provider.
type Message struct {
	// DeliveryID identifies the delivery; a retry of the same delivery
	// carries the same id (email uses it for Message-ID).
	DeliveryID string
	JobID      string
	Kind       Kind
	Channel    Channel
	To         string // email address or E.164 phone number; empty for a group post
	ToName     string
	Subject    string // email and group posts
	Text       string // plain-text body; the SMS text for SMS
	HTML       string // email only, may be empty
	// Unsubscribe is the one-click unsubscribe URL of a bulk message
	// (RFC 8058); email carries it in List-Unsubscribe. Empty: none.
	Unsubscribe string
	// Estate is the recipient's estate, whose identity the message
	// speaks with: email takes its From display name and Reply-To, and a
	// bulk email its List-Id. The zero Estate: the sender's own identity.
	// (The SMS signature is in Text already: see templates.Sign.)
	Estate Estate
}

// Receipt is what a provider says when it accepts a message.
type Receipt struct {
	ProviderID string // SMTP queue id / Message-ID, Twilio SID
	Status     Status // StatusSent, or StatusQueued when the provider sends later (Twilio)
	// Segments and Encoding describe an SMS: the parts it was sent in and
	// GSM-7 or UCS-2. Zero for other channels.
	Segments int
	Encoding string
}

// Sender sends messages on one channel. Implementations are safe for
// concurrent use. A failure is a *SendError when the implementation can tell
// permanent from temporary; any other error is treated as temporary.
type Sender interface {
	Channel() Channel
	Send(ctx context.Context, m Message) (Receipt, error)
	Close() error
}

// Prober is a Sender that can ask its provider whether it is up without
// sending anything (an SMTP NOOP, Twilio's account resource). The daemon
// probes a provider only while its latest sends said it is down, so that
// /readyz learns of the recovery without waiting for traffic.
type Prober interface {
	Probe(ctx context.Context) error
}

// SendError says whether a send failure is worth retrying. Reason is a short
// stable token used as a metric label (e.g. "smtp_5xx", "twilio_21610",
// "connection"); Code is the provider's code ("550", "21610") when it gave one.
type SendError struct {
	Permanent  bool
	Reason     string
	Code       string
	RetryAfter time.Duration // provider's hint, zero when none
	// Unsubscribed: the provider refuses because the recipient opted out
	// of the channel with the provider (Twilio 21610, after a STOP).
	Unsubscribed bool
	Err          error
}

func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s failure (%s, code %s): %v", kind, e.Reason, e.Code, e.Err)
	}
	return fmt.Sprintf("%s failure (%s): %v", kind, e.Reason, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err says a retry cannot help.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// FailureReason is the metric label for a send failure.
func FailureReason(err error) string {
	var se *SendError
	if errors.As(err, &se) && se.Reason != "" {
		return se.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "other"
}

// IsUnsubscribed reports whether err says the recipient opted out of the
// channel with the provider.
func IsUnsubscribed(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Unsubscribed
}

// RetryAfterHint is the provider's Retry-After hint carried by err, if any.
func RetryAfterHint(err error) time.Duration {
	var se *SendError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

package outreach

import "time"

// ReplyAction is what a reply asked for, besides being archived.
type ReplyAction string

// Reply actions.
const (
	// ReplyNone is an ordinary answer (a survey score, a question); the
	// satisfaction loop reads these.
	ReplyNone ReplyAction = ""
	// ReplyOptOut: the resident asked to stop messages on the channel
	// (STOP, UNSUBSCRIBE, 退订, TD, ...).
	ReplyOptOut ReplyAction = "opt_out"
	// ReplyOptIn: the resident asked to receive them again (START).
	ReplyOptIn ReplyAction = "opt_in"
)

// Reply is a message a resident sent back, archived against the latest
// message outreach sent them on that channel.
type Reply struct {
	// ID is the provider's id of the inbound message (Twilio's
	// MessageSid); the archive keeps one reply per ID.
	ID      string  `json:"id"`
	Channel Channel `json:"channel"`
	// From is the sender's address (an E.164 number).
	From string `json:"from"`
	// ResidentID is the resident the address belongs to; empty when it is
	// nobody's in the directory (the reply is archived all the same).
	ResidentID string `json:"resident_id,omitempty"`
	// Estate is the resident's estate; empty when the sender is nobody's.
	Estate string `json:"estate,omitempty"`
	// DeliveryID and JobID are the latest delivery to the resident on
	// Channel before the reply came; empty when there was none.
	DeliveryID string      `json:"delivery_id,omitempty"`
	JobID      string      `json:"job_id,omitempty"`
	Body       string      `json:"body"`
	Action     ReplyAction `json:"action,omitempty"`
	ReceivedAt time.Time   `json:"received_at"`
}

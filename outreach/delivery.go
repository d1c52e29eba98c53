package outreach

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses. A delivery the provider took moves forward only:
//
//	queued -> sent -> delivered | undelivered | failed
//
// (see Advances); retrying and failed are also set by the daemon itself.
const (
	// StatusQueued: the provider took the message and will send it
	// (Twilio's "queued" and "accepted").
	StatusQueued Status = "queued"
	// StatusSent: the provider sent the message on (SMTP accepted it;
	// Twilio handed it to the carrier).
	StatusSent Status = "sent"
	// StatusDelivered: the provider confirmed delivery (callbacks).
	StatusDelivered Status = "delivered"
	// StatusUndelivered: the carrier could not deliver a message the
	// provider had taken (callbacks, with the provider's error code).
	StatusUndelivered Status = "undelivered"
	// StatusRetrying: a temporary failure; the job will be retried.
	StatusRetrying Status = "retrying"
	// StatusFailed: a permanent failure; it will not be retried.
	StatusFailed Status = "failed"
	// StatusSuppressed: the policy stage decided not to send (opt-out,
	// frequency cap, cancelled campaign); Delivery.Policy says why. It is
	// final: a redelivery of the job does not reconsider it.
	StatusSuppressed Status = "suppressed"
	// StatusDeferred: the policy stage put the message off (quiet hours);
	// it waits in the delayed set and is sent once when due, which turns
	// the same record into sent (or another outcome).
	StatusDeferred Status = "deferred"
)

// Statuses lists every status (to pre-initialize metrics).
var Statuses = []Status{StatusQueued, StatusSent, StatusDelivered, StatusUndelivered, StatusRetrying, StatusFailed, StatusSuppressed, StatusDeferred}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s.Stage() >= 0 }

// Accepted reports whether a provider has taken the message: such a delivery
// must never be sent again.
func (s Status) Accepted() bool {
	switch s {
	case StatusQueued, StatusSent, StatusDelivered, StatusUndelivered:
		return true
	}
	return false
}

// Settled reports whether a redelivery of the job must leave the resident
// alone: the message was accepted, or the policy suppressed it for good.
// A deferred delivery is not settled: it is still to be sent.
func (s Status) Settled() bool { return s.Accepted() || s == StatusSuppressed }

// Final reports whether nothing more will be attempted for the delivery.
func (s Status) Final() bool { return s.Settled() || s == StatusFailed }

// Stage orders statuses along a delivery's life: retrying and deferred 0,
// queued 1, sent 2, and the outcomes delivered, undelivered, failed and
// suppressed 3. An unknown
// status is -1.
func (s Status) Stage() int {
	switch s {
	case StatusRetrying, StatusDeferred:
		return 0
	case StatusQueued:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered, StatusUndelivered, StatusFailed, StatusSuppressed:
		return 3
	}
	return -1
}

// Advances reports whether a delivery at status s may move to next: only to
// a later stage, so that repeated and out-of-order provider reports never
// move a status backwards (a late "sent" after "delivered") and an outcome,
// once known, stays.
func (s Status) Advances(next Status) bool { return next.Stage() > s.Stage() }

// Delivery is one archive record: one job, to one resident, on one channel.
// Recording a delivery with an ID already in the archive updates that record.
type Delivery struct {
	ID              string  `json:"id"`
	JobID           string  `json:"job_id"`
	StreamID        string  `json:"stream_id,omitempty"`
	ResidentID      string  `json:"resident_id"`
	Kind            Kind    `json:"kind"`
	Channel         Channel `json:"channel,omitempty"` // empty when no channel could be used
	Template        string  `json:"template,omitempty"`
	TemplateVersion string  `json:"template_version,omitempty"`
	Locale          string  `json:"locale,omitempty"`
	Variant         string  `json:"variant,omitempty"`
	Subject         string  `json:"subject,omitempty"`
	Body            string  `json:"body,omitempty"`     // plain text (email) or SMS text
	Segments        int     `json:"segments,omitempty"` // SMS parts the text took
	Encoding        string  `json:"encoding,omitempty"` // SMS encoding: GSM-7 or UCS-2
	Status          Status  `json:"status"`
	ProviderID      string  `json:"provider_message_id,omitempty"`
	Error           string  `json:"error,omitempty"`
	Attempts        int     `json:"attempts"`
	Campaign        string  `json:"campaign,omitempty"`
	// Policy is the policy decision's reason when one shaped the delivery:
	// why it was suppressed or deferred, or "urgent_bypass" when an urgent
	// message went out inside quiet hours (see PolicyReason).
	Policy    PolicyReason `json:"policy,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// QueuedAt is when the message was ready to go to the provider; SentAt
	// is when the provider took it. The gap is the wait for the channel
	// (a free SMTP connection, the SMS rate limit).
	QueuedAt *time.Time `json:"queued_at,omitempty"`
	SentAt   *time.Time `json:"sent_at,omitempty"`

	// Building and Unit are the resident's at send time (copied by the
	// dispatcher), so the archive can be searched by apartment even after
	// the resident moves or leaves the directory.
	Building string `json:"building,omitempty"`
	Unit     string `json:"unit,omitempty"`
	// Estate is the resident's estate at send time, like Building.
	Estate string `json:"estate,omitempty"`
	// Fallback says why the message is not the one the resident's profile
	// asked for, when it is not: e.g. "variant elderly: missing contact"
	// when the default variant was sent because the elderly one needed a
	// variable the job lacked. Empty when nothing fell back.
	Fallback string `json:"fallback,omitempty"`
	// Note is the follow-up action staff recorded (`outreach archive
	// note`). Record never changes it; only Store.SetNote does.
	Note string `json:"note,omitempty"`
	// ContentPurgedAt is when retention emptied Subject and Body
	// (Store.PurgeContent); nil while the content is kept. Record never
	// changes it.
	ContentPurgedAt *time.Time `json:"content_purged_at,omitempty"`
	// Events is the delivery's history, oldest first, when the caller
	// asked for it (Store.Events); Search and Walk leave it nil.
	Events []DeliveryEvent `json:"events,omitempty"`
}

// DeliveryID derives the id of the delivery of job to resident on channel.
// It is stable, so a redelivered or retried job updates the same record.
func DeliveryID(jobID, residentID string, ch Channel) string {
	h := sha256.New()
	for _, s := range []string{jobID, residentID, string(ch)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

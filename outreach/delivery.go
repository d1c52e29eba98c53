package outreach

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	// StatusSent: the provider accepted the message.
	StatusSent Status = "sent"
	// StatusDelivered: the provider confirmed delivery (callbacks).
	StatusDelivered Status = "delivered"
	// StatusRetrying: a temporary failure; the job will be retried.
	StatusRetrying Status = "retrying"
	// StatusFailed: a permanent failure; it will not be retried.
	StatusFailed Status = "failed"
)

// Statuses lists every status (to pre-initialize metrics).
var Statuses = []Status{StatusSent, StatusDelivered, StatusRetrying, StatusFailed}

// Accepted reports whether a provider has taken the message: such a delivery
// must never be sent again.
func (s Status) Accepted() bool { return s == StatusSent || s == StatusDelivered }

// Final reports whether nothing more will be attempted for the delivery.
func (s Status) Final() bool { return s.Accepted() || s == StatusFailed }

// Delivery is one archive record: one job, to one resident, on one channel.
// Recording a delivery with an ID already in the archive updates that record.
type Delivery struct {
	ID              string     `json:"id"`
	JobID           string     `json:"job_id"`
	StreamID        string     `json:"stream_id,omitempty"`
	ResidentID      string     `json:"resident_id"`
	Kind            Kind       `json:"kind"`
	Channel         Channel    `json:"channel,omitempty"` // empty when no channel could be used
	Template        string     `json:"template,omitempty"`
	TemplateVersion string     `json:"template_version,omitempty"`
	Locale          string     `json:"locale,omitempty"`
	Variant         string     `json:"variant,omitempty"`
	Subject         string     `json:"subject,omitempty"`
	Body            string     `json:"body,omitempty"` // plain text (email) or SMS text
	Status          Status     `json:"status"`
	ProviderID      string     `json:"provider_message_id,omitempty"`
	Error           string     `json:"error,omitempty"`
	Attempts        int        `json:"attempts"`
	Campaign        string     `json:"campaign,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	SentAt          *time.Time `json:"sent_at,omitempty"`
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

package outreach

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")

// ImportResult counts what an upsert of residents did.
type ImportResult struct {
	Added   int
	Updated int
}

// Filter selects archive records. Zero fields do not filter.
type Filter struct {
	JobID      string
	ResidentID string
	Kind       Kind
	Channel    Channel
	Status     Status
	Campaign   string
	Since      time.Time // CreatedAt >= Since
	Until      time.Time // CreatedAt < Until
	Limit      int       // 0 means the store's default (1000)
}

// Outcome is where one delivery of a job stands (see Store.Outcomes).
type Outcome struct {
	ResidentID string
	Channel    Channel
	Status     Status
	// Accepted: a provider took the message (see Store.Accepted).
	Accepted bool
}

// StatusUpdate is a provider's later report on a message it took, such as a
// Twilio status callback.
type StatusUpdate struct {
	ProviderID string // as in Delivery.ProviderID
	Status     Status
	// Error is the provider's reason for undelivered or failed (e.g.
	// "twilio error 30003"); it replaces the delivery's error when set.
	Error string
	At    time.Time // when the report came; zero means now
}

// Store is the resident directory and the communication archive. SQLite and
// PostgreSQL implement it with the same behaviour (see store/storetest).
type Store interface {
	// UpsertResidents inserts or replaces residents by ID, in one transaction.
	UpsertResidents(ctx context.Context, rs []Resident) (ImportResult, error)
	// Resident returns one resident; an unknown id wraps ErrNotFound.
	Resident(ctx context.Context, id string) (Resident, error)
	// Residents calls fn for each resident in the audience, ordered by id,
	// without holding them all in memory. fn's error stops the walk and is returned.
	Residents(ctx context.Context, a Audience, fn func(Resident) error) error

	// Record inserts or updates deliveries by ID, all in one transaction.
	// On update every field is replaced except CreatedAt, which keeps the
	// first value, and SentAt, which keeps its first non-nil value.
	Record(ctx context.Context, ds []Delivery) error
	// Accepted returns the ids of the residents whose delivery of jobID a
	// provider has taken, as a set: its status is Accepted() (queued, sent,
	// delivered, undelivered) or it has a SentAt (a later report may have
	// failed it, but it went out).
	Accepted(ctx context.Context, jobID string) (map[string]bool, error)
	// Outcomes lists where every delivery of jobID stands, by resident and
	// channel, in no particular order.
	Outcomes(ctx context.Context, jobID string) ([]Outcome, error)
	// UpdateStatus applies a provider's report to the delivery whose
	// ProviderID is u.ProviderID, only when it moves the status forward
	// (Status.Advances): a repeated or late report changes nothing. It
	// returns the delivery as it stands after the call and whether it
	// changed. An unknown provider id wraps ErrNotFound.
	UpdateStatus(ctx context.Context, u StatusUpdate) (Delivery, bool, error)
	// Search returns matching deliveries, newest first (CreatedAt, then ID).
	Search(ctx context.Context, f Filter) ([]Delivery, error)

	// ResidentsByPhone returns the residents whose phone is the E.164
	// number phone, ordered by id (a family may share one number).
	ResidentsByPhone(ctx context.Context, phone string) ([]Resident, error)
	// RecordReply archives a message a resident sent back. Providers repeat
	// webhooks, so a reply whose ID is archived already is left as it is;
	// the result says whether r was new.
	RecordReply(ctx context.Context, r Reply) (bool, error)
	// Replies returns archived replies, newest first (ReceivedAt, then ID).
	// Of f, ResidentID, JobID, Channel, Since, Until (on ReceivedAt) and
	// Limit apply.
	Replies(ctx context.Context, f Filter) ([]Reply, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

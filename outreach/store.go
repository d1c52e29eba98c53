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
	// Accepted returns the ids of the residents whose delivery of jobID has
	// a status that is Settled() (sent, delivered, or suppressed), as a set:
	// a redelivery of the job must not send to them again.
	Accepted(ctx context.Context, jobID string) (map[string]bool, error)
	// Search returns matching deliveries, newest first (CreatedAt, then ID).
	Search(ctx context.Context, f Filter) ([]Delivery, error)

	// CampaignStore keeps the campaigns.
	CampaignStore
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

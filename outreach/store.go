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

// ErrUnfiltered is returned when a destructive call would match everything.
var ErrUnfiltered = errors.New("refusing to act on every record: the filter is empty")

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

// Empty reports whether f selects every record (Limit aside).
func (f Filter) Empty() bool {
	f.Limit = 0
	return f == Filter{}
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
	// a status that is Accepted() (sent or delivered), as a set.
	Accepted(ctx context.Context, jobID string) (map[string]bool, error)
	// Search returns matching deliveries, newest first (CreatedAt, then ID).
	Search(ctx context.Context, f Filter) ([]Delivery, error)
	// Walk calls fn for every delivery matching f, ordered by ID, without
	// holding them all in memory (Limit is ignored). fn's error stops the
	// walk and is returned.
	Walk(ctx context.Context, f Filter, fn func(Delivery) error) error
	// DeleteDeliveries removes the deliveries matching f (Limit is ignored)
	// and says how many. A filter that selects everything is refused.
	DeleteDeliveries(ctx context.Context, f Filter) (int64, error)
	// DeleteResidents removes residents by id and says how many existed.
	DeleteResidents(ctx context.Context, ids []string) (int64, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

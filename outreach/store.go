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

// DefaultSearchLimit is the page size of Search when Filter.Limit is 0.
const DefaultSearchLimit = 1000

// Filter selects archive records. Zero fields do not filter.
type Filter struct {
	JobID      string
	DeliveryID string // one delivery (Delivery.ID)
	ResidentID string
	Estate     string
	// Estates, when set, keeps only records of these estates (an
	// estate-limited token's); it combines with Estate by AND.
	Estates  []string
	Building string
	Unit     string
	Kind     Kind
	Channel  Channel
	Status   Status
	Campaign string
	Since    time.Time // CreatedAt >= Since
	Until    time.Time // CreatedAt < Until
	Limit    int       // 0 means the store's default (DefaultSearchLimit)
	// After continues a Search after this position (the last delivery of
	// the previous page, see NextCursor): keyset pagination, as fast on
	// the thousandth page as on the first. Walk and the other calls
	// ignore it.
	After Cursor
}

// Empty reports whether f selects every record (Limit and After aside:
// the calls that refuse an empty filter ignore them).
func (f Filter) Empty() bool {
	if len(f.Estates) > 0 {
		return false
	}
	f.Limit, f.After, f.Estates = 0, Cursor{}, nil
	return f.equalZero()
}

func (f Filter) equalZero() bool {
	return f.JobID == "" && f.DeliveryID == "" && f.ResidentID == "" && f.Estate == "" &&
		f.Building == "" && f.Unit == "" && f.Kind == "" && f.Channel == "" && f.Status == "" &&
		f.Campaign == "" && f.Since.IsZero() && f.Until.IsZero()
}

// ResidentFilter selects a page of the resident directory for
// ListResidents. Audience fields combine with AND; All is ignored (an empty
// audience lists everyone).
type ResidentFilter struct {
	Audience Audience
	// Estates, when set, keeps only residents of these estates (an
	// estate-limited token's).
	Estates []string
	// After is the keyset cursor: only ids that sort after it (byte order)
	// are listed. Pass the last id of a page to get the next page.
	After string
	// Limit is the most residents returned; 0 means the store's default
	// (100). Callers facing the outside bound it (the API allows 1000).
	Limit int
}

// DeliveryCount is how many deliveries of a channel have a status
// (Store.CountDeliveries).
type DeliveryCount struct {
	Channel Channel
	Status  Status
	Count   int64
}

// ReasonCount is how many of the failures FailureReasons read have one
// error text.
type ReasonCount struct {
	Status Status // failed or undelivered
	Error  string
	Count  int64
}

// DefaultReasonSample is how many of the newest failures of each status
// FailureReasons reads when Filter.Limit is 0.
const DefaultReasonSample = 1000

// Outcome is where one delivery of a job stands (see Store.Outcomes).
type Outcome struct {
	ResidentID string
	Channel    Channel
	Status     Status
	// Accepted: a provider took the message: its status is Accepted()
	// (queued, sent, delivered, undelivered), or it has a SentAt (a later
	// report may have failed it, but it went out).
	Accepted bool
	// Rendered: the message was rendered (it has a template), so a failure
	// was the channel's, not the template's.
	Rendered bool
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
	// Every field is replaced except the opt-outs, which are consent the
	// resident gave, not profile data a sync or an import owns: the stored
	// opt-outs are kept and the given ones added. Only SetOptOut(..., false)
	// and UpdateResident remove an opt-out. Opt-outs are sets: the stores
	// keep them sorted, without repeats.
	UpsertResidents(ctx context.Context, rs []Resident) (ImportResult, error)
	// Resident returns one resident; an unknown id wraps ErrNotFound.
	Resident(ctx context.Context, id string) (Resident, error)
	// ResidentsByID returns the residents with the given ids, by id, in one
	// query: the dispatcher looks up a whole read batch at once. Unknown
	// ids are missing from the map; repeated ids are fine.
	ResidentsByID(ctx context.Context, ids []string) (map[string]Resident, error)
	// Residents calls fn for each resident in the audience, ordered by id,
	// without holding them all in memory. fn's error stops the walk and is returned.
	Residents(ctx context.Context, a Audience, fn func(Resident) error) error
	// ListResidents returns one page of the directory, ordered by id: at
	// most f.Limit residents whose id sorts after f.After. Unlike Residents
	// an empty audience lists everyone: this is browsing, not sending.
	ListResidents(ctx context.Context, f ResidentFilter) ([]Resident, error)
	// UpdateResident changes one resident atomically: it reads the
	// resident, lets fn change it, and writes it back in one transaction
	// that no other write to the resident interleaves with. fn's error
	// aborts the update and is returned (wrapped). fn must not change the
	// id and must not use the store (SQLite would deadlock); it may run
	// once. UpdatedAt is set to the time of the call. Unlike an upsert,
	// the opt-outs fn leaves are stored exactly, so fn can remove one.
	// An unknown id wraps ErrNotFound.
	UpdateResident(ctx context.Context, id string, fn func(*Resident) error) (Resident, error)
	// SetOptOut records (out) or withdraws (!out) one opt-out of a
	// resident: a channel or a kind, exactly one of them set (see
	// CheckOptOut). It is one atomic statement, so concurrent calls for
	// the same resident never lose each other's change, and idempotent:
	// setting what is already set changes nothing, not even UpdatedAt.
	// An unknown resident wraps ErrNotFound.
	SetOptOut(ctx context.Context, residentID string, channel Channel, kind Kind, out bool) error

	// Record inserts or updates deliveries by ID, all in one transaction.
	// On update every field is replaced except CreatedAt, which keeps the
	// first value, and SentAt, which keeps its first non-nil value.
	Record(ctx context.Context, ds []Delivery) error
	// Outcomes lists where every delivery of jobID stands, by resident and
	// channel, in no particular order.
	Outcomes(ctx context.Context, jobID string) ([]Outcome, error)
	// OutcomesOf is Outcomes for several jobs in one query, by job id: a
	// job without deliveries has no entry.
	OutcomesOf(ctx context.Context, jobIDs []string) (map[string][]Outcome, error)
	// UpdateStatus applies a provider's report to the delivery whose
	// ProviderID is u.ProviderID, only when it moves the status forward
	// (Status.Advances): a repeated or late report changes nothing. It
	// returns the delivery as it stands after the call and whether it
	// changed. An unknown provider id wraps ErrNotFound.
	UpdateStatus(ctx context.Context, u StatusUpdate) (Delivery, bool, error)
	// Search returns matching deliveries, newest first (CreatedAt, then
	// ID), a page of at most f.Limit starting after f.After.
	Search(ctx context.Context, f Filter) ([]Delivery, error)
	// CountDeliveries counts the deliveries matching f by channel and
	// status (Limit and After are ignored), in no particular order: the
	// console's overview. An index on (created_at, estate, channel,
	// status) serves a time range without reading the rows.
	CountDeliveries(ctx context.Context, f Filter) ([]DeliveryCount, error)
	// FailureReasons groups by error text the newest f.Limit (0:
	// DefaultReasonSample) failed and the newest f.Limit undelivered
	// deliveries matching f (f.Status and After are ignored), most frequent
	// first, then by text: what went wrong lately, read without a scan of
	// every failure of a long period.
	FailureReasons(ctx context.Context, f Filter) ([]ReasonCount, error)
	// Walk calls fn for every delivery matching f, oldest first (CreatedAt,
	// then ID), without
	// holding them all in memory (Limit is ignored). fn's error stops the
	// walk and is returned.
	Walk(ctx context.Context, f Filter, fn func(Delivery) error) error
	// Events returns the history of the deliveries with the given ids,
	// ordered by delivery id, then oldest first (Seq).
	Events(ctx context.Context, deliveryIDs ...string) ([]DeliveryEvent, error)
	// SetNote sets the follow-up note of the deliveries matching f (Limit
	// and After are ignored) and appends a `noted` event to each, in one
	// transaction; it says how many it changed. A filter that selects
	// everything is refused (ErrUnfiltered).
	SetNote(ctx context.Context, f Filter, note string) (int64, error)
	// PurgeContent empties the rendered subject and body of the
	// deliveries created before before, keeping their metadata and
	// history, and sets their ContentPurgedAt. It works in batches of
	// batch rows (one statement and transaction each), so it never holds
	// long locks, and says how many deliveries it purged. Concurrent calls
	// (two daemons) are harmless: a delivery is purged once.
	PurgeContent(ctx context.Context, before time.Time, batch int) (int64, error)
	// DeleteDeliveries removes the deliveries matching f (Limit is ignored)
	// and says how many. A filter that selects everything is refused.
	DeleteDeliveries(ctx context.Context, f Filter) (int64, error)
	// DeleteResidents removes residents by id and says how many existed.
	DeleteResidents(ctx context.Context, ids []string) (int64, error)

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

	// CampaignStore keeps the campaigns.
	CampaignStore
	// EstateStore keeps the estates.
	EstateStore
	// TokenStore keeps the API tokens.
	TokenStore
	// SurveyStore keeps the satisfaction surveys.
	SurveyStore
	// CaseStore keeps the cases (complaints, repair requests) and their
	// history.
	CaseStore
	// ConsoleStore keeps the web console's accounts, sessions and audit
	// log.
	ConsoleStore
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

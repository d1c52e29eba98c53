package outreach

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrExists is returned (wrapped) when a record to be created exists already.
var ErrExists = errors.New("already exists")

// CampaignState is where a campaign stands.
type CampaignState string

// Campaign states. A campaign starts scheduled; each occurrence is expanded
// into per-resident jobs while it is running; a one-time campaign is done
// when every job of it has an outcome in the archive, a recurring one goes
// back to scheduled until its next run. Paused holds everything (expansion
// and jobs on the stream) until resumed; cancelled is final.
const (
	CampaignScheduled CampaignState = "scheduled"
	CampaignRunning   CampaignState = "running"
	CampaignPaused    CampaignState = "paused"
	CampaignDone      CampaignState = "done"
	CampaignCancelled CampaignState = "cancelled"
)

// CampaignStates lists every state.
var CampaignStates = []CampaignState{CampaignScheduled, CampaignRunning, CampaignPaused, CampaignDone, CampaignCancelled}

// Valid reports whether s is a known state.
func (s CampaignState) Valid() bool {
	for _, v := range CampaignStates {
		if s == v {
			return true
		}
	}
	return false
}

// Schedule says when a campaign sends. At most one form is set; none means
// now.
type Schedule struct {
	// At is one moment for everyone.
	At *time.Time `json:"at,omitempty"`
	// LocalTime ("09:00") on the date On ("2027-02-17") is one moment per
	// resident: that wall-clock time in the resident's own time zone.
	LocalTime string `json:"local_time,omitempty"`
	On        string `json:"on,omitempty"`
	// Every is a cron expression (robfig/cron syntax: five fields or a
	// descriptor such as @monthly, optionally prefixed by CRON_TZ=Zone);
	// without a zone it is read in the daemon's OUTREACH_TIMEZONE.
	Every string `json:"every,omitempty"`
}

// Recurring reports whether the schedule repeats.
func (s Schedule) Recurring() bool { return s.Every != "" }

// Local reports whether the schedule is a wall-clock time per resident.
func (s Schedule) Local() bool { return s.LocalTime != "" }

// Campaign is a planned communication to an audience: one job per resident
// per occurrence.
type Campaign struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Kind     Kind           `json:"kind"`
	Template string         `json:"template,omitempty"`
	Audience Audience       `json:"audience"`
	Channels []Channel      `json:"channels,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	// Priority of the campaign's jobs; empty means bulk.
	Priority Priority      `json:"priority,omitempty"`
	Schedule Schedule      `json:"schedule"`
	State    CampaignState `json:"state"`

	// NextRun is when the next occurrence is due (for a LocalTime schedule:
	// when the first time zone reaches it); nil when there is none.
	NextRun *time.Time `json:"next_run,omitempty"`
	// Occurrence names the occurrence being expanded ("" when none) and
	// Cursor the id of the last resident whose job is on the stream, so an
	// interrupted expansion resumes after it.
	Occurrence string `json:"occurrence,omitempty"`
	Cursor     string `json:"cursor,omitempty"`
	// Targeted counts the per-resident jobs put on the stream, over all
	// occurrences; Runs the occurrences fully expanded.
	Targeted  int64      `json:"targeted"`
	Runs      int        `json:"runs"`
	LastRunAt *time.Time `json:"last_run_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// EffectivePriority is the priority of the campaign's jobs: bulk unless set.
func (c Campaign) EffectivePriority() Priority {
	if c.Priority == "" {
		return PriorityBulk
	}
	return c.Priority
}

// Validate checks what the domain can check alone; the schedule's syntax
// (cron, times) is checked where it is computed (package campaign).
func (c Campaign) Validate() error {
	switch {
	case c.ID == "":
		return errors.New("campaign has no id")
	case len(c.ID) > 64:
		return errors.New("campaign id is longer than 64 characters")
	case c.Name == "":
		return errors.New("campaign has no name")
	case !c.Kind.Valid():
		return fmt.Errorf("unknown kind %q (want one of %s)", c.Kind, joinKinds())
	case c.Audience.Empty():
		return errors.New(`audience selects nobody; use "all" for everyone`)
	case !c.Priority.Valid():
		return fmt.Errorf("unknown priority %q (want urgent, normal or bulk)", c.Priority)
	case !c.State.Valid():
		return fmt.Errorf("unknown state %q", c.State)
	}
	forms := 0
	for _, set := range []bool{c.Schedule.At != nil, c.Schedule.LocalTime != "" || c.Schedule.On != "", c.Schedule.Every != ""} {
		if set {
			forms++
		}
	}
	if forms > 1 {
		return errors.New("give one of: a time (at), a local time and date (local_time and on), or a cron expression (every)")
	}
	if (c.Schedule.LocalTime == "") != (c.Schedule.On == "") {
		return errors.New("local_time and on go together")
	}
	for _, ch := range c.Channels {
		if !ch.Valid() {
			return fmt.Errorf("unknown channel %q (want email or sms)", ch)
		}
	}
	return nil
}

// CampaignCounts are what became of a campaign's jobs: Targeted from the
// campaign, the others from the archive (deliveries by status), Queued the
// jobs with no outcome archived yet (on the stream, delayed or held).
type CampaignCounts struct {
	Targeted   int64 `json:"targeted"`
	Queued     int64 `json:"queued"`
	Sent       int64 `json:"sent"`
	Delivered  int64 `json:"delivered"`
	Failed     int64 `json:"failed"`
	Suppressed int64 `json:"suppressed"`
	Deferred   int64 `json:"deferred"`
	Retrying   int64 `json:"retrying"`
}

// CountCampaign fills counts from the archive's number of deliveries by
// status and the campaign's targeted jobs.
func CountCampaign(targeted int64, byStatus map[Status]int64) CampaignCounts {
	c := CampaignCounts{
		Targeted:   targeted,
		Sent:       byStatus[StatusSent],
		Delivered:  byStatus[StatusDelivered],
		Failed:     byStatus[StatusFailed],
		Suppressed: byStatus[StatusSuppressed],
		Deferred:   byStatus[StatusDeferred],
		Retrying:   byStatus[StatusRetrying],
	}
	c.Queued = max(0, targeted-c.Archived())
	return c
}

// Archived is the number of deliveries with an outcome in the archive.
func (c CampaignCounts) Archived() int64 {
	return c.Sent + c.Delivered + c.Failed + c.Suppressed + c.Deferred + c.Retrying
}

// Finished is the number of deliveries with a final outcome.
func (c CampaignCounts) Finished() int64 {
	return c.Sent + c.Delivered + c.Failed + c.Suppressed
}

// CampaignStore keeps campaigns. SQLite and PostgreSQL implement it with
// the same behaviour (see store/storetest).
type CampaignStore interface {
	// CreateCampaign stores a new campaign; an id in use wraps ErrExists.
	CreateCampaign(ctx context.Context, c Campaign) error
	// Campaign returns one campaign; an unknown id wraps ErrNotFound.
	Campaign(ctx context.Context, id string) (Campaign, error)
	// Campaigns lists campaigns, newest first (CreatedAt, then ID).
	Campaigns(ctx context.Context) ([]Campaign, error)
	// DueCampaigns lists the campaigns whose next occurrence is due at now:
	// scheduled or running, with NextRun at or before now, oldest due first.
	DueCampaigns(ctx context.Context, now time.Time) ([]Campaign, error)
	// UpdateCampaign changes one campaign atomically: it reads it, lets fn
	// change it, and writes it back in one transaction that no other update
	// of the campaign interleaves with. fn's error aborts the update and is
	// returned (wrapped); fn must not use the store and must not change the
	// id or CreatedAt. UpdatedAt is set to the time of the call. An unknown
	// id wraps ErrNotFound.
	UpdateCampaign(ctx context.Context, id string, fn func(*Campaign) error) (Campaign, error)
	// CampaignStatusCounts counts the archive's deliveries of a campaign
	// (Delivery.Campaign == id) by status.
	CampaignStatusCounts(ctx context.Context, id string) (map[Status]int64, error)
}

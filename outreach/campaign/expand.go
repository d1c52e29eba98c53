package campaign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
)

// Expander turns one occurrence of a campaign into one job per resident of
// its audience, on the stream (the lane of the campaign's priority, bulk by
// default).
//
// Exactly one daemon expands an occurrence: the Expander takes a lease in
// Redis for the campaign and renews it with every batch; a daemon that dies
// loses it after LeaseTTL and another one takes over. The walk over the
// audience reads the directory a page of BatchSize residents at a time
// (keyset on id) and adds their jobs in one pipeline; after each batch the
// campaign's cursor (the last resident id) and its targeted count are
// stored in one update, so an expansion that is interrupted resumes right
// after the cursor and holds only one batch in memory.
// Job ids are derived from (campaign, occurrence, resident): a batch that
// was added but not yet noted in the cursor is added again on resume, and
// the copies are deduplicated by job id like any job enqueued twice.
type Expander struct {
	Store    outreach.Store
	Producer *queue.Producer
	// Consumer takes the leases (its name identifies this daemon).
	Consumer *queue.Consumer
	// Zones resolves residents' time zones for local-time campaigns.
	Zones   *policy.Zones
	Metrics *metrics.Metrics // optional
	Logger  *slog.Logger
	// BatchSize is how many jobs go to Redis in one pipeline (default 1000).
	BatchSize int
	// LeaseTTL is how long a dead daemon's expansion blocks the others
	// (default 30s).
	LeaseTTL time.Duration
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
}

// firstPage is the size of an occurrence's first page of residents.
const firstPage = 50

var (
	errNotDue    = errors.New("campaign not due")
	errStale     = errors.New("occurrence changed under the expansion")
	errLeaseLost = errors.New("lease lost to another daemon")
)

func (x *Expander) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

func (x *Expander) logger() *slog.Logger { return cmp.Or(x.Logger, slog.New(slog.DiscardHandler)) }

// Expand expands the due occurrence of campaign id, or continues its
// interrupted expansion, and reports whether it did (false when the
// campaign is not due or another daemon holds the lease). It stops early,
// keeping its cursor, when the campaign is paused or cancelled meanwhile.
func (x *Expander) Expand(ctx context.Context, id string) (bool, error) {
	lease := "campaign:" + id
	ttl := cmp.Or(x.LeaseTTL, 30*time.Second)
	ok, err := x.Consumer.Lease(ctx, lease, ttl)
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		if err := x.Consumer.ReleaseLease(context.WithoutCancel(ctx), lease); err != nil {
			x.logger().Warn("release campaign lease failed; it expires by itself", "campaign", id, "err", err)
		}
	}()

	now := x.now()
	c, err := x.Store.UpdateCampaign(ctx, id, func(c *outreach.Campaign) error {
		if (c.State != outreach.CampaignScheduled && c.State != outreach.CampaignRunning) || c.NextRun == nil || c.NextRun.After(now) {
			return errNotDue
		}
		if c.Occurrence == "" {
			c.Occurrence, c.Cursor = occurrenceKey(*c.NextRun), ""
		}
		c.State = outreach.CampaignRunning
		return nil
	})
	if errors.Is(err, errNotDue) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start expanding campaign: %w", err)
	}
	log := x.logger().With("campaign", id, "occurrence", c.Occurrence)
	if c.Cursor == "" {
		log.Info("expanding campaign")
	} else {
		log.Info("resuming campaign expansion", "after_resident", c.Cursor, "targeted", c.Targeted)
	}

	stopped, err := x.walk(ctx, c, lease, ttl)
	if err != nil || stopped {
		return true, err
	}
	if err := x.finish(ctx, c, now); err != nil {
		return true, err
	}
	log.Info("campaign occurrence expanded")
	return true, nil
}

// walk enqueues the jobs of the residents after c.Cursor, a page of the
// directory (keyset on id, BatchSize residents) at a time. stopped is true
// when the campaign was paused or cancelled meanwhile.
func (x *Expander) walk(ctx context.Context, c outreach.Campaign, lease string, ttl time.Duration) (stopped bool, err error) {
	size := cmp.Or(x.BatchSize, 1000)
	batch := make([]outreach.Job, 0, size)
	after := c.Cursor
	// The first page of an occurrence is small, so that its first jobs are
	// on the stream (and being sent) while the rest is read: a campaign
	// started now reaches its first residents within milliseconds.
	limit := min(size, firstPage)
	for {
		page, err := x.Store.ListResidents(ctx, outreach.ResidentFilter{Audience: c.Audience, After: after, Limit: limit})
		if err != nil {
			return false, fmt.Errorf("expand campaign %s: %w", c.ID, err)
		}
		if len(page) == 0 {
			return false, nil
		}
		batch = batch[:0]
		for _, r := range page {
			batch = append(batch, x.job(c, r))
		}
		goOn, err := x.flush(ctx, c, lease, ttl, batch)
		if err != nil {
			return false, fmt.Errorf("expand campaign %s: %w", c.ID, err)
		}
		if !goOn {
			x.logger().Info("campaign paused or cancelled; expansion stops", "campaign", c.ID)
			return true, nil
		}
		if len(page) < limit {
			return false, nil
		}
		after, limit = page[len(page)-1].ID, size
	}
}

// flush puts one batch of jobs on the stream in one pipeline and notes the
// progress (cursor and targeted count) in the campaign, after renewing the
// lease. goOn is false when the campaign is no longer running.
func (x *Expander) flush(ctx context.Context, c outreach.Campaign, lease string, ttl time.Duration, batch []outreach.Job) (goOn bool, err error) {
	if held, err := x.Consumer.Lease(ctx, lease, ttl); err != nil {
		return false, err
	} else if !held {
		return false, errLeaseLost
	}
	if _, err := x.Producer.EnqueueBatch(ctx, batch); err != nil {
		return false, fmt.Errorf("enqueue campaign jobs: %w", err)
	}
	last, n := batch[len(batch)-1].ResidentID, int64(len(batch))
	_, err = x.Store.UpdateCampaign(ctx, c.ID, func(cc *outreach.Campaign) error {
		if cc.Occurrence != c.Occurrence {
			return errStale
		}
		cc.Cursor, cc.Targeted = last, cc.Targeted+n
		goOn = cc.State == outreach.CampaignRunning
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("note campaign progress: %w", err)
	}
	if x.Metrics != nil {
		x.Metrics.CampaignJobs.Add(float64(n))
	}
	return goOn, nil
}

// job is the campaign's job for resident r in the current occurrence.
func (x *Expander) job(c outreach.Campaign, r outreach.Resident) outreach.Job {
	j := outreach.Job{
		ID:         JobID(c.ID, c.Occurrence, r.ID),
		Kind:       c.Kind,
		ResidentID: r.ID,
		Data:       c.Data,
		Template:   c.Template,
		Channels:   c.Channels,
		Priority:   c.EffectivePriority(),
		Campaign:   c.ID,
	}
	if c.Schedule.Local() {
		zone := time.UTC
		if x.Zones != nil {
			zone, _ = x.Zones.Get(r.TimeZone) // an unknown zone is the default; the policy stage logs it
		}
		if at, err := localTime(c.Schedule, zone); err == nil {
			at = at.UTC()
			j.SendAt = &at
		}
	}
	return j
}

// JobID is the id of campaign's job for resident in occurrence.
func JobID(campaignID, occurrence, residentID string) string {
	return outreach.BoundJobID("campaign:" + campaignID + ":" + occurrence + ":" + residentID)
}

// finish closes the occurrence: the next run of a recurring campaign, or
// none (the campaign stays running until its jobs have gone out).
func (x *Expander) finish(ctx context.Context, c outreach.Campaign, now time.Time) error {
	var zone *time.Location
	if x.Zones != nil {
		zone = x.Zones.Default()
	}
	_, err := x.Store.UpdateCampaign(ctx, c.ID, func(cc *outreach.Campaign) error {
		if cc.Occurrence != c.Occurrence {
			return errStale
		}
		next, err := nextRun(cc.Schedule, *cc.NextRun, now, cmp.Or(zone, time.UTC))
		if err != nil {
			return err
		}
		cc.Occurrence, cc.Cursor, cc.NextRun = "", "", next
		cc.Runs++
		cc.LastRunAt = &now
		if next != nil && cc.State == outreach.CampaignRunning {
			cc.State = outreach.CampaignScheduled
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish campaign occurrence: %w", err)
	}
	if x.Metrics != nil {
		x.Metrics.CampaignRuns.Inc()
	}
	return nil
}

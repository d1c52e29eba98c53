package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// ErrInvalid marks a campaign that cannot be created as given (the HTTP API
// answers 400).
var ErrInvalid = errors.New("invalid campaign")

// ErrState marks a change that the campaign's state does not allow, such as
// resuming a cancelled campaign (the HTTP API answers 409).
var ErrState = errors.New("not possible in the campaign's state")

// ErrStale marks a change asked for on a campaign as it was (Steer's
// seen state) that has changed since: the scheduler started it, or
// someone else paused, resumed or cancelled it. Nothing is changed.
var ErrStale = errors.New("the campaign changed meanwhile")

// Service creates, lists, shows and steers campaigns. The CLI and the HTTP
// API both use it; it needs only the store (the daemons' schedulers act on
// what it writes).
type Service struct {
	Store outreach.Store
	// Zone is the default time zone (OUTREACH_TIMEZONE): cron expressions
	// without CRON_TZ are read in it.
	Zone *time.Location
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
	// Changed, when set, is called after a campaign was created or
	// resumed (the daemon wakes its scheduler with it).
	Changed func()
}

func (s *Service) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) zone() *time.Location {
	if s.Zone != nil {
		return s.Zone
	}
	return time.UTC
}

// Check checks spec as Create would, without storing anything: the
// console's create flow checks each step with it. Errors wrap ErrInvalid.
func (s *Service) Check(spec outreach.Campaign) error {
	_, err := s.prepare(spec)
	return err
}

// prepare is the campaign Create stores for spec: checked, with its id
// and first run.
func (s *Service) prepare(spec outreach.Campaign) (outreach.Campaign, error) {
	now := s.now()
	c := outreach.Campaign{
		ID: newID(spec.Name), Name: strings.TrimSpace(spec.Name), Kind: spec.Kind, Template: spec.Template,
		Audience: spec.Audience, Channels: spec.Channels, Data: spec.Data, Priority: spec.Priority,
		Schedule: spec.Schedule, State: outreach.CampaignScheduled, CreatedAt: now,
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := checkSchedule(c.Schedule, s.zone()); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	first, err := firstRun(c.Schedule, now, s.zone())
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c.NextRun = &first
	return c, nil
}

// Create checks spec and stores it as a new scheduled campaign with a fresh
// id (derived from its name) and its first run. Spec's ID, State and
// progress fields are ignored. Errors about spec wrap ErrInvalid.
func (s *Service) Create(ctx context.Context, spec outreach.Campaign) (outreach.Campaign, error) {
	c, err := s.prepare(spec)
	if err != nil {
		return c, err
	}
	if err := s.Store.CreateCampaign(ctx, c); err != nil {
		return c, fmt.Errorf("create campaign: %w", err)
	}
	s.changed()
	return s.Store.Campaign(ctx, c.ID)
}

// View is a campaign with what became of its jobs, as `campaign show`
// prints it.
type View struct {
	outreach.Campaign
	Counts outreach.CampaignCounts `json:"counts"`
}

// Show returns the campaign with its counts; an unknown id wraps
// outreach.ErrNotFound.
func (s *Service) Show(ctx context.Context, id string) (View, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return View{}, err
	}
	byStatus, err := s.Store.CampaignStatusCounts(ctx, id)
	if err != nil {
		return View{}, err
	}
	return View{Campaign: c, Counts: outreach.CountCampaign(c.Targeted, byStatus)}, nil
}

// List returns every campaign, newest first.
func (s *Service) List(ctx context.Context) ([]outreach.Campaign, error) {
	return s.Store.Campaigns(ctx)
}

// Pause holds a scheduled or running campaign: no occurrence is expanded
// and its jobs already on the stream are held until Resume. Pausing a
// paused campaign changes nothing.
func (s *Service) Pause(ctx context.Context, id string) (outreach.Campaign, error) {
	return s.Steer(ctx, id, OpPause, "")
}

// Op is a change of a campaign's state: pause, resume or cancel.
type Op string

// The changes Steer makes.
const (
	OpPause  Op = "pause"
	OpResume Op = "resume"
	OpCancel Op = "cancel"
)

// Ops lists them.
var Ops = []Op{OpPause, OpResume, OpCancel}

// Steer pauses, resumes or cancels a campaign (as Pause, Resume and Cancel
// do), in the same transaction checking that the campaign is still in the
// state seen (a form shown earlier): if it is not, nothing changes and the
// error wraps ErrStale. An empty seen skips the check. The state is the
// version compared, not UpdatedAt, which every batch of an expansion
// moves: a campaign being expanded would otherwise never be paused.
func (s *Service) Steer(ctx context.Context, id string, op Op, seen outreach.CampaignState) (outreach.Campaign, error) {
	var fn func(*outreach.Campaign) error
	switch op {
	case OpPause:
		fn = pause
	case OpResume:
		fn = resume
	case OpCancel:
		fn = cancel
	default:
		return outreach.Campaign{}, fmt.Errorf("%w: unknown change %q (want pause, resume or cancel)", ErrInvalid, op)
	}
	c, err := s.Store.UpdateCampaign(ctx, id, func(c *outreach.Campaign) error {
		if seen != "" && c.State != seen {
			return fmt.Errorf("%w: it is %s, not %s", ErrStale, c.State, seen)
		}
		if err := fn(c); err != nil {
			return fmt.Errorf("%w: cannot %s: %w", ErrState, op, err)
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("%s campaign %q: %w", op, id, err)
	}
	if op == OpResume {
		s.changed()
	}
	return c, nil
}

func pause(c *outreach.Campaign) error {
	switch c.State {
	case outreach.CampaignScheduled, outreach.CampaignRunning:
		c.State = outreach.CampaignPaused
	case outreach.CampaignPaused:
	default:
		return fmt.Errorf("campaign is %s", c.State)
	}
	return nil
}

// Resume continues a paused campaign where it stopped: an interrupted
// expansion goes on from its cursor, held jobs are released. Resuming a
// campaign that is not paused changes nothing.
func (s *Service) Resume(ctx context.Context, id string) (outreach.Campaign, error) {
	return s.Steer(ctx, id, OpResume, "")
}

func resume(c *outreach.Campaign) error {
	switch c.State {
	case outreach.CampaignPaused:
		c.State = resumedState(*c)
	case outreach.CampaignScheduled, outreach.CampaignRunning:
	default:
		return fmt.Errorf("campaign is %s", c.State)
	}
	return nil
}

// resumedState is where a paused campaign goes back to: running when an
// occurrence was being expanded, or when the last one is expanded and its
// jobs are going out; scheduled when it waits for its next run (which runs
// at once if it came while the campaign was paused).
func resumedState(c outreach.Campaign) outreach.CampaignState {
	if c.Occurrence != "" || c.NextRun == nil {
		return outreach.CampaignRunning
	}
	return outreach.CampaignScheduled
}

// Cancel stops a campaign for good: nothing more is expanded, and its jobs
// not yet sent are suppressed (archived as such) when they come up.
// Cancelling a cancelled campaign changes nothing.
func (s *Service) Cancel(ctx context.Context, id string) (outreach.Campaign, error) {
	return s.Steer(ctx, id, OpCancel, "")
}

func cancel(c *outreach.Campaign) error {
	switch c.State {
	case outreach.CampaignScheduled, outreach.CampaignRunning, outreach.CampaignPaused:
		c.State, c.NextRun = outreach.CampaignCancelled, nil
	case outreach.CampaignCancelled:
	default:
		return fmt.Errorf("campaign is %s", c.State)
	}
	return nil
}

// newID derives a campaign id from its name: the name's ASCII letters and
// digits in lower case, dashes for the rest, then a random suffix, e.g.
// "spring-festival-2027-3f9a1c". A name without ASCII gives "campaign-...".
func newID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	slug := b.String()
	if slug == "" {
		slug = "campaign"
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return slug + "-" + hex.EncodeToString(suffix)
}

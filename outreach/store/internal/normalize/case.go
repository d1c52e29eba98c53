package normalize

import (
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Case checks a case as every store writes it and puts its times in
// canonical form; UpdatedAt becomes now.
func Case(c outreach.Case, now time.Time) (outreach.Case, error) {
	for _, f := range []field{
		{"id", c.ID}, {"estate", c.Estate}, {"resident_id", c.ResidentID}, {"building", c.Building},
		{"unit", c.Unit}, {"description", c.Description}, {"assignee", c.Assignee}, {"resolution", c.Resolution},
		{"opened_by", c.OpenedBy}, {"survey_job", c.SurveyJob}, {"idempotency_key", c.IdempotencyKey},
	} {
		if err := checkText(f.value); err != nil {
			return c, fmt.Errorf("case %q: %s: %w", c.ID, f.name, err)
		}
	}
	if c.Urgency == "" {
		c.Urgency = outreach.UrgencyNormal
	}
	switch {
	case c.ID == "":
		return c, errors.New("case: empty id")
	case c.Estate == "":
		return c, fmt.Errorf("case %q: empty estate", c.ID)
	case !c.Category.Valid():
		return c, fmt.Errorf("case %q: unknown category %q", c.ID, c.Category)
	case !c.Urgency.Valid():
		return c, fmt.Errorf("case %q: unknown urgency %q", c.ID, c.Urgency)
	case !c.Received.Valid():
		return c, fmt.Errorf("case %q: unknown source %q", c.ID, c.Received)
	case !c.State.Valid():
		return c, fmt.Errorf("case %q: unknown state %q", c.ID, c.State)
	case len(c.Description) > outreach.MaxCaseDescription || len(c.Resolution) > outreach.MaxCaseDescription:
		return c, fmt.Errorf("case %q: description or resolution longer than %d bytes", c.ID, outreach.MaxCaseDescription)
	case c.OpenedAt.IsZero():
		return c, fmt.Errorf("case %q: opened_at is required", c.ID)
	case c.Reopened < 0:
		return c, fmt.Errorf("case %q: reopened %d", c.ID, c.Reopened)
	}
	c.OpenedAt, c.UpdatedAt = Time(c.OpenedAt), Time(now)
	for _, t := range []**time.Time{&c.AcknowledgedAt, &c.RespondedAt, &c.ResolvedAt, &c.FollowedUpAt, &c.ClosedAt} {
		if *t != nil {
			v := Time(**t)
			*t = &v
		}
	}
	timers := make([]outreach.CaseTimer, len(c.Timers))
	for i, t := range c.Timers {
		if t.Stage == "" || t.Due.IsZero() {
			return c, fmt.Errorf("case %q: timer %d needs a stage and a due time", c.ID, i)
		}
		t.Due = Time(t.Due)
		for _, p := range []**time.Time{&t.MetAt, &t.FiredAt} {
			if *p != nil {
				v := Time(**p)
				*p = &v
			}
		}
		timers[i] = t
	}
	if len(timers) == 0 {
		timers = nil
	}
	c.Timers = timers
	return c, nil
}

// CaseMissed is the number of limits the case missed in its current
// round while it is still open (the stores keep it for the overdue filter).
func CaseMissed(c outreach.Case) int {
	if !c.Open() {
		return 0
	}
	n := 0
	for _, t := range c.Timers {
		if t.Round == c.Reopened && t.Missed() {
			n++
		}
	}
	return n
}

// CaseEvents checks the events a call appends.
func CaseEvents(id string, es []outreach.CaseEvent, now time.Time) ([]outreach.CaseEvent, error) {
	out := make([]outreach.CaseEvent, len(es))
	for i, e := range es {
		if e.Event == "" {
			return nil, fmt.Errorf("case %q: event %d has no kind", id, i)
		}
		if err := checkText(e.Detail); err != nil {
			return nil, fmt.Errorf("case %q: event %s: %w", id, e.Event, err)
		}
		if err := checkText(e.Actor); err != nil {
			return nil, fmt.Errorf("case %q: event %s: actor: %w", id, e.Event, err)
		}
		if e.At.IsZero() {
			e.At = now
		}
		if e.Actor == "" {
			e.Actor = outreach.ActorSystem
		}
		e.CaseID, e.At = id, Time(e.At)
		out[i] = e
	}
	return out, nil
}

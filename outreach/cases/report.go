package cases

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Report is the cases report over the cases opened in a window: per
// estate and category, and in total.
type Report struct {
	Since time.Time   `json:"since,omitzero"`
	Until time.Time   `json:"until,omitzero"`
	Rows  []ReportRow `json:"rows"`
	Total ReportRow   `json:"total"`
}

// ReportRow is one estate and category (the total has neither).
type ReportRow struct {
	Estate   string                `json:"estate,omitempty"`
	Category outreach.CaseCategory `json:"category,omitempty"`
	// Opened counts the cases opened in the window; Open those still
	// needing work (open, acknowledged, in progress, reopened); Overdue
	// the open ones past a limit of their current round.
	Opened  int `json:"opened"`
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	// Resolved counts the cases resolved (and on); WithinLimit the share
	// of them that missed none of their limits (0 when none resolved).
	Resolved    int     `json:"resolved"`
	WithinLimit float64 `json:"within_limit"`
	// LimitMisses counts the limits missed, every round.
	LimitMisses int `json:"limit_misses"`
	// MedianAcknowledge and MedianResolve are the median times from
	// opening to acknowledgment and to resolution, in seconds, over the
	// cases that got there (0 when none did).
	MedianAcknowledge float64 `json:"median_acknowledge_seconds"`
	MedianResolve     float64 `json:"median_resolve_seconds"`

	ack, res []time.Duration
	within   int
}

// Report reads the cases f selects (OpenedSince and OpenedUntil are the
// window) and sums them up.
func (s *Service) Report(ctx context.Context, f outreach.CaseFilter) (Report, error) {
	f.Limit = 0
	list, err := s.Store.Cases(ctx, f)
	if err != nil {
		return Report{}, fmt.Errorf("cases report: %w", err)
	}
	return Summarize(list, s.now(), f.OpenedSince, f.OpenedUntil), nil
}

// Summarize sums cases up as of now.
func Summarize(list []outreach.Case, now, since, until time.Time) Report {
	rows := map[[2]string]*ReportRow{}
	total := &ReportRow{}
	for _, c := range list {
		key := [2]string{c.Estate, string(c.Category)}
		row := rows[key]
		if row == nil {
			row = &ReportRow{Estate: c.Estate, Category: c.Category}
			rows[key] = row
		}
		for _, r := range []*ReportRow{row, total} {
			r.add(c, now)
		}
	}
	rep := Report{Since: since, Until: until, Rows: []ReportRow{}}
	for _, r := range rows {
		r.finish()
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		return cmp.Or(cmp.Compare(a.Estate, b.Estate), cmp.Compare(slices.Index(outreach.CaseCategories, a.Category), slices.Index(outreach.CaseCategories, b.Category)))
	})
	total.finish()
	rep.Total = *total
	return rep
}

func (r *ReportRow) add(c outreach.Case, now time.Time) {
	r.Opened++
	misses := c.Misses()
	r.LimitMisses += misses
	if c.Open() {
		r.Open++
		for _, t := range c.Timers {
			if t.Round == c.Reopened && (t.Missed() || t.Stage != outreach.StageFollowUp && t.Pending() && !t.Due.After(now)) {
				r.Overdue++
				break
			}
		}
	}
	if c.AcknowledgedAt != nil {
		r.ack = append(r.ack, c.AcknowledgedAt.Sub(c.OpenedAt))
	}
	if c.ResolvedAt != nil {
		r.Resolved++
		r.res = append(r.res, c.ResolvedAt.Sub(c.OpenedAt))
		if misses == 0 {
			r.within++
		}
	}
}

func (r *ReportRow) finish() {
	r.MedianAcknowledge, r.MedianResolve = median(r.ack).Seconds(), median(r.res).Seconds()
	if r.Resolved > 0 {
		r.WithinLimit = float64(r.within) / float64(r.Resolved)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

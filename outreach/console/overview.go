package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/survey"
	"github.com/outreach-dev/outreach/queue"
)

// QueueStats reads the queue's gauges (a *queue.Consumer).
type QueueStats interface {
	Stats(ctx context.Context) (queue.Stats, error)
}

// overviewView is the overview page: what was sent today and this week,
// what failed and why, the queue, the campaigns and the satisfaction.
type overviewView struct {
	Today, Week sendTable
	WeekStart   time.Time
	Reasons     []outreach.ReasonCount
	// Queue is nil without a queue (or when it did not answer: QueueErr).
	Queue    *queue.Stats
	QueueErr bool
	// Running and Next are the campaigns running and the next scheduled.
	Running, Next []outreach.Campaign
	// Dead counts the newest deadSample dead letters by reason (users of
	// every estate only, as the dead-letter page).
	Dead         []reasonTally
	DeadErr      bool
	Satisfaction survey.Report
	SinceDays    int
	// Overdue are the most overdue of the user's cases (missed a limit
	// and still needing work), OverdueCount how many there are (at most
	// overdueCap; OverdueMore: more than that).
	Overdue      []overdueCase
	OverdueCount int
	OverdueMore  bool
}

// overdueCase is an overdue case and when the first limit of its round
// that it missed was due.
type overdueCase struct {
	C     outreach.Case
	Since time.Time
}

// sendTable is a period's deliveries by channel (rows) and status
// (columns, in outreach.Statuses order).
type sendTable struct {
	Statuses []outreach.Status
	Rows     []sendRow
	Total    sendRow
}

type sendRow struct {
	Channel outreach.Channel
	Counts  []int64 // by Statuses
	All     int64
}

func newSendTable(counts []outreach.DeliveryCount) sendTable {
	t := sendTable{Statuses: outreach.Statuses, Total: sendRow{Counts: make([]int64, len(outreach.Statuses))}}
	index := map[outreach.Channel]int{}
	for _, c := range counts {
		i, ok := index[c.Channel]
		if !ok {
			i = len(t.Rows)
			index[c.Channel] = i
			t.Rows = append(t.Rows, sendRow{Channel: c.Channel, Counts: make([]int64, len(outreach.Statuses))})
		}
		j := slices.Index(outreach.Statuses, c.Status)
		if j < 0 {
			continue
		}
		t.Rows[i].Counts[j] += c.Count
		t.Rows[i].All += c.Count
		t.Total.Counts[j] += c.Count
		t.Total.All += c.Count
	}
	slices.SortFunc(t.Rows, func(a, b sendRow) int { return cmp.Compare(a.Channel, b.Channel) })
	return t
}

// reasonTally is how many dead letters have a reason.
type reasonTally struct {
	Reason outreach.Reason
	Count  int
}

// deadSample is how many of the newest dead letters the overview reads.
const deadSample = 200

// overviewReasons is how many failure reasons the overview lists, and
// satisfactionDays the period of its satisfaction rates.
const (
	overviewReasons  = 10
	satisfactionDays = 30
)

// overviewOverdue is how many overdue cases the overview lists (the most
// overdue first), overdueCap how many it counts.
const (
	overviewOverdue = 5
	overdueCap      = 1000
)

// overdueCases are the most overdue of the cases f selects, and how many
// there are (up to overdueCap; more: there are more).
func (c *Console) overdueCases(ctx context.Context, estates []string) (top []overdueCase, n int, more bool, err error) {
	list, err := c.cases().List(ctx, outreach.CaseFilter{Estates: estates, States: openStates, Overdue: true, Limit: overdueCap + 1})
	if err != nil {
		return nil, 0, false, err
	}
	if more = len(list) > overdueCap; more {
		list = list[:overdueCap]
	}
	for _, cs := range list {
		oc := overdueCase{C: cs}
		for _, t := range cs.Timers {
			if t.Round == cs.Reopened && t.Missed() && (oc.Since.IsZero() || t.Due.Before(oc.Since)) {
				oc.Since = t.Due
			}
		}
		top = append(top, oc)
	}
	slices.SortStableFunc(top, func(a, b overdueCase) int { return a.Since.Compare(b.Since) })
	return top[:min(len(top), overviewOverdue)], len(list), more, nil
}

// startOfDay is midnight of t's day in zone; startOfWeek the Monday's.
func startOfDay(t time.Time, zone *time.Location) time.Time {
	y, m, d := t.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, zone)
}

func startOfWeek(t time.Time, zone *time.Location) time.Time {
	day := startOfDay(t, zone)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back)
}

// overviewPage is the first page: every figure limited to the user's
// estates in the store (Filter.Estates); the queue's gauges belong to no
// estate and are shown to users of every estate only.
func overviewPage(c *Console, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := sessionOf(r).User
	limit := limitOf(r)
	now := c.now()
	today, week := startOfDay(now, c.cfg.TimeZone), startOfWeek(now, c.cfg.TimeZone)
	v := overviewView{WeekStart: week, SinceDays: satisfactionDays}

	counts, err := c.cfg.Store.CountDeliveries(ctx, outreach.Filter{Estates: limit, Since: today})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Today = newSendTable(counts)
	if counts, err = c.cfg.Store.CountDeliveries(ctx, outreach.Filter{Estates: limit, Since: week}); err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Week = newSendTable(counts)
	reasons, err := c.cfg.Store.FailureReasons(ctx, outreach.Filter{Estates: limit, Since: week})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Reasons = reasons[:min(len(reasons), overviewReasons)]

	if c.cfg.Queue != nil && !u.Limited() {
		s, err := c.cfg.Queue.Stats(ctx)
		if err != nil {
			// The page is still useful without the queue: say so, log it.
			c.cfg.Logger.Warn("console: queue stats", "err", err)
			v.QueueErr = true
		} else {
			v.Queue = &s
		}
	}

	if c.cfg.DeadLetters != nil && !u.Limited() {
		dead, err := c.cfg.DeadLetters.DeadLetters(ctx, "", deadSample)
		if err != nil {
			c.cfg.Logger.Warn("console: dead letters", "err", err)
			v.DeadErr = true
		}
		tally := map[outreach.Reason]int{}
		for _, d := range dead {
			if tally[d.Reason] == 0 {
				v.Dead = append(v.Dead, reasonTally{Reason: d.Reason})
			}
			tally[d.Reason]++
		}
		for i := range v.Dead {
			v.Dead[i].Count = tally[v.Dead[i].Reason]
		}
		slices.SortStableFunc(v.Dead, func(a, b reasonTally) int { return cmp.Compare(b.Count, a.Count) })
	}

	campaigns, err := c.cfg.Store.Campaigns(ctx)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	for _, cp := range campaigns {
		if !seesAudience(r, cp.Audience) {
			continue
		}
		switch cp.State {
		case outreach.CampaignRunning:
			v.Running = append(v.Running, cp)
		case outreach.CampaignScheduled:
			if cp.NextRun != nil {
				v.Next = append(v.Next, cp)
			}
		}
	}
	slices.SortFunc(v.Next, func(a, b outreach.Campaign) int { return a.NextRun.Compare(*b.NextRun) })
	v.Next = v.Next[:min(len(v.Next), 5)]

	rep, err := survey.BuildReport(ctx, c.cfg.Store, survey.ReportOptions{Estates: limit, Since: now.AddDate(0, 0, -satisfactionDays), By: survey.ByEstate}, now)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Satisfaction = rep
	if v.Overdue, v.OverdueCount, v.OverdueMore, err = c.overdueCases(ctx, limit); err != nil {
		c.serverError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "overview", "overview.title", v)
}

// percent is a rate as a percentage for the pages ("83%").
func percent(rate float64) int { return int(rate*100 + 0.5) }

package sqlq

import (
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Statement is one SQL statement and its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// CountStatements are the statements of Store.CountDeliveries for f
// (normalized): each yields rows of (channel, status, count), and their
// sum by channel and status is the count of the deliveries matching f.
//
// A filter of estates, channel, status and time only is answered from
// the stored counts of migration 17 (d.HourCounts, by hour in UTC,
// estate, channel and status; in PostgreSQL the compacted rows and the
// deltas of migration 18, summed in the same statement): the whole hours of the range
// from there, the part-hours at its ends (a day that starts at :30 in
// UTC) counted from the rows. Any other filter (a building, a kind, a
// campaign, a resident) counts the rows.
func CountStatements(d Dialect, f outreach.Filter) []Statement {
	rows := func(f outreach.Filter) Statement {
		q := New(d)
		q.Deliveries(f)
		return Statement{"SELECT channel, status, count(*) FROM deliveries" + q.Where() + " GROUP BY channel, status", q.Args}
	}
	if !countsAnswer(f) {
		return []Statement{rows(f)}
	}
	from, to := f.Since, f.Until // the whole hours: [from, to)
	if !from.IsZero() {
		if from = from.Truncate(time.Hour); from.Before(f.Since) {
			from = from.Add(time.Hour)
		}
	}
	if !to.IsZero() {
		to = to.Truncate(time.Hour)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return []Statement{rows(f)} // less than one whole hour
	}
	q := New(d)
	q.Eq("estate", f.Estate)
	q.In("estate", f.Estates)
	q.Eq("channel", string(f.Channel))
	q.Eq("status", string(f.Status))
	if !from.IsZero() {
		q.Cond("hour >= " + q.Arg(Hour(from)))
	}
	if !to.IsZero() {
		q.Cond("hour < " + q.Arg(Hour(to)))
	}
	out := []Statement{{"SELECT channel, status, sum(n) FROM " + d.HourCounts + q.Where() +
		" GROUP BY channel, status HAVING sum(n) <> 0", q.Args}}
	if !from.Equal(f.Since) {
		head := f
		head.Until = from
		out = append(out, rows(head))
	}
	if !to.Equal(f.Until) {
		tail := f
		tail.Since = to
		out = append(out, rows(tail))
	}
	return out
}

// countsAnswer reports whether the stored counts can answer a count of
// the deliveries matching f: it filters on nothing but estates, channel,
// status and time (Limit and After do not filter a count).
func countsAnswer(f outreach.Filter) bool {
	return f.JobID == "" && f.DeliveryID == "" && f.ResidentID == "" && f.Building == "" &&
		f.Unit == "" && f.Kind == "" && f.Campaign == ""
}

// Hour is the key of t's hour in delivery_hour_counts: hours since the
// Unix epoch, in UTC (SQL: delivery_hour(created_at) in PostgreSQL,
// created_at / 3600000000 in SQLite).
func Hour(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s%3600 < 0 {
		h--
	}
	return h
}

package sqlq

import (
	"fmt"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
)

// Deliveries adds the conditions of an archive filter f on deliveries
// (f normalized; After and Limit are the caller's). With a narrower
// column (one resident's, job's, delivery's, building's or campaign's
// deliveries), the estate list is spelled with NoIndex: SQLite would
// otherwise read the estate index (all of the estate's deliveries, newest
// first) instead of that column's, 200 ms against 1 ms for a resident's
// page on a million rows (console BenchmarkPages).
func (q *Query) Deliveries(f outreach.Filter) {
	for _, eq := range []struct{ column, value string }{
		{"job_id", f.JobID}, {"id", f.DeliveryID}, {"resident_id", f.ResidentID},
		{"estate", f.Estate}, {"building", f.Building}, {"unit", f.Unit}, {"kind", string(f.Kind)},
		{"channel", string(f.Channel)}, {"status", string(f.Status)}, {"campaign", f.Campaign},
	} {
		q.Eq(eq.column, eq.value)
	}
	if f.Status != "" && q.d.RareStatus != "" && !slices.Contains(CommonStatuses, f.Status) {
		q.Cond(q.d.RareStatus)
	}
	estate := "estate"
	if f.ResidentID != "" || f.JobID != "" || f.DeliveryID != "" || f.Building != "" || f.Campaign != "" {
		estate = q.d.NoIndex(estate)
	}
	q.In(estate, f.Estates)
	q.Range("created_at", f.Since, f.Until)
}

// CommonStatuses are the statuses most deliveries have. PostgreSQL's
// status index leaves them out (Dialect.RareStatus): a search for one of
// them walks the time index instead, whose entries carry the status.
var CommonStatuses = []outreach.Status{outreach.StatusQueued, outreach.StatusSent, outreach.StatusDelivered}

// Replies adds the conditions of an archive filter f on replies (the
// fields a reply has: resident, job, channel, estate, time received).
func (q *Query) Replies(f outreach.Filter) {
	q.Eq("resident_id", f.ResidentID)
	q.Eq("job_id", f.JobID)
	q.Eq("channel", string(f.Channel))
	q.Eq("estate", f.Estate)
	q.In("estate", f.Estates)
	q.Range("received_at", f.Since, f.Until)
}

// Audience adds the conditions of an audience on residents, limited to
// estates when there are any. All is not a condition: an empty audience
// is every resident.
func (q *Query) Audience(a outreach.Audience, estates []string) {
	q.Eq("estate", a.Estate)
	q.Eq("building", a.Building)
	q.Eq("unit", a.Unit)
	q.Eq("locale", a.Locale)
	q.In("estate", estates)
	if len(a.Tags) > 0 {
		q.Cond(q.d.HasTags(q, a.Tags))
	}
}

// Surveys adds the conditions of a survey filter (Limit is the caller's).
func (q *Query) Surveys(f outreach.SurveyFilter) {
	q.In("resident_id", f.ResidentIDs)
	q.In("estate", f.Estates)
	q.Eq("building", f.Building)
	q.Eq("service", f.Service)
	q.Eq("job_id", f.JobID)
	q.Eq("state", string(f.State))
	q.Range("sent_at", f.SentSince, f.SentUntil)
	if f.CallbackOpen {
		q.Cond("callback_due IS NOT NULL AND called_back_at IS NULL")
	}
}

// SearchDeliveries is the statement of Store.Search for f (normalized):
// columns of the deliveries matching f, newest first (created_at, then
// id, both descending), after the keyset cursor f.After, at most f.Limit.
func SearchDeliveries(d Dialect, columns string, f outreach.Filter) (string, []any) {
	q := New(d)
	q.Deliveries(f)
	if !f.After.IsZero() {
		q.Cond("(created_at, id) < (" + q.Time(f.After.CreatedAt) + ", " + q.Arg(f.After.ID) + ")")
	}
	return "SELECT " + columns + " FROM deliveries" + q.Where() +
		" ORDER BY created_at DESC, id DESC LIMIT " + q.Arg(f.Limit), q.Args
}

// WalkDeliveries is the statement for a page of Store.Walk: at most limit
// deliveries matching f (normalized) after the position after (zero: from
// the start), oldest first (created_at, then id). Every filter's index
// ends in (created_at, id), so each page reads its rows in index order.
func WalkDeliveries(d Dialect, columns string, f outreach.Filter, after outreach.Cursor, limit int) (string, []any) {
	q := New(d)
	q.Deliveries(f)
	if !after.IsZero() {
		q.Cond("(created_at, id) > (" + q.Time(after.CreatedAt) + ", " + q.Arg(after.ID) + ")")
	}
	return "SELECT " + columns + " FROM deliveries" + q.Where() + " ORDER BY created_at, id LIMIT " + q.Arg(limit), q.Args
}

// SearchReplies is the statement of Store.Replies for f (normalized):
// newest first, at most f.Limit.
func SearchReplies(d Dialect, columns string, f outreach.Filter) (string, []any) {
	q := New(d)
	q.Replies(f)
	return "SELECT " + columns + " FROM replies" + q.Where() +
		" ORDER BY received_at DESC, id DESC LIMIT " + q.Arg(f.Limit), q.Args
}

// ResidentPage is the statement for a page of at most limit residents in
// a, limited to estates when there are any, ordered by id. Its first
// argument, for the caller to set (args[0] = after), is the id after
// which the page starts.
func ResidentPage(d Dialect, columns string, a outreach.Audience, limit int, estates []string) (string, []any) {
	q := New(d)
	q.Cond("id > " + q.Arg(""))
	q.Audience(a, estates)
	return "SELECT " + columns + " FROM residents" + q.Where() + fmt.Sprintf(" ORDER BY id LIMIT %d", limit), q.Args
}

// SearchSurveys is the statement of Store.Surveys for f: newest first
// (sent_at, then id), at most f.Limit when it is above 0.
func SearchSurveys(d Dialect, columns string, f outreach.SurveyFilter) (string, []any) {
	q := New(d)
	q.Surveys(f)
	query := "SELECT " + columns + " FROM surveys" + q.Where() + " ORDER BY sent_at DESC, id DESC"
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return query, q.Args
}

// Cases adds the conditions of a case filter (Limit is the caller's).
func (q *Query) Cases(f outreach.CaseFilter) {
	q.In("estate", f.Estates)
	states := make([]string, len(f.States))
	for i, st := range f.States {
		states[i] = string(st)
	}
	q.In("state", states)
	q.Eq("resident_id", f.ResidentID)
	q.Eq("category", string(f.Category))
	q.Eq("assignee", f.Assignee)
	if f.Overdue {
		q.Cond("missed > 0")
	}
	q.Range("opened_at", f.OpenedSince, f.OpenedUntil)
}

// SearchCases is the statement of Store.Cases for f: newest first
// (opened_at, then id), at most f.Limit when it is above 0.
func SearchCases(d Dialect, columns string, f outreach.CaseFilter) (string, []any) {
	q := New(d)
	q.Cases(f)
	query := "SELECT " + columns + " FROM cases" + q.Where() + " ORDER BY opened_at DESC, id DESC"
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return query, q.Args
}

// CountDeliveries is the statement of Store.CountDeliveries for f
// (normalized): the matching deliveries counted by channel and status.
func CountDeliveries(d Dialect, f outreach.Filter) (string, []any) {
	q := New(d)
	q.Deliveries(f)
	return "SELECT channel, status, count(*) FROM deliveries" + q.Where() + " GROUP BY channel, status", q.Args
}

// FailureReasons is one status's statement of Store.FailureReasons for f
// (normalized, its Status set): the errors of the newest f.Limit matching
// deliveries, counted.
func FailureReasons(d Dialect, f outreach.Filter) (string, []any) {
	q := New(d)
	q.Deliveries(f)
	return "SELECT error, count(*) FROM (SELECT error FROM deliveries" + q.Where() +
		" ORDER BY created_at DESC, id DESC LIMIT " + q.Arg(f.Limit) + ") AS newest GROUP BY error", q.Args
}

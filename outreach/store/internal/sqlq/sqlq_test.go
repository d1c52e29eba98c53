package sqlq_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

var (
	since = time.Date(2026, 1, 1, 0, 0, 0, 1500, time.UTC) // 1.5 µs: truncated to 1 µs
	until = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

// TestSearchDeliveries pins the statement for a filter that uses every
// field, in both dialects: the conditions in the same order, placeholders
// and arguments in step, times as each store holds them.
func TestSearchDeliveries(t *testing.T) {
	f := outreach.Filter{
		JobID: "j", ResidentID: "r", Status: outreach.StatusSent,
		Estates: []string{"e1", "e2"}, Since: since, Until: until, Limit: 50,
		After: outreach.Cursor{CreatedAt: until, ID: "d9"},
	}
	for _, tc := range []struct {
		name  string
		d     sqlq.Dialect
		query string
		args  []any
	}{
		{"sqlite", sqlq.SQLite,
			"SELECT c FROM deliveries WHERE job_id = ? AND resident_id = ? AND status = ? AND +estate IN (?, ?)" +
				" AND created_at >= ? AND created_at < ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?",
			[]any{"j", "r", "sent", "e1", "e2", since.UnixMicro(), until.UnixMicro(), until.UnixMicro(), "d9", 50}},
		{"postgres", sqlq.PostgreSQL,
			"SELECT c FROM deliveries WHERE job_id = $1 AND resident_id = $2 AND status = $3 AND estate = ANY($4::text[])" +
				" AND created_at >= $5 AND created_at < $6 AND (created_at, id) < ($7, $8) ORDER BY created_at DESC, id DESC LIMIT $9",
			[]any{"j", "r", "sent", []string{"e1", "e2"}, since.Truncate(time.Microsecond), until, until, "d9", 50}},
	} {
		query, args := sqlq.SearchDeliveries(tc.d, "c", f)
		if query != tc.query {
			t.Errorf("%s: query\n%s\nwant\n%s", tc.name, query, tc.query)
		}
		if !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%s: args %#v, want %#v", tc.name, args, tc.args)
		}
	}
}

// TestEstateIndexHint: the unary + (SQLite's "not this index") only with a
// narrower column beside the estate list.
func TestEstateIndexHint(t *testing.T) {
	only := outreach.Filter{Estates: []string{"e"}, Limit: 1}
	if q, _ := sqlq.SearchDeliveries(sqlq.SQLite, "c", only); q != "SELECT c FROM deliveries WHERE estate IN (?) ORDER BY created_at DESC, id DESC LIMIT ?" {
		t.Errorf("estates alone: %s", q)
	}
	for _, f := range []outreach.Filter{
		{ResidentID: "r"}, {JobID: "j"}, {DeliveryID: "d"}, {Building: "b"}, {Campaign: "c"},
	} {
		f.Estates = []string{"e"}
		q := sqlq.New(sqlq.SQLite)
		q.Deliveries(f)
		if got := q.Where(); got[len(got)-len("+estate IN (?)"):] != "+estate IN (?)" {
			t.Errorf("%+v: %s, want +estate", f, got)
		}
	}
}

func TestEmptyFilter(t *testing.T) {
	for _, d := range []sqlq.Dialect{sqlq.SQLite, sqlq.PostgreSQL} {
		q := sqlq.New(d)
		q.Deliveries(outreach.Filter{})
		q.Replies(outreach.Filter{})
		q.Audience(outreach.Audience{}, nil)
		q.Surveys(outreach.SurveyFilter{})
		q.Cases(outreach.CaseFilter{})
		if q.Where() != "" || len(q.Args) != 0 {
			t.Errorf("empty filters gave %q %v", q.Where(), q.Args)
		}
	}
}

func TestResidentPage(t *testing.T) {
	a := outreach.Audience{Building: "b", Tags: []string{"elderly", "new"}}
	query, args := sqlq.ResidentPage(sqlq.SQLite, "c", a, 10, []string{"e"})
	want := "SELECT c FROM residents WHERE id > ? AND building = ? AND estate IN (?)" +
		" AND EXISTS (SELECT 1 FROM json_each(residents.tags) WHERE json_each.value = ?)" +
		" AND EXISTS (SELECT 1 FROM json_each(residents.tags) WHERE json_each.value = ?) ORDER BY id LIMIT 10"
	if query != want || !reflect.DeepEqual(args, []any{"", "b", "e", "elderly", "new"}) {
		t.Errorf("sqlite:\n%s %v\nwant\n%s", query, args, want)
	}
	query, args = sqlq.ResidentPage(sqlq.PostgreSQL, "c", a, 10, []string{"e"})
	want = "SELECT c FROM residents WHERE id > $1 AND building = $2 AND estate = ANY($3::text[]) AND tags @> $4::text[] ORDER BY id LIMIT 10"
	if query != want || !reflect.DeepEqual(args, []any{"", "b", []string{"e"}, []string{"elderly", "new"}}) {
		t.Errorf("postgres:\n%s %v\nwant\n%s", query, args, want)
	}
}

func TestSearchSurveysAndCases(t *testing.T) {
	query, args := sqlq.SearchSurveys(sqlq.PostgreSQL, "c", outreach.SurveyFilter{
		ResidentIDs: []string{"r"}, State: "open", SentSince: since, CallbackOpen: true, Limit: 5,
	})
	if want := "SELECT c FROM surveys WHERE resident_id = ANY($1::text[]) AND state = $2 AND sent_at >= $3" +
		" AND callback_due IS NOT NULL AND called_back_at IS NULL ORDER BY sent_at DESC, id DESC LIMIT 5"; query != want || len(args) != 3 {
		t.Errorf("surveys:\n%s %v\nwant\n%s", query, args, want)
	}
	query, args = sqlq.SearchCases(sqlq.SQLite, "c", outreach.CaseFilter{
		States: []outreach.CaseState{"open", "acknowledged"}, Overdue: true, OpenedUntil: until,
	})
	if want := "SELECT c FROM cases WHERE state IN (?, ?) AND missed > 0 AND opened_at < ? ORDER BY opened_at DESC, id DESC"; query != want ||
		!reflect.DeepEqual(args, []any{"open", "acknowledged", until.UnixMicro()}) {
		t.Errorf("cases:\n%s %v\nwant\n%s", query, args, want)
	}
}

func TestCountsAndReasons(t *testing.T) {
	f := outreach.Filter{Since: until, Status: outreach.StatusFailed, Limit: 200}
	query, args := sqlq.CountDeliveries(sqlq.SQLite, outreach.Filter{Since: until})
	if want := "SELECT channel, status, count(*) FROM deliveries WHERE created_at >= ? GROUP BY channel, status"; query != want ||
		!reflect.DeepEqual(args, []any{until.UnixMicro()}) {
		t.Errorf("counts:\n%s %v\nwant\n%s", query, args, want)
	}
	query, args = sqlq.FailureReasons(sqlq.PostgreSQL, f)
	if want := "SELECT error, count(*) FROM (SELECT error FROM deliveries WHERE status = $1 AND status NOT IN ('queued', 'sent', 'delivered') AND created_at >= $2" +
		" ORDER BY created_at DESC, id DESC LIMIT $3) AS newest GROUP BY error"; query != want ||
		!reflect.DeepEqual(args, []any{"failed", until, 200}) {
		t.Errorf("reasons:\n%s %v\nwant\n%s", query, args, want)
	}
}

// TestRareStatus: in PostgreSQL a filter on a status outside
// CommonStatuses carries the partial index's condition; on a common one,
// and in SQLite, it does not.
func TestRareStatus(t *testing.T) {
	const cond = "status NOT IN ('queued', 'sent', 'delivered')"
	for _, tc := range []struct {
		d      sqlq.Dialect
		status outreach.Status
		want   bool
	}{
		{sqlq.PostgreSQL, outreach.StatusFailed, true},
		{sqlq.PostgreSQL, outreach.StatusSuppressed, true},
		{sqlq.PostgreSQL, outreach.StatusSent, false},
		{sqlq.PostgreSQL, outreach.StatusDelivered, false},
		{sqlq.PostgreSQL, "", false},
		{sqlq.SQLite, outreach.StatusFailed, false},
	} {
		q := sqlq.New(tc.d)
		q.Deliveries(outreach.Filter{Status: tc.status})
		if got := strings.Contains(q.Where(), cond); got != tc.want {
			t.Errorf("status %q: %s; want the partial index's condition: %v", tc.status, q.Where(), tc.want)
		}
	}
}

// Package sqlq builds the WHERE clauses of both stores' filtered queries
// (the archive's Filter, replies, audiences and resident lists, surveys)
// from one description, over a Dialect that says how SQLite and PostgreSQL
// differ: placeholders (? or $n), how a time is held (integer microseconds
// or timestamptz), membership in a list (IN (?, ...) or = ANY($n)), tags
// (json_each or an array's @>), and how to keep the planner off an index.
//
// The static statements are not here: each store keeps its own, written
// out in its package next to the method that runs them (docs/design.md,
// "SQL", says why).
package sqlq

import (
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// Dialect is what differs between the stores' SQL.
type Dialect struct {
	// Placeholder is the placeholder of the n-th argument, from 1.
	Placeholder func(n int) string
	// Time is t as the store's time columns hold it, in canonical form.
	Time func(t time.Time) any
	// In is the condition "column is one of values" (len(values) > 0).
	In func(q *Query, column string, values []string) string
	// HasTags is the condition "the resident has every one of tags"
	// (len(tags) > 0).
	HasTags func(q *Query, tags []string) string
	// NoIndex is column spelled so that the planner does not pick an index
	// on it, for a condition that narrows little next to another.
	NoIndex func(column string) string
	// RareStatus, when not "", is the condition of a partial index on
	// deliveries' status that lists only the statuses outside
	// CommonStatuses, spelled as the index spells it; a filter on such a
	// status adds it, so that the planner can prove the index holds every
	// match (a bound parameter alone proves nothing).
	RareStatus string
	// HourCounts is the table expression of the stored counts by hour,
	// estate, channel and status (migration 17), named
	// delivery_hour_counts: rows of (hour, estate, channel, status, n)
	// whose sum of n by key is the count of the key.
	HourCounts string
}

// SQLite: ? placeholders, times as integer microseconds since the Unix
// epoch, tags a JSON array; a unary + keeps SQLite's planner off an index.
var SQLite = Dialect{
	Placeholder: func(int) string { return "?" },
	Time:        func(t time.Time) any { return normalize.Time(t).UnixMicro() },
	In: func(q *Query, column string, values []string) string {
		ps := make([]string, len(values))
		for i, v := range values {
			ps[i] = q.Arg(v)
		}
		return column + " IN (" + strings.Join(ps, ", ") + ")"
	},
	HasTags: func(q *Query, tags []string) string {
		conds := make([]string, len(tags))
		for i, t := range tags {
			conds[i] = "EXISTS (SELECT 1 FROM json_each(residents.tags) WHERE json_each.value = " + q.Arg(t) + ")"
		}
		return strings.Join(conds, " AND ")
	},
	NoIndex:    func(column string) string { return "+" + column },
	HourCounts: "delivery_hour_counts", // kept by row triggers: one row per key
}

// PostgreSQL: $n placeholders, timestamptz, text[] arrays (the gin index
// on residents.tags serves @>). Its planner weighs indexes by statistics,
// so NoIndex leaves the column as it is.
var PostgreSQL = Dialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	Time:        func(t time.Time) any { return normalize.Time(t) },
	In: func(q *Query, column string, values []string) string {
		return column + " = ANY(" + q.Arg(values) + "::text[])"
	},
	HasTags: func(q *Query, tags []string) string {
		return "tags @> " + q.Arg(tags) + "::text[]"
	},
	NoIndex:    func(column string) string { return column },
	RareStatus: "status NOT IN ('queued', 'sent', 'delivered')", // deliveries_status_created, migration 15
	// The compacted rows and the deltas not yet folded (migration 18).
	HourCounts: `(SELECT hour, estate, channel, status, n FROM delivery_hour_counts
		UNION ALL SELECT hour, estate, channel, status, n FROM delivery_hour_count_deltas) delivery_hour_counts`,
}

// Query collects the conditions of a WHERE clause and the arguments of a
// statement, in the order they appear in its text.
type Query struct {
	d     Dialect
	conds []string
	Args  []any
}

// New starts a query in dialect d.
func New(d Dialect) *Query { return &Query{d: d} }

// Arg adds an argument and returns its placeholder. Call it in the order
// the placeholders appear in the statement (? counts by position).
func (q *Query) Arg(v any) string {
	q.Args = append(q.Args, v)
	return q.d.Placeholder(len(q.Args))
}

// Time adds t as an argument, as the dialect holds times.
func (q *Query) Time(t time.Time) string { return q.Arg(q.d.Time(t)) }

// Cond adds a condition as written.
func (q *Query) Cond(cond string) { q.conds = append(q.conds, cond) }

// Eq adds "column = value" unless value is empty (empty filters nothing).
func (q *Query) Eq(column, value string) {
	if value != "" {
		q.Cond(column + " = " + q.Arg(value))
	}
}

// In adds "column is one of values" unless values is empty.
func (q *Query) In(column string, values []string) {
	if len(values) > 0 {
		q.Cond(q.d.In(q, column, values))
	}
}

// Range adds since <= column < until, each bound unless it is zero.
func (q *Query) Range(column string, since, until time.Time) {
	if !since.IsZero() {
		q.Cond(column + " >= " + q.Time(since))
	}
	if !until.IsZero() {
		q.Cond(column + " < " + q.Time(until))
	}
}

// Where is " WHERE c1 AND c2 ...", or "" without conditions.
func (q *Query) Where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + q.And()
}

// And is the conditions joined with AND (for a statement that always has one).
func (q *Query) And() string { return strings.Join(q.conds, " AND ") }

package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// residentsByID reads the residents with the ids in $1, probing the
// primary key once per id (a nested loop over unnest; OFFSET 0 keeps the
// lateral subquery from being flattened into a join the planner may hash).
// Not "id = ANY($1)": a prepared statement's generic plan cannot tell how
// long the array is, and on a small or never analyzed residents table it
// chose a sequential scan that compared every resident with every id of
// the batch (64 x 1000 text comparisons a read batch in `outreach bench`,
// a third of its backends' CPU); a cached generic plan also outlives the
// table's growth until the next ANALYZE. Per id, the cost does not depend
// on the size of the directory.
const residentsByID = `SELECT r.* FROM unnest($1::text[]) AS u(id)
	CROSS JOIN LATERAL (SELECT ` + residentColumns + ` FROM residents WHERE residents.id = u.id OFFSET 0) r`

// ResidentsByID returns the residents with the given ids, in one query.
func (s *Store) ResidentsByID(ctx context.Context, ids []string) (map[string]outreach.Resident, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if normalize.ValidText(id) {
			valid = append(valid, id)
		}
	}
	out := make(map[string]outreach.Resident, len(valid))
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, residentsByID, valid)
	if err != nil {
		return nil, fmt.Errorf("get %d residents: %w", len(valid), err)
	}
	rs, err := pgx.CollectRows(rows, scanResident)
	if err != nil {
		return nil, fmt.Errorf("get %d residents: %w", len(valid), err)
	}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out, nil
}

// outcomesOf reads the outcomes of the deliveries of the jobs in $1 (no
// id twice), probing deliveries_job_id once per id, as residentsByID does
// the residents' key and for the same reason. Not "job_id = ANY($1)":
// pgx prepares the statement once per connection and, after five runs,
// PostgreSQL keeps a generic plan made for the table as it was then. A
// daemon starting on an empty archive got a sequential scan, and kept it
// while the archive grew, so that every read batch read every delivery:
// in `outreach bench` (30,000 jobs) 333 scans read 4.4 million rows, a
// quarter of the PostgreSQL backends' CPU. Without statistics (a new
// table, or autovacuum off) even a plan made for each batch chose the
// scan, taking 0.5% of the rows per id. A lateral probe per id costs the
// same on any size of table.
const outcomesOf = `SELECT d.* FROM unnest($1::text[]) AS u(id)
	CROSS JOIN LATERAL (SELECT job_id, resident_id, channel, status, sent_at IS NOT NULL, template <> ''
		FROM deliveries WHERE deliveries.job_id = u.id OFFSET 0) d`

// OutcomesOf lists where every delivery of each of jobIDs stands, in one query.
func (s *Store) OutcomesOf(ctx context.Context, jobIDs []string) (map[string][]outreach.Outcome, error) {
	out := make(map[string][]outreach.Outcome)
	if len(jobIDs) == 0 {
		return out, nil
	}
	ids := slices.Compact(slices.Sorted(slices.Values(jobIDs))) // each once
	rows, err := s.pool.Query(ctx, outcomesOf, ids)
	if err != nil {
		return nil, fmt.Errorf("list outcomes of %d jobs: %w", len(jobIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			job  string
			o    outreach.Outcome
			sent bool
		)
		if err := rows.Scan(&job, &o.ResidentID, &o.Channel, &o.Status, &sent, &o.Rendered); err != nil {
			return nil, fmt.Errorf("list outcomes of %d jobs: %w", len(jobIDs), err)
		}
		o.Accepted = sent || o.Status.Accepted()
		out[job] = append(out[job], o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outcomes of %d jobs: %w", len(jobIDs), err)
	}
	return out, nil
}

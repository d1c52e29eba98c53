package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

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
	rows, err := s.pool.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = ANY($1)`, valid)
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

// OutcomesOf lists where every delivery of each of jobIDs stands, in one query.
func (s *Store) OutcomesOf(ctx context.Context, jobIDs []string) (map[string][]outreach.Outcome, error) {
	out := make(map[string][]outreach.Outcome)
	if len(jobIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT job_id, resident_id, channel, status, sent_at IS NOT NULL, template <> ''
		FROM deliveries WHERE job_id = ANY($1)`, jobIDs)
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

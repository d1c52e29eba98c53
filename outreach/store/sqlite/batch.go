package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// batchParams bounds the ids of one IN (...) list, well below SQLite's
// limit on host parameters.
const batchParams = 500

// ResidentsByID returns the residents with the given ids, in one query per
// 500 ids.
func (s *Store) ResidentsByID(ctx context.Context, ids []string) (map[string]outreach.Resident, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if normalize.ValidText(id) {
			valid = append(valid, id)
		}
	}
	out := make(map[string]outreach.Resident, len(valid))
	for chunk := range chunks(valid) {
		if err := s.residentsIn(ctx, chunk, out); err != nil {
			return nil, fmt.Errorf("get %d residents: %w", len(valid), err)
		}
	}
	return out, nil
}

func (s *Store) residentsIn(ctx context.Context, ids []string, out map[string]outreach.Resident) error {
	rows, err := s.read.QueryContext(ctx, `SELECT `+residentColumns+` FROM residents WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return err
		}
		out[r.ID] = r
	}
	return rows.Err()
}

// OutcomesOf lists where every delivery of each of jobIDs stands, in one
// query per 500 jobs.
func (s *Store) OutcomesOf(ctx context.Context, jobIDs []string) (map[string][]outreach.Outcome, error) {
	out := make(map[string][]outreach.Outcome)
	ids := slices.Compact(slices.Sorted(slices.Values(jobIDs))) // each once, though in two chunks
	for chunk := range chunks(ids) {
		if err := s.outcomesIn(ctx, chunk, out); err != nil {
			return nil, fmt.Errorf("list outcomes of %d jobs: %w", len(jobIDs), err)
		}
	}
	return out, nil
}

func (s *Store) outcomesIn(ctx context.Context, jobIDs []string, out map[string][]outreach.Outcome) error {
	rows, err := s.read.QueryContext(ctx, `SELECT job_id, resident_id, channel, status, sent_at IS NOT NULL, template <> ''
		FROM deliveries WHERE job_id IN (`+placeholders(len(jobIDs))+`)`, anys(jobIDs)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			job  string
			o    outreach.Outcome
			sent bool
		)
		if err := rows.Scan(&job, &o.ResidentID, &o.Channel, &o.Status, &sent, &o.Rendered); err != nil {
			return err
		}
		o.Accepted = sent || o.Status.Accepted()
		out[job] = append(out[job], o)
	}
	return rows.Err()
}

// chunks yields ids in slices of at most batchParams; none for no ids.
func chunks(ids []string) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(ids) > 0 {
			n := min(len(ids), batchParams)
			if !yield(ids[:n]) {
				return
			}
			ids = ids[n:]
		}
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

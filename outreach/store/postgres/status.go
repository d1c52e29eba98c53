package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// Outcomes lists where every delivery of jobID stands.
func (s *Store) Outcomes(ctx context.Context, jobID string) ([]outreach.Outcome, error) {
	rows, err := s.pool.Query(ctx, `SELECT resident_id, channel, status, sent_at IS NOT NULL, template <> ''
		FROM deliveries WHERE job_id = $1`, jobID)
	if err != nil {
		return nil, fmt.Errorf("list outcomes of job %q: %w", jobID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.Outcome, error) {
		var o outreach.Outcome
		var sent bool
		if err := row.Scan(&o.ResidentID, &o.Channel, &o.Status, &sent, &o.Rendered); err != nil {
			return o, err
		}
		o.Accepted = sent || o.Status.Accepted()
		return o, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list outcomes of job %q: %w", jobID, err)
	}
	return out, nil
}

// updateStatus moves the deliveries with a provider id to a status of a
// later stage, and keeps them where they are otherwise.
var updateStatus = `UPDATE deliveries SET status = $1,
		error = CASE WHEN $2::text <> '' THEN $2::text ELSE error END, updated_at = $3
	WHERE provider_id = $4 AND ` + normalize.StageSQL("status") + ` < $5`

// UpdateStatus applies a provider's report when it moves the delivery
// forward; the update and the read of the result share one transaction.
// Concurrent reports for one message serialize on the row lock, and each
// re-checks the stage of the status the other committed.
func (s *Store) UpdateStatus(ctx context.Context, u outreach.StatusUpdate) (outreach.Delivery, bool, error) {
	u, err := normalize.StatusUpdate(u, s.now())
	if err != nil {
		return outreach.Delivery{}, false, err
	}
	var (
		d       outreach.Delivery
		changed bool
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, updateStatus, string(u.Status), u.Error, u.At, u.ProviderID, u.Status.Stage())
		if err != nil {
			return err
		}
		changed = tag.RowsAffected() > 0
		d, err = scanDeliveryRow(tx.QueryRow(ctx, `SELECT `+selectColumns+` FROM deliveries
			WHERE provider_id = $1 ORDER BY id LIMIT 1`, u.ProviderID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: provider id %q: %w", u.ProviderID, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: %w", err)
	}
	return d, changed, nil
}

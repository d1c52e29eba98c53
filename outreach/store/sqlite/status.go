package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// Outcomes lists where every delivery of jobID stands.
func (s *Store) Outcomes(ctx context.Context, jobID string) ([]outreach.Outcome, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT resident_id, channel, status, sent_at IS NOT NULL, template <> ''
		FROM deliveries WHERE job_id = ?`, jobID)
	if err != nil {
		return nil, fmt.Errorf("list outcomes of job %q: %w", jobID, err)
	}
	defer rows.Close()
	var out []outreach.Outcome
	for rows.Next() {
		var o outreach.Outcome
		var sent bool
		if err := rows.Scan(&o.ResidentID, &o.Channel, &o.Status, &sent, &o.Rendered); err != nil {
			return nil, fmt.Errorf("list outcomes of job %q: %w", jobID, err)
		}
		o.Accepted = sent || o.Status.Accepted()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outcomes of job %q: %w", jobID, err)
	}
	return out, nil
}

// updateStatus moves the deliveries with a provider id to a status of a
// later stage, and keeps them where they are otherwise.
var updateStatus = `UPDATE deliveries SET status = ?,
		error = CASE WHEN ? <> '' THEN ? ELSE error END, updated_at = ?
	WHERE provider_id = ? AND ` + normalize.StageSQL("status") + ` < ?`

// UpdateStatus applies a provider's report when it moves the delivery
// forward; the update and the read of the result share one transaction.
func (s *Store) UpdateStatus(ctx context.Context, u outreach.StatusUpdate) (_ outreach.Delivery, changed bool, err error) {
	u, err = normalize.StatusUpdate(u, s.now())
	if err != nil {
		return outreach.Delivery{}, false, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	res, err := tx.ExecContext(ctx, updateStatus, string(u.Status), u.Error, u.Error, micros(u.At),
		u.ProviderID, u.Status.Stage())
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: %w", err)
	}
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+selectColumns+` FROM deliveries
		WHERE provider_id = ? ORDER BY id LIMIT 1`, u.ProviderID))
	if errors.Is(err, sql.ErrNoRows) {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: provider id %q: %w", u.ProviderID, outreach.ErrNotFound)
	}
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: read back: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("update delivery status: commit: %w", err)
	}
	return d, n > 0, nil
}

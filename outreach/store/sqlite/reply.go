package sqlite

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

const replyColumns = `id, channel, from_addr, resident_id, delivery_id, job_id, body, action, received_at, estate`

// ResidentsByPhone returns the residents with phone, ordered by id.
func (s *Store) ResidentsByPhone(ctx context.Context, phone string) ([]outreach.Resident, error) {
	if phone == "" {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+residentColumns+` FROM residents WHERE phone = ? ORDER BY id`, phone)
	if err != nil {
		return nil, fmt.Errorf("find residents by phone: %w", err)
	}
	defer rows.Close()
	var out []outreach.Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return nil, fmt.Errorf("find residents by phone: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find residents by phone: %w", err)
	}
	return out, nil
}

// RecordReply archives r unless a reply with its id is archived already.
func (s *Store) RecordReply(ctx context.Context, r outreach.Reply) (bool, error) {
	r, err := normalize.Reply(r, s.now())
	if err != nil {
		return false, fmt.Errorf("record reply: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("record reply %q: %w", r.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO replies (`+replyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, string(r.Channel), r.From, r.ResidentID, r.DeliveryID, r.JobID, r.Body, string(r.Action), micros(r.ReceivedAt), r.Estate)
	if err != nil {
		return false, fmt.Errorf("record reply %q: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record reply %q: %w", r.ID, err)
	}
	if n > 0 && r.DeliveryID != "" { // a new reply to a delivery: its history says so
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			VALUES (?, ?, ?, ?, ?)`, r.DeliveryID, r.JobID, string(outreach.EventReplied),
			micros(r.ReceivedAt), normalize.ReplyDetail(r)); err != nil {
			return false, fmt.Errorf("record reply %q: event: %w", r.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("record reply %q: commit: %w", r.ID, err)
	}
	return n > 0, nil
}

// Replies returns the replies matching f, newest first.
func (s *Store) Replies(ctx context.Context, f outreach.Filter) ([]outreach.Reply, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	query, args := sqlq.SearchReplies(sqlq.SQLite, replyColumns, f)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	defer rows.Close()
	var out []outreach.Reply
	for rows.Next() {
		var r outreach.Reply
		var received int64
		if err := rows.Scan(&r.ID, &r.Channel, &r.From, &r.ResidentID, &r.DeliveryID, &r.JobID,
			&r.Body, &r.Action, &received, &r.Estate); err != nil {
			return nil, fmt.Errorf("search replies: %w", err)
		}
		r.ReceivedAt = fromMicros(received)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	return out, nil
}

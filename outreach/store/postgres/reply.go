package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	rows, err := s.pool.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE phone = $1 ORDER BY id`, phone)
	if err != nil {
		return nil, fmt.Errorf("find residents by phone: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanResident)
	if err != nil {
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
	// One statement: the reply, and when it is new and answers a
	// delivery, the delivery's `replied` event.
	tag, err := s.pool.Exec(ctx, `WITH reply AS (
			INSERT INTO replies (`+replyColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12) ON CONFLICT (id) DO NOTHING
			RETURNING delivery_id, job_id, received_at),
		event AS (
			INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			SELECT delivery_id, job_id, $10, received_at, $11 FROM reply WHERE delivery_id <> '')
		SELECT 1 FROM reply`,
		r.ID, string(r.Channel), r.From, r.ResidentID, r.DeliveryID, r.JobID, r.Body, string(r.Action), r.ReceivedAt,
		string(outreach.EventReplied), normalize.ReplyDetail(r), r.Estate)
	if err != nil {
		return false, fmt.Errorf("record reply %q: %w", r.ID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Replies returns the replies matching f, newest first.
func (s *Store) Replies(ctx context.Context, f outreach.Filter) ([]outreach.Reply, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	query, args := sqlq.SearchReplies(sqlq.PostgreSQL, replyColumns, f)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.Reply, error) {
		var r outreach.Reply
		if err := row.Scan(&r.ID, &r.Channel, &r.From, &r.ResidentID, &r.DeliveryID, &r.JobID,
			&r.Body, &r.Action, &r.ReceivedAt, &r.Estate); err != nil {
			return r, err
		}
		r.ReceivedAt = r.ReceivedAt.UTC()
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("search replies: %w", err)
	}
	return out, nil
}

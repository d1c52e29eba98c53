package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
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
	var conds []string
	var args []any
	for _, eq := range []struct{ column, value string }{
		{"resident_id", f.ResidentID}, {"job_id", f.JobID}, {"channel", string(f.Channel)},
		{"estate", f.Estate},
	} {
		if eq.value != "" {
			conds = append(conds, eq.column+" = ?")
			args = append(args, eq.value)
		}
	}
	if len(f.Estates) > 0 {
		conds = append(conds, "estate IN ("+placeholders(len(f.Estates))+")")
		args = append(args, anys(f.Estates)...)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "received_at >= ?")
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "received_at < ?")
		args = append(args, micros(f.Until))
	}
	query := `SELECT ` + replyColumns + ` FROM replies`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY received_at DESC, id DESC LIMIT ?"
	args = append(args, f.Limit)
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

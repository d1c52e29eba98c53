package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// Events returns the history of the deliveries with the given ids.
func (s *Store) Events(ctx context.Context, deliveryIDs ...string) ([]outreach.DeliveryEvent, error) {
	if len(deliveryIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(deliveryIDs))
	for i, id := range deliveryIDs {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, `SELECT delivery_id, job_id, seq, event, at, detail FROM delivery_events
		WHERE delivery_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) ORDER BY delivery_id, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	defer rows.Close()
	var out []outreach.DeliveryEvent
	for rows.Next() {
		var (
			e  outreach.DeliveryEvent
			at int64
		)
		if err := rows.Scan(&e.DeliveryID, &e.JobID, &e.Seq, &e.Event, &at, &e.Detail); err != nil {
			return nil, fmt.Errorf("read delivery events: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	return out, nil
}

// SetNote sets the note of the deliveries matching f and appends their
// `noted` events, in one write transaction.
func (s *Store) SetNote(ctx context.Context, f outreach.Filter, note string) (n int64, err error) {
	if f.Empty() {
		return 0, fmt.Errorf("set note: %w", outreach.ErrUnfiltered)
	}
	if err := normalize.Note(note); err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	f, err = normalize.Filter(f)
	if err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	now := micros(normalize.Time(s.now()))
	q := sqlq.New(sqlq.SQLite)
	q.Deliveries(f)
	where, args := q.And(), q.Args
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// The events first: the filter selects the same rows before and after
	// the update (the note is not one of its columns).
	if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT id, job_id, ?, ?, ? FROM deliveries WHERE `+where+` ORDER BY id`,
		append([]any{string(outreach.EventNoted), now, note}, args...)...); err != nil {
		return 0, fmt.Errorf("set note: events: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE deliveries SET note = ?, updated_at = ? WHERE `+where,
		append([]any{note, now}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("set note: commit: %w", err)
	}
	return n, nil
}

// purgeBatch empties the content of up to ? deliveries created before ?
// that still have it; the partial index deliveries_unpurged lists exactly
// those rows, oldest first.
const purgeBatch = `UPDATE deliveries SET subject = '', body = '', content_purged_at = ?
	WHERE id IN (SELECT id FROM deliveries
		WHERE content_purged_at IS NULL AND created_at < ?
		ORDER BY created_at LIMIT ?)`

// PurgeContent purges in batches, one write transaction each, so that the
// recorder never waits long for the write lock, until a batch finds fewer
// rows than it asks for. Another process purging at the same time takes
// the write lock in turn and finds the rows already purged.
func (s *Store) PurgeContent(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("purge content: batch size %d, want 1 or more", batch)
	}
	cutoff := micros(normalize.Time(before))
	var total int64
	for {
		res, err := s.write.ExecContext(ctx, purgeBatch, micros(normalize.Time(s.now())), cutoff, batch)
		if err != nil {
			return total, fmt.Errorf("purge content: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge content: %w", err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// appendOptOutEvent appends an opted_out (out) or opted_in event to the
// resident's latest delivery on channel, or of kind, if there is one.
func appendOptOutEvent(ctx context.Context, tx *sql.Tx, residentID string, channel outreach.Channel, kind outreach.Kind, out bool, at time.Time) error {
	event, column, value := outreach.EventOptedOut, "channel", string(channel)
	if !out {
		event = outreach.EventOptedIn
	}
	if kind != "" {
		column, value = "kind", string(kind)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT id, job_id, ?, ?, ? FROM deliveries WHERE resident_id = ? AND `+column+` = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`,
		string(event), micros(at), column+" "+value, residentID, value)
	return err
}

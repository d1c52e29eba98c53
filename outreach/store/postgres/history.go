package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// Events returns the history of the deliveries with the given ids.
func (s *Store) Events(ctx context.Context, deliveryIDs ...string) ([]outreach.DeliveryEvent, error) {
	ids := make([]string, 0, len(deliveryIDs))
	for _, id := range deliveryIDs {
		if normalize.ValidText(id) { // no stored id is anything else
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, job_id, seq, event, at, detail FROM delivery_events
		WHERE delivery_id = ANY($1) ORDER BY delivery_id, seq`, ids)
	if err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.DeliveryEvent, error) {
		var e outreach.DeliveryEvent
		err := row.Scan(&e.DeliveryID, &e.JobID, &e.Seq, &e.Event, &e.At, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read delivery events: %w", err)
	}
	return out, nil
}

// SetNote sets the note of the deliveries matching f and appends their
// `noted` events, in one statement.
func (s *Store) SetNote(ctx context.Context, f outreach.Filter, note string) (int64, error) {
	if f.Empty() {
		return 0, fmt.Errorf("set note: %w", outreach.ErrUnfiltered)
	}
	if err := normalize.Note(note); err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	f, err := normalize.Filter(f)
	if err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	q := sqlq.New(sqlq.PostgreSQL)
	now := q.Time(s.now())
	text := q.Arg(note)
	q.Deliveries(f)
	tag, err := s.pool.Exec(ctx, `WITH noted AS (
			UPDATE deliveries SET note = `+text+`, updated_at = `+now+`
			WHERE `+q.And()+` RETURNING id, job_id)
		INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT id, job_id, '`+string(outreach.EventNoted)+`', `+now+`, `+text+` FROM noted ORDER BY id`, q.Args...)
	if err != nil {
		return 0, fmt.Errorf("set note: %w", err)
	}
	return tag.RowsAffected(), nil
}

// purgeBatch empties the content of up to $2 deliveries created before $1
// that still have it. The partial index deliveries_unpurged lists exactly
// those rows, oldest first. SKIP LOCKED lets two daemons purge at once,
// each taking rows the other has not locked, and never wait on a Record
// that holds one.
const purgeBatch = `WITH batch AS (
		SELECT id FROM deliveries
		WHERE content_purged_at IS NULL AND created_at < $1
		ORDER BY created_at LIMIT $2
		FOR UPDATE SKIP LOCKED)
	UPDATE deliveries d SET subject = '', body = '', content_purged_at = $3
	FROM batch WHERE d.id = batch.id`

// PurgeContent purges in batches, one statement (and transaction) each,
// until a batch finds fewer rows than it asks for.
func (s *Store) PurgeContent(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("purge content: batch size %d, want 1 or more", batch)
	}
	before = normalize.Time(before)
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, purgeBatch, before, batch, normalize.Time(s.now()))
		if err != nil {
			return total, fmt.Errorf("purge content: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
	}
}

// appendOptOutEvent appends an opted_out (out) or opted_in event to the
// resident's latest delivery on channel, or of kind, if there is one.
func appendOptOutEvent(ctx context.Context, tx pgx.Tx, residentID string, channel outreach.Channel, kind outreach.Kind, out bool, at time.Time) error {
	event, column, value := outreach.EventOptedOut, "channel", string(channel)
	if !out {
		event = outreach.EventOptedIn
	}
	if kind != "" {
		column, value = "kind", string(kind)
	}
	_, err := tx.Exec(ctx, `INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT id, job_id, $1, $2, $3 FROM deliveries WHERE resident_id = $4 AND `+column+` = $5
		ORDER BY created_at DESC, id DESC LIMIT 1`,
		string(event), at, column+" "+value, residentID, value)
	return err
}

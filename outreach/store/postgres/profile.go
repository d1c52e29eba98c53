package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// UpdateResident reads, changes and writes one resident in one
// transaction. SELECT ... FOR UPDATE locks the row until the commit, so a
// concurrent UpdateResident waits for this one, and a concurrent SetOptOut
// or upsert either commits before the read (and is seen) or waits and then
// applies to the row this one wrote.
func (s *Store) UpdateResident(ctx context.Context, id string, fn func(*outreach.Resident) error) (outreach.Resident, error) {
	if !normalize.ValidText(id) {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, outreach.ErrNotFound)
	}
	var r outreach.Resident
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		r, err = pgx.CollectExactlyOneRow(rows, scanResident)
		if errors.Is(err, pgx.ErrNoRows) {
			return outreach.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		if r.ID != id {
			return fmt.Errorf("the id cannot change (to %q)", r.ID)
		}
		r.UpdatedAt = s.now()
		rs, err := normalize.Residents([]outreach.Resident{r}, s.now())
		if err != nil {
			return err
		}
		r = rs[0]
		attrs := r.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		_, err = tx.Exec(ctx, `UPDATE residents SET
			name = $2, email = $3, phone = $4, locale = $5, building = $6, unit = $7,
			tags = $8, channels = $9, attributes = $10, updated_at = $11, time_zone = $12,
			opt_out_channels = $13, opt_out_kinds = $14, estate = $15
			WHERE id = $1`,
			id, r.Name, r.Email, r.Phone, r.Locale, r.Building, r.Unit, nonNil(r.Tags),
			textArray(r.Channels), attrs, r.UpdatedAt, r.TimeZone,
			textArray(r.OptOutChannels), textArray(r.OptOutKinds), r.Estate)
		if err != nil {
			return residentError(r, err)
		}
		return nil
	})
	if err != nil {
		return outreach.Resident{}, fmt.Errorf("update resident %q: %w", id, err)
	}
	return r, nil
}

// SetOptOut adds or removes one opt-out with a single UPDATE statement,
// in a transaction that first locks the row to learn whether the opt-out
// was there, and last appends the history event when it changed. Under
// concurrent updates of the row PostgreSQL re-evaluates the SET
// expressions on the newest row version (READ COMMITTED), so two opt-outs
// recorded at once both stay.
func (s *Store) SetOptOut(ctx context.Context, residentID string, channel outreach.Channel, kind outreach.Kind, out bool) error {
	if err := outreach.CheckOptOut(channel, kind); err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	if !normalize.ValidText(residentID) {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, outreach.ErrNotFound)
	}
	column, value := "opt_out_channels", string(channel)
	if kind != "" {
		column, value = "opt_out_kinds", string(kind)
	}
	present := `$2::text = ANY(` + column + `)`
	var query string
	if out {
		query = `UPDATE residents SET
			` + column + ` = CASE WHEN ` + present + ` THEN ` + column + `
				ELSE ARRAY(SELECT x FROM unnest(array_append(` + column + `, $2::text)) AS x ORDER BY x COLLATE "C") END,
			updated_at = CASE WHEN ` + present + ` THEN updated_at ELSE $3 END
			WHERE id = $1`
	} else {
		query = `UPDATE residents SET
			` + column + ` = array_remove(` + column + `, $2::text),
			updated_at = CASE WHEN ` + present + ` THEN $3 ELSE updated_at END
			WHERE id = $1`
	}
	now := normalize.Time(s.now())
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The row lock makes "was it there" and the change one step, so
		// the event is appended exactly when the opt-out changed.
		var was bool
		err := tx.QueryRow(ctx, `SELECT `+present+` FROM residents WHERE id = $1 FOR UPDATE`, residentID, value).Scan(&was)
		if errors.Is(err, pgx.ErrNoRows) {
			return outreach.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, query, residentID, value, now); err != nil {
			return err
		}
		if was == out {
			return nil
		}
		return appendOptOutEvent(ctx, tx, residentID, channel, kind, out, now)
	})
	if err != nil {
		return fmt.Errorf("set opt-out of resident %q: %w", residentID, err)
	}
	return nil
}
